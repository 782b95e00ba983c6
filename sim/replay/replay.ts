/**
 * `ksim replay alibaba-gpu`: the trace's nodes and tasks as a scenario, run by the scenario
 * runner like any other, and a summary of what the scheduler made of it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startScenario } from '../scenario/run.ts';
import { parseScenario, type Scenario } from '../scenario/scenario.ts';
import type { TraceSink } from '../trace.ts';
import { parseNodeCsv, parsePodCsv, type TraceNode, type TracePod } from './alibaba-csv.ts';
import { replayScenario, TRACE_NAME } from './alibaba-scenario.ts';
import { ReplayObserver, type Demand, type PodOutcome, type Sample } from './observer.ts';
import { mapTimes, type TimedPod, type TimeMapping } from './time-mapping.ts';

export const POD_SAMPLES = ['default', 'cpu050', 'gpushare100', 'gpuspec33', 'multigpu50'] as const;
export type PodSample = (typeof POD_SAMPLES)[number];

export const NODE_FILE = 'openb_node_list_all_node.csv';
export const podFile = (sample: PodSample): string => `openb_pod_list_${sample}.csv`;

const US_PER_SECOND = 1_000_000;
/** The first task is created once every node has registered (1,523 nodes take a few seconds). */
export const REPLAY_START_US = 30 * US_PER_SECOND;
/** After the last creation or deletion, the scheduler gets this long to place what it can. */
const SETTLE_US = 60 * US_PER_SECOND;

export interface ReplayInput {
  readonly dir: string;
  readonly sample: PodSample;
  /** The first N nodes of the node list. */
  readonly nodes?: number;
  /** The first N tasks of the pod list (file order, before sorting by creation time). */
  readonly limit?: number;
  readonly mapping: TimeMapping;
  readonly seed: number;
}

export interface ReplayPlan {
  readonly nodes: readonly TraceNode[];
  readonly pods: readonly TimedPod[];
  /** The scenario file's text. */
  readonly text: string;
  readonly file: string;
  /** The scenario's duration: the run stops here at the latest. */
  readonly durationUs: number;
}

export function loadTrace(input: Pick<ReplayInput, 'dir' | 'sample' | 'nodes' | 'limit'>): {
  nodes: TraceNode[];
  pods: TracePod[];
} {
  const read = (name: string): [string, string] => {
    const path = join(input.dir, name);
    try {
      return [readFileSync(path, 'utf8'), path];
    } catch (e) {
      throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  };
  const nodes = parseNodeCsv(...read(NODE_FILE));
  const pods = parsePodCsv(...read(podFile(input.sample)));
  return {
    nodes: input.nodes === undefined ? nodes : nodes.slice(0, input.nodes),
    pods: input.limit === undefined ? pods : pods.slice(0, input.limit),
  };
}

/** The scenario a replay runs (and `--emit-scenario` writes). */
export function planReplay(input: ReplayInput): ReplayPlan {
  const { nodes, pods } = loadTrace(input);
  const timed = mapTimes(pods, input.mapping, REPLAY_START_US);
  const lastUs = Math.max(
    REPLAY_START_US,
    ...timed.map((t) => Math.max(t.createAtUs, t.deleteAtUs ?? 0)),
  );
  const mapping =
    input.mapping.kind === 'rate'
      ? `${input.mapping.perSecond} tasks/s in creation order, none deleted`
      : `the trace's times divided by ${input.mapping.factor}`;
  const durationUs = Math.ceil((lastUs + SETTLE_US) / US_PER_SECOND) * US_PER_SECOND;
  const document = replayScenario(nodes, timed, {
    name: `${TRACE_NAME}-${input.sample}`,
    description: `Alibaba cluster-trace-gpu-v2023: ${nodes.length} nodes, ${timed.length} tasks of ${podFile(input.sample)}, ${mapping}`,
    seed: input.seed,
    durationUs,
  });
  const file = `${TRACE_NAME}-${input.sample}.yaml`;
  return { nodes, pods: timed, text: stringify(document, { lineWidth: 0 }), file, durationUs };
}

export interface ReplayRunOptions {
  readonly seed: number;
  readonly traceSink?: TraceSink;
  /** How often allocation is sampled and the stop conditions checked (default 10 s). */
  readonly sampleUs?: number;
  /** Stop once this many tasks in a row were refused at their first attempt (0: never). */
  readonly fullAfter: number;
  readonly onProgress?: (virtualUs: number, events: number) => void;
}

export type StopReason = 'all-placed' | 'full' | 'end';

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

export interface ReplaySummary {
  readonly scenario: string;
  readonly seed: number;
  readonly nodes: number;
  readonly tasks: number;
  readonly stop: StopReason;
  readonly virtualTimeUs: number;
  readonly events: number;
  readonly traceHash: string;
  readonly created: number;
  /** Bound at some point. */
  readonly scheduled: number;
  /** Created, never bound, still there at the end: the scheduler's last refusal stands. */
  readonly unschedulable: number;
  /** Deleted (at their trace time) before the scheduler placed them. */
  readonly deletedPending: number;
  /** Never created: the run stopped first. */
  readonly notCreated: number;
  /** The scheduler's reasons for the unschedulable tasks: each reason, how many tasks it held. */
  readonly reasons: readonly { readonly reason: string; readonly pods: number }[];
  /** From creation to binding, scheduled tasks only, seconds of virtual time. */
  readonly pendingSeconds: Percentiles | undefined;
  readonly capacity: Demand;
  readonly samples: readonly Sample[];
  /** The highest allocated shares reached. */
  readonly peak: { readonly cpu: number; readonly memory: number; readonly gpu: number };
}

/** Runs a planned replay with the scenario runner and summarizes it. */
export async function runReplay(
  plan: ReplayPlan,
  options: ReplayRunOptions,
): Promise<ReplaySummary> {
  const scenario = parseScenario(plan.text, plan.file);
  const observer = new ReplayObserver(demands(plan.pods), capacityOf(plan.nodes));
  const world = startScenario(scenario, {
    seed: options.seed,
    traceSink: chain(observer.sink, options.traceSink),
  });
  const stepUs = options.sampleUs ?? 10 * US_PER_SECOND;
  let stop: StopReason = 'end';
  for (let t = 0; t < world.durationUs;) {
    t = Math.min(t + stepUs, world.durationUs);
    await world.sim.run({ untilUs: t });
    // Before the first task nothing is allocated: no samples while the nodes register.
    if (t >= REPLAY_START_US) observer.sample(t);
    options.onProgress?.(t, world.sim.loop.eventsProcessed);
    if (observer.allPlaced) stop = 'all-placed';
    else if (observer.fullAfter(options.fullAfter)) stop = 'full';
    if (stop !== 'end') break;
  }
  const report = world.finish();
  return summarize(scenario, plan, observer, {
    stop,
    seed: options.seed,
    virtualTimeUs: report.virtualTimeUs,
    events: report.events,
    traceHash: report.traceHash,
  });
}

function chain(a: TraceSink, b: TraceSink | undefined): TraceSink {
  return b === undefined ? a : (line) => (a(line), b(line));
}

function demands(pods: readonly TimedPod[]): Map<string, Demand> {
  return new Map(
    pods.map(({ pod }) => [
      pod.name,
      { cpuMilli: pod.cpuMilli, memoryMiB: pod.memoryMiB, gpuMilli: pod.numGpu * pod.gpuMilli },
    ]),
  );
}

function capacityOf(nodes: readonly TraceNode[]): Demand {
  return nodes.reduce(
    (c, n) => ({
      cpuMilli: c.cpuMilli + n.cpuMilli,
      memoryMiB: c.memoryMiB + n.memoryMiB,
      gpuMilli: c.gpuMilli + n.gpus * 1000,
    }),
    { cpuMilli: 0, memoryMiB: 0, gpuMilli: 0 },
  );
}

function summarize(
  scenario: Scenario,
  plan: ReplayPlan,
  observer: ReplayObserver,
  run: Pick<ReplaySummary, 'stop' | 'seed' | 'virtualTimeUs' | 'events' | 'traceHash'>,
): ReplaySummary {
  const outcomes = [...observer.outcomes.values()];
  const stuck = outcomes.filter(
    (o) => o.createdAtUs !== undefined && o.boundAtUs === undefined && o.deletedAtUs === undefined,
  );
  const waits = outcomes
    .filter((o) => o.createdAtUs !== undefined && o.boundAtUs !== undefined)
    .map((o) => ((o.boundAtUs as number) - (o.createdAtUs as number)) / US_PER_SECOND);
  const peak = (k: 'cpu' | 'memory' | 'gpu'): number =>
    observer.samples.reduce((m, s) => Math.max(m, s[k]), 0);
  return {
    scenario: scenario.metadata.name,
    ...run,
    nodes: plan.nodes.length,
    tasks: plan.pods.length,
    created: outcomes.filter((o) => o.createdAtUs !== undefined).length,
    scheduled: outcomes.filter((o) => o.boundAtUs !== undefined).length,
    unschedulable: stuck.length,
    deletedPending: outcomes.filter(
      (o) =>
        o.createdAtUs !== undefined && o.boundAtUs === undefined && o.deletedAtUs !== undefined,
    ).length,
    notCreated: outcomes.filter((o) => o.createdAtUs === undefined).length,
    reasons: refusalReasons(stuck),
    pendingSeconds: percentiles(waits),
    capacity: capacityOf(plan.nodes),
    samples: observer.samples,
    peak: { cpu: peak('cpu'), memory: peak('memory'), gpu: peak('gpu') },
  };
}

/**
 * The reasons in the scheduler's last message about each task ("0/9 nodes are available: 3
 * Insufficient cpu, 6 node(s) didn't match ..."), without the node counts; a task counts once
 * for each reason its message names. Most frequent first.
 */
export function refusalReasons(
  outcomes: readonly Pick<PodOutcome, 'lastRefusal'>[],
): { reason: string; pods: number }[] {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    for (const reason of reasonsOf(o.lastRefusal ?? 'not tried by the scheduler yet'))
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts]
    .map(([reason, pods]) => ({ reason, pods }))
    .sort((a, b) => b.pods - a.pods || (a.reason < b.reason ? -1 : 1));
}

function reasonsOf(message: string): string[] {
  const m = /^0\/\d+ nodes are available: (.*?)\.(?: |$)/.exec(message);
  if (m === null) return [message];
  return (m[1] as string).split(', ').map((part) => part.replace(/^\d+ /, ''));
}

/** Nearest-rank percentiles; undefined for no values. */
export function percentiles(values: readonly number[]): Percentiles | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number =>
    sorted[
      Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
    ] as number;
  return { p50: rank(50), p90: rank(90), p99: rank(99) };
}
