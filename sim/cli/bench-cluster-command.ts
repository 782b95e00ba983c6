import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  CLUSTER_TARGETS,
  meetsTarget,
  runClusterBench,
  selectShapes,
  type ClusterBenchRow,
} from './bench/cluster.ts';
import { CliError } from './errors.ts';
import { table } from './format.ts';

export interface BenchClusterOptions {
  readonly out: string;
  readonly seed?: number;
  readonly only?: readonly string[];
  readonly nodes?: number;
  readonly pods?: number;
  readonly virtualSeconds?: number;
  readonly repeat?: number;
  /** Print the JSON document instead of the table. */
  readonly json?: boolean;
}

/**
 * `ksim bench cluster`: the scale issue's cluster shapes, a row each. With `repeat` > 1 each row
 * reports its median run by wall seconds and every run's, as `ksim bench controllers` does.
 * Exit code 1 when a row misses its goal or its target.
 */
export async function benchCluster(
  opts: BenchClusterOptions,
  out: (s: string) => void,
): Promise<number> {
  const repeat = opts.repeat ?? 1;
  if (repeat < 1) throw new CliError(`--repeat must be at least 1, got ${repeat}`);
  let shapes;
  try {
    shapes = selectShapes(opts.only, opts);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const seed = opts.seed ?? 1;
  const runs: ClusterBenchRow[][] = [];
  for (let i = 0; i < repeat; i++) runs.push(await runClusterBench({ seed, shapes }));
  const rows = shapes.map((_, i) => medianByWall(runs.map((run) => run[i] as ClusterBenchRow)));
  const document = {
    benchmark: 'cluster',
    node: process.version,
    store: 'raft-3',
    seed,
    shapes,
    repeat,
    note: 'idle rows: wall and virtual seconds of the whole run from the cluster start; pods rows: from the Deployment creation (all nodes Ready) to all pods Running. peakRssMiB is the process peak so far (rows run in order); heapUsedMiB is the V8 heap in use at the end of the row; retainedKiBPerNode (idle rows) is the heap still referenced after a full collection at the end of the row, less that before the cluster was built, per node; cpuSeconds is user + system CPU of the row',
    rows,
    runs,
    targets: CLUSTER_TARGETS,
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(document, null, 2));
  if (opts.json === true) out(JSON.stringify(document, null, 2));
  else {
    out('store: 3-member Raft store');
    out(renderTable(rows, repeat === 1 ? undefined : runs));
    out(`wrote ${opts.out}`);
  }
  return rows.every(meetsTarget) ? 0 : 1;
}

function renderTable(rows: readonly ClusterBenchRow[], runs?: ClusterBenchRow[][]): string {
  return table(
    [
      'row',
      'nodes',
      'pods',
      'wall s',
      'cpu s',
      'virtual s',
      'x real time',
      'peak RSS MiB',
      'heap KiB/node',
      'events',
      'target',
      ...(runs === undefined ? [] : ['runs (wall s)']),
    ],
    rows.map((r, i) => [
      r.name,
      r.nodes,
      r.pods,
      r.wallSeconds.toFixed(1),
      r.cpuSeconds.toFixed(1),
      r.done ? r.virtualSeconds.toFixed(0) : `${r.virtualSeconds.toFixed(0)} (goal not reached)`,
      `${r.xRealTime}x`,
      r.peakRssMiB,
      r.retainedKiBPerNode ?? '-',
      r.events,
      targetCell(r),
      ...(runs === undefined
        ? []
        : [runs.map((run) => (run[i] as ClusterBenchRow).wallSeconds.toFixed(1)).join(', ')]),
    ]),
  );
}

function targetCell(r: ClusterBenchRow): string {
  const t = CLUSTER_TARGETS[r.name];
  if (t === undefined) return 'none';
  const verdict = meetsTarget(r) ? 'ok' : 'MISSED';
  if (t.xRealTime !== undefined) return `>= ${t.xRealTime}x ${verdict}`;
  return `<= ${t.wallSeconds} s wall ${verdict}`;
}

function medianByWall(rows: readonly ClusterBenchRow[]): ClusterBenchRow {
  const sorted = [...rows].sort((a, b) => a.wallSeconds - b.wallSeconds);
  return sorted[Math.floor((sorted.length - 1) / 2)] as ClusterBenchRow;
}
