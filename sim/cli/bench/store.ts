/**
 * `ksim bench store`: a replicated store (3 members, default network and disk models) under
 * `clients` concurrent closed-loop clients. Two phases, each timed on the wall clock:
 *
 * - writes: every client puts a random key (of `keys`) with a `valueBytes` value, waits for the
 *   reply, repeats; a reply means the write is committed and applied on the leader;
 * - linearizable reads: every client reads a random key through the leader's ReadIndex.
 *
 * Rows report operations per wall-clock second (the simulator's throughput) and the virtual-time
 * latency distribution clients saw (the modelled system's latency). A compactor keeps the MVCC
 * history short, as the API server's compactor would, so snapshots stay small.
 *
 * Wall and CPU time are read here only (performance.now, process.cpuUsage); they never flow into
 * the simulation.
 */
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { KvClient } from '../../../core/store/kv-client.ts';
import { revision, type Op } from '../../../core/store/types.ts';
import { Simulation } from '../../simulation.ts';
import { StoreCluster, type MemberTuning } from '../../store-cluster.ts';

export type StoreBenchRowName = 'writes' | 'linearizable reads';

export interface StoreBenchRow {
  readonly name: StoreBenchRowName;
  readonly ops: number;
  readonly wallMs: number;
  readonly opsPerSecond: number;
  readonly latencyP50Us: number;
  readonly latencyP99Us: number;
  readonly virtualSeconds: number;
  /** Simulation events per operation: how much kernel work one operation costs. */
  readonly eventsPerOp: number;
  /**
   * Process CPU time (user and system) per operation: steadier than the throughput on a shared
   * machine, where other processes take the cores for part of the wall time.
   */
  readonly cpuUsPerOp: number;
}

export interface StoreBenchOptions {
  readonly seed: number;
  readonly members: number;
  readonly clients: number;
  /** Writes measured (after `warmupOps`). */
  readonly writes: number;
  readonly reads: number;
  readonly warmupOps: number;
  readonly keys: number;
  readonly valueBytes: number;
  /** Keep this many revisions of history behind the compactor. */
  readonly retainRevisions: number;
  /** Client request timeout: well above the p99, short enough not to pile up timers. */
  readonly requestTimeoutUs: number;
  readonly tuning?: MemberTuning;
  /** Check mode (SimulationOptions.checkImmutability): measures what checking costs. */
  readonly checkImmutability?: boolean;
}

/** Issue 3's target: committed writes per wall-clock second on the 2-core reference machine. */
export const STORE_BENCH_TARGETS: Readonly<Partial<Record<StoreBenchRowName, number>>> = {
  writes: 50_000,
};

/** One line per row, the throughput as `N writes/s` / `N linearizable reads/s`. */
export function describeStoreBench(rows: readonly StoreBenchRow[]): string[] {
  return rows.map(
    (r) =>
      `${r.opsPerSecond} ${r.name}/s (${r.ops} ops in ${r.wallMs} ms wall, ${r.virtualSeconds.toFixed(3)} s virtual, ` +
      `latency p50 ${(r.latencyP50Us / 1000).toFixed(2)} ms p99 ${(r.latencyP99Us / 1000).toFixed(2)} ms virtual, ${r.eventsPerOp} events/op, ` +
      `${r.cpuUsPerOp} CPU µs/op)`,
  );
}

export const DEFAULT_STORE_BENCH: StoreBenchOptions = {
  seed: 1,
  members: 3,
  clients: 1_000,
  writes: 200_000,
  reads: 200_000,
  warmupOps: 20_000,
  keys: 10_000,
  valueBytes: 100,
  retainRevisions: 5_000,
  requestTimeoutUs: 1_000_000,
  // etcd 3.4's --snapshot-count (the etcd `--real --etcd` compares with): a snapshot serialises
  // the whole store, and taking one every 10,000 entries (etcd 3.6's default, the member's)
  // cost ~15% of this benchmark's CPU.
  tuning: { snapshotEntries: 100_000, catchUpEntries: 1_000 },
};

/** Wall clock for the harness only. */
const wallMs = (): number => performance.now();

/** Process CPU time so far, user and system, in microseconds (the harness only). */
const cpuUs = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

type Phase = 'idle' | 'warmup' | 'measure' | 'done';

/** Shared by the bench's client processes: what to do next and what was measured. */
class PhaseState {
  phase: Phase = 'idle';
  kind: 'write' | 'read' = 'write';
  measured = 0;
  warm = 0;
  latencies: Float64Array;
  startWallMs = 0;
  endWallMs = 0;
  startCpuUs = 0;
  endCpuUs = 0;
  startVirtualUs = 0;
  endVirtualUs = 0;
  latestRevision = 1;

  constructor(
    private readonly warmup: number,
    private readonly now: () => number,
  ) {
    this.latencies = new Float64Array(0);
  }

  begin(kind: 'write' | 'read', target: number): void {
    this.kind = kind;
    this.phase = this.warmup > 0 ? 'warmup' : 'measure';
    this.measured = 0;
    this.warm = 0;
    this.latencies = new Float64Array(target);
    if (this.phase === 'measure') this.mark();
  }

  record(latencyUs: number): void {
    if (this.phase === 'warmup') {
      if (++this.warm >= this.warmup) {
        this.phase = 'measure';
        this.mark();
      }
      return;
    }
    if (this.phase !== 'measure') return;
    this.latencies[this.measured++] = latencyUs;
    if (this.measured >= this.latencies.length) {
      this.phase = 'done';
      this.endWallMs = wallMs();
      this.endCpuUs = cpuUs();
      this.endVirtualUs = this.now();
    }
  }

  private mark(): void {
    this.startWallMs = wallMs();
    this.startCpuUs = cpuUs();
    this.startVirtualUs = this.now();
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function client(
  state: PhaseState,
  members: readonly string[],
  opts: StoreBenchOptions,
  ports: ProcessPorts,
): void {
  const kv = new KvClient(ports.transport, members, {
    requestTimeoutUs: opts.requestTimeoutUs,
    readRetries: 3,
  });
  const random = ports.random.fork('bench');
  const value = 'v'.repeat(opts.valueBytes);
  ports.spawn(async () => {
    for (;;) {
      while (state.phase === 'idle' || state.phase === 'done') await ports.clock.sleep(10_000);
      const key = `/registry/bench/${random.int(opts.keys)}`;
      const op: Op = state.kind === 'write' ? { kind: 'put', key, value } : { kind: 'range', key };
      const startUs = ports.clock.now();
      const r = await kv.do(op);
      if (r.kind === 'unknown' || r.kind === 'not-applied' || r.kind === 'error') continue;
      if (r.header.revision > state.latestRevision) state.latestRevision = r.header.revision;
      state.record(ports.clock.now() - startUs);
    }
  });
}

/** Compacts to `retainRevisions` behind the newest revision a client saw, every 100 ms. */
function compactor(
  state: PhaseState,
  members: readonly string[],
  opts: StoreBenchOptions,
  ports: ProcessPorts,
): void {
  const kv = new KvClient(ports.transport, members, {
    requestTimeoutUs: 5_000_000,
    readRetries: 3,
  });
  let compacted = 0;
  ports.spawn(async () => {
    for (;;) {
      await ports.clock.sleep(100_000);
      const target = state.latestRevision - opts.retainRevisions;
      if (target <= compacted) continue;
      const r = await kv.do({ kind: 'compact', revision: revision(target) });
      if (r.kind === 'compact') compacted = target;
    }
  });
}

async function runPhase(
  sim: Simulation,
  state: PhaseState,
  name: StoreBenchRowName,
  target: number,
): Promise<StoreBenchRow> {
  state.begin(name === 'writes' ? 'write' : 'read', target);
  let eventsAtStart = 0;
  let events = 0;
  await sim.run({
    stopWhen: () => {
      if (state.phase === 'warmup' || state.phase === 'idle')
        eventsAtStart = sim.loop.eventsProcessed;
      events = sim.loop.eventsProcessed - eventsAtStart;
      return state.phase === 'done';
    },
  });
  const sorted = state.latencies.slice(0, state.measured).sort();
  const elapsedMs = state.endWallMs - state.startWallMs;
  return {
    name,
    ops: state.measured,
    wallMs: Math.round(elapsedMs),
    opsPerSecond: Math.round(state.measured / (elapsedMs / 1000)),
    latencyP50Us: percentile(sorted, 50),
    latencyP99Us: percentile(sorted, 99),
    virtualSeconds: (state.endVirtualUs - state.startVirtualUs) / 1e6,
    eventsPerOp: Math.round((events / Math.max(1, state.measured)) * 100) / 100,
    cpuUsPerOp:
      Math.round(((state.endCpuUs - state.startCpuUs) / Math.max(1, state.measured)) * 10) / 10,
  };
}

export async function runStoreBench(
  options: Partial<StoreBenchOptions> = {},
): Promise<StoreBenchRow[]> {
  const opts: StoreBenchOptions = { ...DEFAULT_STORE_BENCH, ...options };
  const sim = new Simulation({
    seed: opts.seed,
    checkImmutability: opts.checkImmutability ?? false,
  });
  const cluster = new StoreCluster(sim, {
    members: opts.members,
    ...(opts.tuning === undefined ? {} : { tuning: opts.tuning }),
  });
  await sim.run({ untilUs: 30_000_000, stopWhen: () => cluster.leader() !== undefined });
  if (cluster.leader() === undefined)
    throw new Error('bench store: no leader elected within 30 s of virtual time');
  const state = new PhaseState(opts.warmupOps, () => sim.now);
  for (let i = 0; i < opts.clients; i++)
    sim.spawnProcess(`bench-client-${i}`, (p) => client(state, cluster.names, opts, p));
  sim.spawnProcess('bench-compactor', (p) => compactor(state, cluster.names, opts, p));
  const writes = await runPhase(sim, state, 'writes', opts.writes);
  const reads = await runPhase(sim, state, 'linearizable reads', opts.reads);
  return [writes, reads];
}
