/**
 * Kubernetes scalability SLOs computed from trace records (kubernetes/community
 * sig-scalability/slos): API call latency p99 per verb and scope (api_call_latency.md: 1 s for
 * mutating calls and single-object reads, 5 s for namespace-scoped lists, 30 s for
 * cluster-scoped lists), pod startup latency p99 without image pulls (pod_startup_latency.md:
 * 5 s), scheduling throughput (pods bound per second, as scheduler_perf reports it; upstream
 * sets no threshold), and watch latency (watch_latency.md, a WIP SLI without an SLO: from an
 * object being stored to its event being ready for the watchers; here to the watcher's receipt,
 * from the `watch.committed` and `watch.delivered` records of the sampled revisions). The HTML
 * report (api.ts) and `ksim run`'s SLO table share this reading.
 *
 * Upstream measures over sliding 5-minute windows; a run is usually shorter, so the p99s here
 * are over the whole run.
 */
import type { TraceRecord } from '../../core/trace/types.ts';
import { formatUs, quantile } from './stats.ts';

const S = 1_000_000;

/** The API call latency classes, in table order, with upstream's p99 thresholds. */
export const API_LATENCY_THRESHOLDS_US: Readonly<Record<string, number>> = {
  GET: S,
  'LIST namespace': 5 * S,
  'LIST cluster': 30 * S,
  POST: S,
  PUT: S,
  PATCH: S,
  DELETE: S,
};

export const POD_STARTUP_THRESHOLD_US = 5 * S;

/** The SLO class of a request: mutating verbs by verb, reads by scope. */
export function requestClass(verb: string, path: string): string {
  if (verb !== 'GET') return verb;
  const parts = path.split('/').filter((p) => p !== '');
  // /api/v1/... or /apis/<group>/<version>/...
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length >= 3)
    return rest.length === 3 ? 'LIST namespace' : 'GET';
  return rest.length <= 1 ? 'LIST cluster' : 'GET';
}

/** Thresholds over upstream's; absent fields keep upstream's (throughput: none). */
export interface SloThresholds {
  readonly apiCallLatency?: {
    readonly mutatingUs?: number;
    readonly getUs?: number;
    readonly listNamespaceUs?: number;
    readonly listClusterUs?: number;
  };
  readonly podStartupUs?: number;
  /** Least average pods bound per second. */
  readonly schedulingThroughput?: number;
  /** Most p99 watch latency (upstream sets none). */
  readonly watchLatencyUs?: number;
}

export interface SloResult {
  readonly slo:
    'api-call-latency' | 'pod-startup-latency' | 'scheduling-throughput' | 'watch-latency';
  /** API call latency: the class (GET, LIST namespace, LIST cluster, POST, ...). */
  readonly scope?: string;
  /** e.g. `API call latency GET`, `pod startup latency`, `scheduling throughput`. */
  readonly name: string;
  /** What is measured: `p99` of a latency, or `average` pods per second. */
  readonly measure: 'p99' | 'average';
  readonly unit: 'us' | 'pods/s';
  readonly samples: number;
  /** Absent without samples. */
  readonly value?: number;
  /** Absent when the SLO has no threshold (throughput unless set). */
  readonly threshold?: number;
  /** The value must be at most (`<=`) or at least (`>=`) the threshold. */
  readonly comparison: '<=' | '>=';
  /** False only when there are samples, a threshold, and the value misses it. */
  readonly passed: boolean;
  /** More about the measurement (the peak second of throughput, ...). */
  readonly note?: string;
}

/** Reads the SLO inputs off trace records as they pass; `results` computes the table. */
export class SloCollector {
  private readonly latencies = new Map<string, number[]>();
  private readonly startups: number[] = [];
  private binds = 0;
  private firstBindUs = 0;
  private lastBindUs = 0;
  private readonly bindsPerSecond = new Map<number, number>();
  /** When each sampled revision was committed, and the latency of each delivery, by resource. */
  private readonly committedAtUs = new Map<number, number>();
  private readonly watchLatencies = new Map<string, number[]>();

  /** Records before `fromUs` (a cluster's start-up, say) are left out. */
  constructor(private readonly fromUs = 0) {}

  add(r: TraceRecord): void {
    // A commit before `fromUs` still starts the latency of a delivery after it.
    if (r.k === 'watch.committed') this.committedAtUs.set(r.revision, r.t);
    if (r.t < this.fromUs) return;
    switch (r.k) {
      case 'watch.delivered': {
        const committed = this.committedAtUs.get(r.revision);
        // The in-memory store records no commits: its deliveries have no start to measure from.
        if (committed === undefined) return;
        let l = this.watchLatencies.get(r.resource);
        if (l === undefined) this.watchLatencies.set(r.resource, (l = []));
        l.push(r.t - committed);
        return;
      }
      case 'api.request': {
        const key = requestClass(r.verb, r.path);
        let l = this.latencies.get(key);
        if (l === undefined) this.latencies.set(key, (l = []));
        l.push(r.latencyUs);
        return;
      }
      case 'kubelet.pod-started':
        // Upstream's pod startup SLI leaves image pulls out.
        this.startups.push(Math.max(0, r.e2eUs - r.imagePullUs));
        return;
      case 'scheduler.bind': {
        if (this.binds === 0) this.firstBindUs = r.t;
        this.binds++;
        this.lastBindUs = r.t;
        const second = Math.floor(r.t / S);
        this.bindsPerSecond.set(second, (this.bindsPerSecond.get(second) ?? 0) + 1);
        return;
      }
      default:
        return;
    }
  }

  results(thresholds: SloThresholds = {}): SloResult[] {
    const api = Object.keys(API_LATENCY_THRESHOLDS_US)
      .filter((key) => this.latencies.has(key))
      .map((key) => ({
        slo: 'api-call-latency' as const,
        scope: key,
        ...p99Result(
          `API call latency ${key}`,
          this.latencies.get(key)!,
          apiThreshold(key, thresholds),
        ),
      }));
    return [
      ...api,
      {
        slo: 'pod-startup-latency',
        ...p99Result(
          'pod startup latency',
          this.startups,
          thresholds.podStartupUs ?? POD_STARTUP_THRESHOLD_US,
        ),
      },
      this.throughput(thresholds.schedulingThroughput),
      this.watchLatency(thresholds.watchLatencyUs),
    ];
  }

  /** Over every resource; the note gives the p50 and the resource with the highest p99. */
  private watchLatency(most: number | undefined): SloResult {
    const all = [...this.watchLatencies.values()].flat().sort((a, b) => a - b);
    const value = all.length === 0 ? undefined : quantile(all, 0.99);
    let worst: [string, number] | undefined;
    for (const [resource, l] of [...this.watchLatencies].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const p99 = quantile(
        l.slice().sort((a, b) => a - b),
        0.99,
      );
      if (worst === undefined || p99 > worst[1]) worst = [resource, p99];
    }
    return {
      slo: 'watch-latency',
      name: 'watch latency',
      measure: 'p99',
      unit: 'us',
      samples: all.length,
      ...(value === undefined ? {} : { value }),
      ...(most === undefined ? {} : { threshold: most }),
      comparison: '<=',
      passed: value === undefined || most === undefined || value <= most,
      ...(value === undefined || worst === undefined
        ? {}
        : {
            note: `p50 ${formatUs(quantile(all, 0.5))}; highest p99: ${worst[0]} ${formatUs(worst[1])}`,
          }),
    };
  }

  private throughput(least: number | undefined): SloResult {
    const spanUs = this.lastBindUs - this.firstBindUs;
    // One binding, or all in one instant, has no duration to divide by: count it as one second.
    const value = this.binds === 0 ? undefined : (this.binds * S) / Math.max(spanUs, S);
    const peak = Math.max(0, ...this.bindsPerSecond.values());
    return {
      slo: 'scheduling-throughput',
      name: 'scheduling throughput',
      measure: 'average',
      unit: 'pods/s',
      samples: this.binds,
      ...(value === undefined ? {} : { value }),
      ...(least === undefined ? {} : { threshold: least }),
      comparison: '>=',
      passed: value === undefined || least === undefined || value >= least,
      ...(this.binds === 0 ? {} : { note: `peak ${peak} in one second` }),
    };
  }
}

function apiThreshold(key: string, t: SloThresholds): number {
  const o = t.apiCallLatency ?? {};
  const upstream = API_LATENCY_THRESHOLDS_US[key] ?? S;
  if (key === 'GET') return o.getUs ?? upstream;
  if (key === 'LIST namespace') return o.listNamespaceUs ?? upstream;
  if (key === 'LIST cluster') return o.listClusterUs ?? upstream;
  return o.mutatingUs ?? upstream;
}

function p99Result(
  name: string,
  values: number[],
  threshold: number,
): Omit<SloResult, 'slo' | 'scope'> {
  const sorted = values.sort((a, b) => a - b);
  const value = sorted.length === 0 ? undefined : quantile(sorted, 0.99);
  return {
    name,
    measure: 'p99',
    unit: 'us',
    samples: sorted.length,
    ...(value === undefined ? {} : { value }),
    threshold,
    comparison: '<=',
    passed: value === undefined || value <= threshold,
  };
}
