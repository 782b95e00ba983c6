/**
 * `ksim bench store --real`: the built-in store as three `ksim real store` processes on
 * loopback (WAL fsynced before every acknowledgement, Raft over framed TCP), driven by
 * `clients` concurrent closed-loop clients in this process over the same TCP transport:
 *
 * - writes: every client puts a random key (of `keys`) with a `valueBytes` value and waits for
 *   the reply (committed and applied on the leader);
 * - linearizable reads: every client reads a random key through the leader's ReadIndex.
 *
 * Throughput is operations per wall-clock second, latency the wall time each client waited.
 * The members run on the same (shared) cores as the clients, so the figures are the whole
 * system's on this machine: quote them with the load average, which the run prints.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KvClient } from '../../../core/store/kv-client.ts';
import type { Op } from '../../../core/store/types.ts';
import { parseAddressBook, type AddressBook } from '../../../real/host/address-book.ts';
import { HostRandom } from '../../../real/host/host-random.ts';
import { TcpTransport } from '../../../real/host/tcp-transport.ts';
import { WallClock } from '../../../real/host/wall-clock.ts';
import { table } from '../format.ts';
import { freePort, StoreProcesses } from '../real-store-processes.ts';

export type RealStoreRowName = 'writes' | 'linearizable reads';

export interface RealStoreRow {
  readonly name: RealStoreRowName;
  readonly ops: number;
  readonly wallMs: number;
  readonly opsPerSecond: number;
  readonly latencyP50Us: number;
  readonly latencyP99Us: number;
  /** The 1-minute load average when the phase ended. */
  readonly load1: number;
}

export interface RealStoreBenchOptions {
  readonly seed: number;
  readonly clients: number;
  readonly writes: number;
  readonly reads: number;
  readonly warmupOps: number;
  readonly keys: number;
  readonly valueBytes: number;
  readonly requestTimeoutUs: number;
}

export const DEFAULT_REAL_STORE_BENCH: RealStoreBenchOptions = {
  seed: 1,
  clients: 256,
  writes: 20_000,
  reads: 40_000,
  warmupOps: 2_000,
  keys: 10_000,
  valueBytes: 100,
  requestTimeoutUs: 5_000_000,
};

/** Starts the three members, runs both phases, and stops and removes everything it made. */
export async function runRealStoreBench(
  options: Partial<RealStoreBenchOptions> = {},
): Promise<RealStoreRow[]> {
  const opts = { ...DEFAULT_REAL_STORE_BENCH, ...options };
  const root = mkdtempSync(join(tmpdir(), 'ksim-bench-real-store-'));
  const procs = new StoreProcesses(root, [await freePort(), await freePort(), await freePort()]);
  let transport: TcpTransport | undefined;
  try {
    await Promise.all(procs.names.map((name, i) => procs.start(name, opts.seed * 100 + i)));
    transport = new TcpTransport('bench-client', parseAddressBook(procs.peers) as AddressBook);
    const clock = new WallClock();
    const client = new KvClient(transport, procs.names, {
      requestTimeoutUs: opts.requestTimeoutUs,
      readRetries: 3,
      clock,
      leaderWaitUs: 30_000_000,
    });
    const random = HostRandom.root(opts.seed).fork('bench');
    const value = 'v'.repeat(opts.valueBytes);
    const put = (): Op => ({ kind: 'put', key: `/bench/${random.int(opts.keys)}`, value });
    const get = (): Op => ({ kind: 'range', key: `/bench/${random.int(opts.keys)}` });
    await untilLeader(client, clock);
    await phase(client, clock, opts.clients, opts.warmupOps, put);
    const writes = await phase(client, clock, opts.clients, opts.writes, put);
    const reads = await phase(client, clock, opts.clients, opts.reads, get);
    return [row('writes', writes), row('linearizable reads', reads)];
  } finally {
    await transport?.close();
    await procs.stopAll();
    rmSync(root, { recursive: true, force: true });
  }
}

async function untilLeader(client: KvClient, clock: WallClock): Promise<void> {
  for (;;) {
    const r = await client.do({ kind: 'put', key: '/bench/ready', value: '' });
    if (r.kind === 'put') return;
    await clock.sleep(50_000);
  }
}

interface PhaseResult {
  readonly ops: number;
  readonly wallUs: number;
  readonly latenciesUs: number[];
}

/** `ops` operations from `clients` closed-loop clients; every one must succeed. */
async function phase(
  client: KvClient,
  clock: WallClock,
  clients: number,
  ops: number,
  next: () => Op,
): Promise<PhaseResult> {
  let left = ops;
  const latenciesUs: number[] = [];
  const startUs = clock.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (left > 0) {
        left--;
        const op = next();
        const t0 = clock.now();
        const r = await client.do(op);
        if (r.kind !== op.kind)
          throw new Error(`bench store --real: ${op.kind} failed: ${JSON.stringify(r)}`);
        latenciesUs.push(clock.now() - t0);
      }
    }),
  );
  return { ops, wallUs: clock.now() - startUs, latenciesUs };
}

function row(name: RealStoreRowName, r: PhaseResult): RealStoreRow {
  const sorted = [...r.latenciesUs].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    name,
    ops: r.ops,
    wallMs: Math.round(r.wallUs / 1_000),
    opsPerSecond: Math.round(r.ops / (r.wallUs / 1_000_000)),
    latencyP50Us: at(0.5),
    latencyP99Us: at(0.99),
    load1: Number(loadavg()[0]!.toFixed(2)),
  };
}

/**
 * Runs the benchmark `repeat` times (each on fresh processes and directories), prints a table
 * of the median run per row with every run's throughput and the load average, and writes JSON.
 * There is no target yet: the comparison with etcd is a later step.
 */
export async function benchRealStore(
  opts: Partial<RealStoreBenchOptions> & { readonly out: string; readonly repeat: number },
  out: (s: string) => void,
): Promise<number> {
  const { out: file, repeat, ...options } = opts;
  const runs: RealStoreRow[][] = [];
  for (let i = 0; i < repeat; i++) runs.push(await runRealStoreBench(options));
  const rows = runs[0]!.map((_, i) => median(runs.map((run) => run[i]!)));
  out(
    table(
      [
        'benchmark (3 processes, loopback)',
        'ops',
        'throughput',
        'p50 ms',
        'p99 ms',
        'runs',
        'load',
      ],
      rows.map((r, i) => [
        r.name,
        r.ops,
        `${r.opsPerSecond.toLocaleString('en-US')} ${r.name === 'writes' ? 'writes' : 'reads'}/s`,
        (r.latencyP50Us / 1000).toFixed(2),
        (r.latencyP99Us / 1000).toFixed(2),
        runs.map((run) => run[i]!.opsPerSecond.toLocaleString('en-US')).join(', '),
        runs.map((run) => run[i]!.load1).join(', '),
      ]),
    ),
  );
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      { benchmark: 'store --real', node: process.version, options, repeat, rows, runs },
      null,
      2,
    ),
  );
  out(`wrote ${file}`);
  return 0;
}

/** The run whose throughput is the median (the lower middle one for an even count). */
function median(rows: readonly RealStoreRow[]): RealStoreRow {
  const sorted = [...rows].sort((a, b) => a.opsPerSecond - b.opsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
