/**
 * `ksim bench cluster`: the whole cluster's speed in shapes from the scale issue. An idle row
 * starts N nodes on the 3-member Raft store and runs a fixed span of virtual time in which the
 * kubelets only renew their leases (every 10 s) and post node status (on change, else every
 * 5 min); a pods row creates a Deployment once every node is Ready and runs until all its pods
 * are Running (the controllers benchmark's Deployment workload). Rows report wall and virtual
 * seconds, how many times faster than real time, the events the loop ran, the process's peak
 * resident set size, and (idle rows) the heap the cluster retains per node.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ClusterLayout, StoreMemberTuning } from '../../../core/cluster/assembly.ts';
import { buildCluster } from '../../cluster.ts';
import { Simulation } from '../../simulation.ts';
import { DEFAULT_CONTROLLERS_BENCH, runControllersBench } from './controllers.ts';

export interface ClusterShape {
  readonly name: string;
  readonly nodes: number;
  /** 0: an idle cluster; otherwise the replicas of one Deployment. */
  readonly pods: number;
  /** Idle rows: the virtual time run. Pods rows: the limit before the run gives up. */
  readonly virtualSeconds: number;
}

/** The shapes, in the order they run (smallest first, since RSS peaks only grow). */
export const CLUSTER_SHAPES: readonly ClusterShape[] = [
  { name: 'idle-100', nodes: 100, pods: 0, virtualSeconds: 3600 },
  { name: 'idle-1000', nodes: 1000, pods: 0, virtualSeconds: 3600 },
  { name: 'pods-150k', nodes: 5000, pods: 150_000, virtualSeconds: 1800 },
];

/** The targets: times faster than real time for idle rows, wall seconds for pods rows. */
export const CLUSTER_TARGETS: Readonly<
  Record<string, { readonly xRealTime?: number; readonly wallSeconds?: number }>
> = {
  'idle-100': { xRealTime: 1000 },
  'idle-1000': { xRealTime: 300 },
  'pods-150k': { wallSeconds: 60 },
};

export interface ClusterBenchOptions {
  readonly seed: number;
  readonly shapes: readonly ClusterShape[];
  /** Receives each row's trace as JSON lines (tests count writes from it). */
  readonly traceSink?: (shape: string, line: string) => void;
}

export interface ClusterBenchRow {
  readonly name: string;
  readonly nodes: number;
  readonly pods: number;
  /** Pods rows: whether every pod was Running before the limit. Idle rows: always true. */
  readonly done: boolean;
  readonly wallSeconds: number;
  /** User + system CPU seconds of the row: steadier than wall time on a loaded machine. */
  readonly cpuSeconds: number;
  readonly virtualSeconds: number;
  readonly xRealTime: number;
  /** The process's peak resident set size so far, in MiB (it only grows across rows). */
  readonly peakRssMiB: number;
  /** V8 heap in use at the end of the row, in MiB (garbage not yet collected included). */
  readonly heapUsedMiB: number;
  /**
   * Idle rows: what the cluster keeps on the V8 heap per node at the end of the row, in KiB:
   * the heap after a full collection, less the heap after one before the cluster was built,
   * over the nodes (control plane included). Undefined for pods rows.
   */
  readonly retainedKiBPerNode?: number;
  readonly events: number;
}

/** Wall clock for the harness only; it never flows into the simulation. */
const wallMs = (): number => performance.now();

export async function runClusterBench(opts: ClusterBenchOptions): Promise<ClusterBenchRow[]> {
  const rows: ClusterBenchRow[] = [];
  for (const shape of opts.shapes) {
    const cpu = process.cpuUsage();
    const r = shape.pods === 0 ? await runIdle(shape, opts, cpu) : await runPods(shape, opts);
    const used = r.cpu ?? process.cpuUsage(cpu);
    const { cpu: _, ...fields } = r;
    rows.push({ ...fields, cpuSeconds: round3((used.user + used.system) / 1e6) });
  }
  return rows;
}

/**
 * The control plane an idle cluster has (store, API server, scheduler, controller manager) and
 * N kubelets; kube-proxy and the metrics-server stay off, as in the controllers benchmark, so
 * the row measures the node heartbeat path. Tests build the same cluster.
 */
export function buildIdleCluster(
  sim: Simulation,
  nodes: number,
  tuning?: StoreMemberTuning,
): ClusterLayout {
  return buildCluster(sim, {
    store: { members: 3, ...(tuning === undefined ? {} : { tuning }) },
    metricsServer: false,
    nodePools: [
      {
        namePrefix: 'node',
        count: nodes,
        capacity: { cpu: '32', memory: '128Gi', pods: '110' },
        proxy: false,
      },
    ],
    podNetwork: { clusterCIDR: '10.0.0.0/11', nodeCIDRMaskSize: 24 },
  });
}

/**
 * `cpu`: the row's CPU usage when it ended, if the row measures it itself (an idle row, so that
 * the heap measurement's collections are left out).
 */
type RowResult = Omit<ClusterBenchRow, 'cpuSeconds'> & { readonly cpu?: NodeJS.CpuUsage };

async function runIdle(
  shape: ClusterShape,
  opts: ClusterBenchOptions,
  cpuStart: NodeJS.CpuUsage,
): Promise<RowResult> {
  const heapBefore = retainedHeapBytes();
  const cpuBefore = process.cpuUsage(cpuStart);
  const start = wallMs();
  const sim = new Simulation({ seed: opts.seed, traceLevel: 'info', checkImmutability: false });
  const sink = opts.traceSink;
  if (sink !== undefined) sim.trace.addSink((line) => sink(shape.name, line));
  buildIdleCluster(sim, shape.nodes);
  const outcome = await sim.run({ untilUs: shape.virtualSeconds * 1_000_000 });
  const wallSeconds = (wallMs() - start) / 1000;
  const ran = process.cpuUsage(cpuStart);
  const cpu = { user: ran.user - cpuBefore.user, system: ran.system - cpuBefore.system };
  const r = row(shape, true, wallSeconds, sim.now / 1e6, outcome.eventsRun);
  // Measured while `sim` is still in use, so what it holds counts.
  const retained = retainedHeapBytes() - heapBefore;
  return { ...r, cpu, retainedKiBPerNode: Math.round(retained / 1024 / shape.nodes) };
}

/** V8's collector, made callable without --expose-gc on the command line (the harness only). */
let fullGc: (() => void) | undefined;

/** Heap in use after full collections: what is still referenced. */
function retainedHeapBytes(): number {
  if (fullGc === undefined) {
    setFlagsFromString('--expose-gc');
    fullGc = runInNewContext('gc') as () => void;
  }
  // A second pass collects what finalizers of the first released.
  fullGc();
  fullGc();
  return process.memoryUsage().heapUsed;
}

async function runPods(shape: ClusterShape, opts: ClusterBenchOptions): Promise<RowResult> {
  const sink = opts.traceSink;
  const [r] = await runControllersBench({
    ...DEFAULT_CONTROLLERS_BENCH,
    seed: opts.seed,
    only: 'deployment',
    nodes: shape.nodes,
    replicas: shape.pods,
    raft: true,
    limitUs: shape.virtualSeconds * 1_000_000,
    ...(sink === undefined ? {} : { traceSink: (_w, line) => sink(shape.name, line) }),
  });
  if (r === undefined) throw new Error(`the ${shape.name} row produced no result`);
  return row(shape, r.done, r.wallSeconds, r.virtualSeconds, r.events);
}

function row(
  shape: ClusterShape,
  done: boolean,
  wallSeconds: number,
  virtualSeconds: number,
  events: number,
): Omit<ClusterBenchRow, 'cpuSeconds'> {
  // The ratio of the figures printed, so that a reader can check it against them.
  const wall = round3(wallSeconds);
  const virtual = round3(virtualSeconds);
  return {
    name: shape.name,
    nodes: shape.nodes,
    pods: shape.pods,
    done,
    wallSeconds: wall,
    virtualSeconds: virtual,
    xRealTime: wall === 0 ? 0 : Math.round(virtual / wall),
    // resourceUsage's maxRSS is in KiB.
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapUsedMiB: Math.round(process.memoryUsage().heapUsed / (1024 * 1024)),
    events,
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Whether a row meets its target (a row without one always does). */
export function meetsTarget(r: ClusterBenchRow): boolean {
  const t = CLUSTER_TARGETS[r.name];
  if (!r.done) return false;
  if (t === undefined) return true;
  if (t.xRealTime !== undefined && r.xRealTime < t.xRealTime) return false;
  if (t.wallSeconds !== undefined && r.wallSeconds > t.wallSeconds) return false;
  return true;
}

/** A shape named by `--only`, or the custom one `--nodes` (with `--pods`, `--virtual-seconds`) makes. */
export function selectShapes(
  only: readonly string[] | undefined,
  custom: { nodes?: number; pods?: number; virtualSeconds?: number },
): ClusterShape[] {
  if (custom.nodes !== undefined) {
    if (only !== undefined)
      throw new Error('--only names the built-in rows; --nodes makes its own');
    const pods = custom.pods ?? 0;
    return [
      {
        name: pods === 0 ? `idle-${custom.nodes}` : `pods-${pods}`,
        nodes: custom.nodes,
        pods,
        virtualSeconds: custom.virtualSeconds ?? (pods === 0 ? 3600 : 1800),
      },
    ];
  }
  if (custom.pods !== undefined || custom.virtualSeconds !== undefined) {
    throw new Error('--pods and --virtual-seconds need --nodes');
  }
  if (only === undefined) return [...CLUSTER_SHAPES];
  const names = CLUSTER_SHAPES.map((s) => s.name);
  for (const o of only) {
    if (!names.includes(o)) {
      throw new Error(`--only: unknown row ${JSON.stringify(o)}; the rows are ${names.join(', ')}`);
    }
  }
  return CLUSTER_SHAPES.filter((s) => only.includes(s.name));
}
