/**
 * What a report page receives: the trace, aggregated. Everything is plain JSON (numbers,
 * strings, arrays), inlined into the HTML file and read by viz/app. Sizes are bounded whatever
 * the size of the run: time series are binned, per-pod bars give way to heat strips of node
 * groups, latency distributions are sampled quantiles, and the event log is capped.
 */

/** Counts over fixed time bins: bin i covers [i * widthUs, (i + 1) * widthUs). */
export interface Bins {
  readonly widthUs: number;
  readonly values: readonly number[];
}

/** A named series of binned values (e.g. failures of one reason). */
export interface NamedBins {
  readonly name: string;
  readonly total: number;
  readonly values: readonly number[];
}

export type PodPhaseCode = 0 | 1 | 2;
/** Pod bar phases, by code: bound and not yet running, running, terminating. */
export const POD_PHASES = ['pending', 'running', 'terminating'] as const;

/** One Gantt bar: pod index, node index, lane within the node's row, phase code, start, end. */
export type PodBar = readonly [
  pod: number,
  node: number,
  lane: number,
  phase: PodPhaseCode,
  startUs: number,
  endUs: number,
];

export type PodsView =
  | {
      readonly kind: 'bars';
      readonly pods: readonly string[];
      /** Lanes per node row (at least 1). */
      readonly lanes: readonly number[];
      readonly bars: readonly PodBar[];
    }
  | {
      readonly kind: 'heat';
      /** Rows of consecutive nodes (in `nodes` order): first and last node of each row. */
      readonly rows: readonly (readonly [first: string, last: string, nodes: number])[];
      /** Per row, per bin: running pods per node of the row, time-averaged, one decimal. */
      readonly running: readonly (readonly number[])[];
      readonly widthUs: number;
      readonly max: number;
    };

export interface PodTotals {
  /** Pods in each state at the end of each bin (after the bin's last change). */
  readonly pending: Bins;
  readonly running: Bins;
  readonly terminating: Bins;
  /** Pods that were ever bound or started on a node. */
  readonly placed: number;
}

export type NodeStateCode = 0 | 1 | 2 | 3;
/** Node lane states, by code. `down`: the node's processes are crashed. */
export const NODE_STATES = ['ready', 'not-ready', 'unknown', 'down'] as const;

/** One lane segment: node index, state code, start, end. */
export type NodeSegment = readonly [
  node: number,
  state: NodeStateCode,
  startUs: number,
  endUs: number,
];
/** A taint interval: node index, the taints (key:effect, comma-joined), start, end. */
export type TaintSegment = readonly [node: number, taints: string, startUs: number, endUs: number];

export interface NodeStatesView {
  /** Per node lanes, when there are few enough nodes to draw them (else undefined). */
  readonly segments: readonly NodeSegment[] | undefined;
  readonly taints: readonly TaintSegment[] | undefined;
  /** Nodes in each non-ready state at the end of each bin. */
  readonly notReady: Bins;
  readonly unknown: Bins;
  readonly down: Bins;
  readonly tainted: Bins;
}

/** A fault, drawn as a band across every time chart (startUs === endUs: an instant). */
export interface FaultBand {
  readonly kind: string;
  readonly label: string;
  readonly startUs: number;
  readonly endUs: number;
}

export interface StoreMember {
  readonly id: number;
  readonly process: string;
}

/** A role segment: member index, role, term, start, end. */
export type RoleSegment = readonly [
  member: number,
  role: string,
  term: number,
  startUs: number,
  endUs: number,
];

export interface LeaderChange {
  readonly t: number;
  /** Raft id of the leader before and after (0: none). */
  readonly from: number;
  readonly to: number;
  readonly term: number;
}

export interface StoreView {
  readonly members: readonly StoreMember[];
  readonly roles: readonly RoleSegment[];
  readonly leaderChanges: readonly LeaderChange[];
  /** Campaigns: a member became (pre-)candidate. */
  readonly elections: readonly (readonly [t: number, id: number, term: number])[];
  /** Per member (same order as `members`): [t, term, commit] samples, downsampled. */
  readonly progress: readonly (readonly (readonly [t: number, term: number, commit: number])[])[];
  readonly confChanges: readonly (readonly [t: number, label: string])[];
}

/** The latency distribution of one API request class against its SLO threshold. */
export interface LatencySeries {
  readonly key: string;
  readonly count: number;
  readonly thresholdUs: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  /** CDF samples [latencyUs, fraction of requests at or below it], ascending. */
  readonly cdf: readonly (readonly [latencyUs: number, fraction: number])[];
}

export interface ApiView {
  readonly series: readonly LatencySeries[];
  readonly requests: Bins;
  /** 409 Conflict, 410 Gone, 429 TooManyRequests, and 5xx answers, per bin. */
  readonly codes: readonly NamedBins[];
  readonly total: number;
}

/** Requests to one Service (traffic.window records). */
export interface ServiceTrafficView {
  /** namespace/name, or a DNS name that did not resolve. */
  readonly service: string;
  readonly total: number;
  readonly ok: number;
  /** Requests per bin (by the window they finished in). */
  readonly requests: Bins;
  /** Failed requests per bin, one series per error kind that occurred. */
  readonly errors: readonly NamedBins[];
  /** Successful requests per backend pod over the run, sorted by pod. */
  readonly backends: readonly (readonly [pod: string, requests: number])[];
  /** The highest per-window p99 latency of successful requests. */
  readonly worstP99Us: number;
}

/** Histogram over log-spaced buckets: counts[i] are values in (bounds[i-1], bounds[i]]. */
export interface Histogram {
  readonly boundsUs: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
}

export interface SchedulingView {
  readonly binds: Bins;
  /** Failed attempts per reason (a failure counts once per reason it names). */
  readonly failures: readonly NamedBins[];
  readonly failedAttempts: number;
  readonly latency: Histogram;
  /** Queue lengths at the end of each bin. */
  readonly queue: readonly NamedBins[];
  readonly preemptions: number;
}

export interface WorkloadView {
  /** Pod startup SLI: creation to running, image pulls excluded. */
  readonly startup: Histogram;
  readonly restarts: Bins;
  readonly restartsTotal: number;
  /** Containers restarted most, [pod/container, restarts]. */
  readonly topRestarts: readonly (readonly [name: string, restarts: number])[];
  readonly evictions: Bins;
  /** The first evictions: [t, pod, why]. */
  readonly evictionList: readonly (readonly [t: number, pod: string, why: string])[];
  readonly evictionsTotal: number;
  readonly rejected: number;
}

export interface Verdict {
  readonly name: string;
  readonly passed: boolean;
  readonly metAtUs: number | undefined;
  /** always / never: the first violation, and the objects whose change made it. */
  readonly violatedAtUs?: number;
  readonly objects?: readonly string[];
  readonly detail: string;
}

export interface SloRow {
  readonly name: string;
  readonly target: string;
  readonly observed: string;
  readonly passed: boolean;
  /** Measured without a target: no verdict. */
  readonly reportedOnly?: boolean;
}

/** An event log row: time, process, kind, object, the other fields as text. */
export type EventRow = readonly [
  t: number,
  process: string,
  kind: string,
  object: string,
  detail: string,
];

export interface EventsView {
  readonly rows: readonly EventRow[];
  /** Rows the cap left out. */
  readonly omitted: number;
  /** Whether the rows are the first of the trace or the latest (live view). */
  readonly keeps: 'first' | 'latest';
}

export interface ReportMeta {
  readonly title: string;
  readonly seed: number;
  readonly ksimVersion: string;
  readonly schemaVersion: number;
  readonly level: string;
  readonly records: number;
  readonly endUs: number;
}

export interface ReportData {
  readonly meta: ReportMeta;
  readonly nodes: readonly string[];
  readonly pods: PodsView;
  readonly podTotals: PodTotals;
  readonly nodeStates: NodeStatesView;
  readonly faults: readonly FaultBand[];
  readonly store: StoreView;
  readonly api: ApiView;
  readonly scheduling: SchedulingView;
  readonly workload: WorkloadView;
  /** Present only when the trace has service traffic. */
  readonly traffic?: readonly ServiceTrafficView[];
  readonly verdicts: readonly Verdict[];
  readonly slos: readonly SloRow[];
  readonly events: EventsView;
}

/** The live view of `ksim serve` (viz/live.ts): where the page listens and sends controls. */
export interface LiveConfig {
  readonly events: string;
  readonly control: string;
  /** The speeds the page offers, virtual seconds per wall second. */
  readonly speeds: readonly number[];
}

/** The running simulation's pacing, sent with every update and after every control. */
export interface LiveStatus {
  /** The virtual time the simulation has reached. */
  readonly virtualUs: number;
  readonly speed: number;
  readonly paused: boolean;
  /** Trace records so far: a report is sent again only when this changed. */
  readonly records: number;
}
