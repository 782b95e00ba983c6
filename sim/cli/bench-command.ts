import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  APISERVER_BENCH_TARGETS,
  DEFAULT_APISERVER_BENCH,
  runApiServerBench,
  type ApiServerBenchOptions,
  type ApiServerBenchRow,
} from './bench/apiserver.ts';
import {
  CONTROLLERS_WALL_TARGET_S,
  DEFAULT_CONTROLLERS_BENCH,
  runControllersBench,
  type ControllersBenchOptions,
  type ControllersBenchRow,
} from './bench/controllers.ts';
import { runKernelBench, DEFAULT_KERNEL_BENCH } from './bench/kernel.ts';
import {
  describeStoreBench,
  runStoreBench,
  STORE_BENCH_TARGETS,
  type StoreBenchOptions,
  type StoreBenchRow,
} from './bench/store.ts';
import { CliError } from './errors.ts';
import { table, targetCell } from './format.ts';

export interface BenchOptions {
  readonly out: string;
  readonly seed?: number;
  /** Timer events to run; network messages are half of it. */
  readonly events?: number;
  /** Check mode (SimulationOptions.checkImmutability). */
  readonly checkImmutability?: boolean;
}

/** Targets from the foundation issue; a row below its target fails the command. */
const KERNEL_TARGETS: Readonly<Record<string, number>> = {
  'timer events': 2_000_000,
  'network messages': 500_000,
};

export async function benchKernel(opts: BenchOptions, out: (s: string) => void): Promise<number> {
  const rows = await runKernelBench({
    ...DEFAULT_KERNEL_BENCH,
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    ...(opts.events === undefined
      ? {}
      : { timerEvents: opts.events, messages: Math.ceil(opts.events / 2) }),
    checkImmutability: opts.checkImmutability ?? false,
  });
  out(
    table(
      ['benchmark', 'events', 'wall ms', 'events/s', 'target/s', 'virtual s'],
      rows.map((r) => [
        r.name,
        r.events,
        r.wallMs,
        `${r.eventsPerSecond.toLocaleString('en-US')} events/s`,
        targetCell(r.eventsPerSecond, KERNEL_TARGETS[r.name]),
        r.virtualSeconds,
      ]),
    ),
  );
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(
    opts.out,
    JSON.stringify(
      {
        benchmark: 'kernel',
        node: process.version,
        checkImmutability: opts.checkImmutability ?? false,
        rows,
        targets: KERNEL_TARGETS,
      },
      null,
      2,
    ),
  );
  out(`wrote ${opts.out}`);
  return rows.every((r) => r.eventsPerSecond >= (KERNEL_TARGETS[r.name] ?? 0)) ? 0 : 1;
}

/**
 * `ksim bench store`: committed writes and linearizable reads per wall-clock second. With
 * `repeat` > 1 the whole benchmark runs that many times (same seed, so the same virtual
 * history); each row reports its median run and the table lists every run's throughput, since
 * wall-clock figures on a shared machine move by tens of percent from one minute to the next.
 */
export async function benchStore(
  opts: BenchOptions & Partial<StoreBenchOptions> & { readonly repeat?: number },
  out: (s: string) => void,
): Promise<number> {
  const { out: file, events: _unused, repeat = 1, ...rest } = opts;
  const runs: StoreBenchRow[][] = [];
  for (let i = 0; i < repeat; i++) runs.push(await runStoreBench(rest));
  const rows = runs[0]!.map((_, i) => medianRun(runs.map((run) => run[i]!)));
  /** Every run's throughput of row `i`, when there was more than one run. */
  const spread = (i: number): string =>
    repeat === 1
      ? ''
      : ` (runs: ${runs.map((run) => run[i]!.opsPerSecond.toLocaleString('en-US')).join(', ')})`;
  out(
    table(
      [
        'benchmark',
        'ops',
        'wall ms',
        'throughput',
        'target/s',
        'CPU µs/op',
        'p50 ms (virtual)',
        'p99 ms (virtual)',
        'events/op',
      ],
      rows.map((r) => [
        r.name,
        r.ops,
        r.wallMs,
        `${r.opsPerSecond.toLocaleString('en-US')} ${r.name === 'writes' ? 'writes' : 'reads'}/s`,
        targetCell(r.opsPerSecond, STORE_BENCH_TARGETS[r.name]),
        r.cpuUsPerOp,
        (r.latencyP50Us / 1000).toFixed(2),
        (r.latencyP99Us / 1000).toFixed(2),
        r.eventsPerOp,
      ]),
    ),
  );
  for (const [i, line] of describeStoreBench(rows).entries()) out(line + spread(i));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      {
        benchmark: 'store',
        node: process.version,
        options: rest,
        repeat,
        rows,
        runs,
        targets: STORE_BENCH_TARGETS,
      },
      null,
      2,
    ),
  );
  out(`wrote ${file}`);
  return rows.every((r) => r.opsPerSecond >= (STORE_BENCH_TARGETS[r.name] ?? 0)) ? 0 : 1;
}

/** The run whose throughput is the median (the lower middle one for an even count). */
function medianRun(rows: readonly StoreBenchRow[]): StoreBenchRow {
  const sorted = [...rows].sort((a, b) => a.opsPerSecond - b.opsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * `ksim bench apiserver`: requests per wall-clock second by verb over the Raft store, list
 * sizes and watch fan-out. With `repeat` > 1 each row reports its median run and every run's
 * throughput, as `ksim bench store` does.
 */
export async function benchApiServer(
  opts: { readonly out: string; readonly repeat?: number } & Partial<ApiServerBenchOptions>,
  out: (s: string) => void,
): Promise<number> {
  const { out: file, repeat = 1, ...rest } = opts;
  for (const [name, value, min] of [
    ['--repeat', repeat, 1],
    ['--clients', rest.clients ?? 1, 1],
    ['--requests', rest.requests ?? 1, 1],
    ['--watchers', rest.watchers ?? 1, 1],
  ] as const) {
    if (value < min) throw new CliError(`${name} must be at least ${min}, got ${value}`);
  }
  const runs: ApiServerBenchRow[][] = [];
  for (let i = 0; i < repeat; i++) runs.push(await runApiServerBench(rest));
  const first = runs[0] ?? [];
  const rows = first.map((_, i) =>
    medianBy(
      runs.map((run) => run[i] as ApiServerBenchRow),
      (r) => r.opsPerSecond,
    ),
  );
  const spread = (i: number): string =>
    repeat === 1
      ? ''
      : runs
          .map((run) => (run[i] as ApiServerBenchRow).opsPerSecond.toLocaleString('en-US'))
          .join(', ');
  out(
    table(
      [
        'benchmark',
        'ops',
        'wall ms',
        'per second',
        'target/s',
        'CPU µs/op',
        'scavenges/1k',
        'p50 ms (virtual)',
        'p99 ms (virtual)',
        ...(repeat === 1 ? [] : ['runs']),
      ],
      rows.map((r, i) => [
        r.name,
        r.ops,
        r.wallMs,
        r.opsPerSecond.toLocaleString('en-US'),
        targetCell(r.opsPerSecond, APISERVER_BENCH_TARGETS[r.name]),
        r.cpuUsPerOp.toLocaleString('en-US'),
        r.scavengesPer1kOps.toFixed(1),
        (r.latencyP50Us / 1000).toFixed(2),
        (r.latencyP99Us / 1000).toFixed(2),
        ...(repeat === 1 ? [] : [spread(i)]),
      ]),
    ),
  );
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      {
        benchmark: 'apiserver',
        node: process.version,
        options: { ...DEFAULT_APISERVER_BENCH, ...rest },
        repeat,
        rows,
        runs,
        targets: APISERVER_BENCH_TARGETS,
      },
      null,
      2,
    ),
  );
  out(`wrote ${file}`);
  return rows.every((r) => r.opsPerSecond >= (APISERVER_BENCH_TARGETS[r.name] ?? 0)) ? 0 : 1;
}

/** The median element by `key` (the lower middle one for an even count). */
function medianBy<T>(items: readonly T[], key: (t: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
}

/**
 * `ksim bench controllers`: a Deployment, a Job and a DaemonSet, each on a fresh simulated
 * cluster, timed from creation to their goal. With `repeat` > 1 each row reports its median run
 * and every run's wall seconds, as `ksim bench store` does. Exit code 1 when a workload misses its
 * goal or the Deployment misses its wall-clock target.
 */
export async function benchControllers(
  opts: { readonly out: string; readonly repeat?: number } & Partial<ControllersBenchOptions>,
  out: (s: string) => void,
): Promise<number> {
  const { out: file, repeat = 1, ...rest } = opts;
  if (repeat < 1) throw new CliError(`--repeat must be at least 1, got ${repeat}`);
  const options: ControllersBenchOptions = { ...DEFAULT_CONTROLLERS_BENCH, ...rest };
  out(
    options.raft
      ? 'store: 3-member Raft store'
      : 'store: the in-memory store (--raft for the 3-member Raft store)',
  );
  out(
    options.priorityAndFairness === false
      ? 'API server: max-in-flight (429 over 400 reads / 200 writes at once)'
      : 'API server: priority and fairness (--no-priority-and-fairness for max-in-flight)',
  );
  out(
    `cost model: ${options.costModel ?? 'zero'}${options.costModel === 'upstream-like' ? '' : ' (--cost-model upstream-like: control-plane work takes virtual time)'}`,
  );
  const runs: ControllersBenchRow[][] = [];
  for (let i = 0; i < repeat; i++) runs.push(await runControllersBench(options));
  const first = runs[0] ?? [];
  const rows = first.map((_, i) =>
    medianBy(
      runs.map((run) => run[i] as ControllersBenchRow),
      (r) => r.wallSeconds,
    ),
  );
  const spread = (i: number): string =>
    runs.map((run) => (run[i] as ControllersBenchRow).wallSeconds.toFixed(1)).join(', ');
  out(
    table(
      [
        'workload',
        'nodes',
        'objects',
        'observed',
        'virtual s',
        'wall s',
        'host CPU s',
        'events',
        'syncs (objects walked)',
        '429s (cm / scheduler / kubelets)',
        'queued (cm / scheduler / kubelets; max wait)',
        'objects/s (wall)',
        'objects/s (virtual)',
        'control-plane CPU s',
        'target',
        ...(repeat === 1 ? [] : ['runs (wall s)']),
      ],
      rows.map((r, i) => [
        r.name,
        r.nodes,
        r.objects,
        r.done ? r.observed : `${r.observed} (goal not reached)`,
        r.virtualSeconds.toFixed(1),
        r.wallSeconds.toFixed(1),
        r.hostCpuSeconds.toFixed(1),
        r.workloadEvents.toLocaleString('en-US'),
        syncsCell(r),
        throttledCell(r),
        queuedCell(r),
        `${r.objectsPerSecond.toLocaleString('en-US')} objects/s`,
        `${r.virtualObjectsPerSecond.toLocaleString('en-US')} objects/s`,
        cpuCell(r),
        wallTargetCell(r),
        ...(repeat === 1 ? [] : [spread(i)]),
      ]),
    ),
  );
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      {
        benchmark: 'controllers',
        node: process.version,
        store: options.raft ? 'raft-3' : 'in-memory',
        costModel: options.costModel ?? 'zero',
        options,
        repeat,
        note: "wall and virtual seconds from the workload creation (all nodes Ready) to all pods Running (Deployment, DaemonSet) or the Job Complete; hostCpuSeconds and workloadEvents over the same span (events counts the whole run); objects/s = objects / wall seconds; virtual objects/s = objects / virtual seconds, the simulated cluster's own throughput (meaningful with a cost model)",
        rows,
        runs,
        targetsWallSeconds: CONTROLLERS_WALL_TARGET_S,
      },
      null,
      2,
    ),
  );
  out(`wrote ${file}`);
  return rows.every(
    (r) => r.done && (r.targetWallSeconds === undefined || r.wallSeconds <= r.targetWallSeconds),
  )
    ? 0
    : 1;
}

/** Syncs per counted controller and the cached objects they walked, or "-" for none. */
function syncsCell(r: ControllersBenchRow): string {
  const cells = Object.entries(r.syncs).map(
    ([name, s]) =>
      `${name} ${s.syncs.toLocaleString('en-US')} (${s.walked.toLocaleString('en-US')})`,
  );
  return cells.length === 0 ? '-' : cells.join(', ');
}

/** The API server's 429 answers to the controller manager, the scheduler and the kubelets. */
function throttledCell(r: ControllersBenchRow): string {
  const t = r.throttled;
  return [t['controller-manager'], t.scheduler, t.kubelets]
    .map((n) => n.toLocaleString('en-US'))
    .join(' / ');
}

/** Requests that waited for a priority level's seat, by client, and the longest wait. */
function queuedCell(r: ControllersBenchRow): string {
  const q = r.queued;
  const counts = [q['controller-manager'], q.scheduler, q.kubelets]
    .map((n) => n.toLocaleString('en-US'))
    .join(' / ');
  return `${counts}; ${r.maxQueueWaitSeconds.toFixed(3)} s`;
}

/** Virtual CPU seconds per control-plane component (the cost model's charges). */
function cpuCell(r: ControllersBenchRow): string {
  const c = r.cpuSeconds;
  return `api ${c.apiserver.toFixed(1)}, sched ${c.scheduler.toFixed(1)}, cm ${c['controller-manager'].toFixed(1)}, store ${c.store.toFixed(1)}`;
}

function wallTargetCell(r: ControllersBenchRow): string {
  if (r.targetWallSeconds === undefined) return 'none';
  return `<= ${r.targetWallSeconds} s wall ${r.done && r.wallSeconds <= r.targetWallSeconds ? 'ok' : 'MISSED'}`;
}
