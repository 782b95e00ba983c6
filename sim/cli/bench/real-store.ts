/**
 * `ksim bench store --real [--etcd]`: the built-in store as three `ksim real store` processes
 * on loopback (WAL fsynced before every acknowledgement, Raft over framed TCP) and, with
 * `--etcd`, Debian's etcd 3.4 as three processes on loopback too, each driven by `clients`
 * concurrent closed-loop clients in this process under the same workload:
 *
 * - writes: every client puts a random key (of `keys`) with a `valueBytes` value and waits for
 *   the reply (committed and applied on the leader);
 * - linearizable reads: every client reads a random key (ReadIndex on both stores).
 *
 * The built-in store's clients are a KvClient over the framed-TCP transport, etcd's the etcd
 * adapter (real/etcd/etcd-kv.ts, gRPC through the etcd3 package): each store through the
 * client the API server uses for it. Throughput is operations per wall-clock second, latency
 * the wall time each client waited. The members run on the same (shared) cores as the clients,
 * so the figures are the whole system's on this machine: quote them with the load average,
 * which the run prints.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KvClient, type StoreClient } from '../../../core/store/kv-client.ts';
import type { Op } from '../../../core/store/types.ts';
import { EtcdKv } from '../../../real/etcd/etcd-kv.ts';
import { EtcdProcesses, etcdMissing } from '../../../real/etcd/etcd-processes.ts';
import { parseAddressBook, type AddressBook } from '../../../real/host/address-book.ts';
import { HostRandom } from '../../../real/host/host-random.ts';
import { TcpTransport } from '../../../real/host/tcp-transport.ts';
import { WallClock } from '../../../real/host/wall-clock.ts';
import { CliError } from '../errors.ts';
import { table } from '../format.ts';
import { freePort, StoreProcesses } from '../real-store-processes.ts';

/** Which store a row measured: the built-in one, or etcd. */
export type BenchedStore = 'ksim' | 'etcd';

export type RealStoreRowName = 'writes' | 'linearizable reads';

export interface RealStoreRow {
  readonly store: BenchedStore;
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

/** A running three-member store and the client the bench drives it through. */
interface RunningStore {
  readonly client: StoreClient;
  stop(): Promise<void>;
}

async function startBuiltIn(root: string, opts: RealStoreBenchOptions): Promise<RunningStore> {
  const procs = new StoreProcesses(root, [await freePort(), await freePort(), await freePort()]);
  let transport: TcpTransport | undefined;
  const stop = async (): Promise<void> => {
    await transport?.close();
    await procs.stopAll();
  };
  try {
    await Promise.all(procs.names.map((name, i) => procs.start(name, opts.seed * 100 + i)));
    transport = new TcpTransport('bench-client', parseAddressBook(procs.peers) as AddressBook);
    const client = new KvClient(transport, procs.names, {
      requestTimeoutUs: opts.requestTimeoutUs,
      readRetries: 3,
      clock: new WallClock(),
      leaderWaitUs: 30_000_000,
    });
    return { client, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function startEtcd(root: string, opts: RealStoreBenchOptions): Promise<RunningStore> {
  const ports = [];
  for (let i = 0; i < 3; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const procs = new EtcdProcesses(root, ports);
  let client: EtcdKv | undefined;
  const stop = async (): Promise<void> => {
    client?.close();
    await procs.killAll();
  };
  try {
    await procs.startAll();
    client = new EtcdKv({
      endpoints: procs.endpoints,
      requestTimeoutMs: opts.requestTimeoutUs / 1_000,
      readRetries: 3,
    });
    return { client, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Starts the three members of `store`, runs both phases, and removes everything it made. */
export async function runRealStoreBench(
  options: Partial<RealStoreBenchOptions> = {},
  store: BenchedStore = 'ksim',
): Promise<RealStoreRow[]> {
  const opts = { ...DEFAULT_REAL_STORE_BENCH, ...options };
  const root = mkdtempSync(join(tmpdir(), `ksim-bench-real-store-${store}-`));
  let running: RunningStore | undefined;
  try {
    running = await (store === 'ksim' ? startBuiltIn(root, opts) : startEtcd(root, opts));
    const { client } = running;
    const clock = new WallClock();
    // The same seed, so both stores see the same keys in the same order.
    const random = HostRandom.root(opts.seed).fork('bench');
    const value = 'v'.repeat(opts.valueBytes);
    const put = (): Op => ({ kind: 'put', key: `/bench/${random.int(opts.keys)}`, value });
    const get = (): Op => ({ kind: 'range', key: `/bench/${random.int(opts.keys)}` });
    await untilLeader(client, clock);
    await phase(client, clock, opts.clients, opts.warmupOps, put);
    const writes = await phase(client, clock, opts.clients, opts.writes, put);
    const reads = await phase(client, clock, opts.clients, opts.reads, get);
    return [row(store, 'writes', writes), row(store, 'linearizable reads', reads)];
  } finally {
    await running?.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Writes until one succeeds: the store has a leader (etcd: and a quorum serving clients). */
async function untilLeader(client: StoreClient, clock: WallClock): Promise<void> {
  for (let i = 0; ; i++) {
    const r = await client.do({ kind: 'put', key: '/bench/ready', value: '' });
    if (r.kind === 'put') return;
    if (i === 600) throw new Error(`bench store --real: no leader: ${JSON.stringify(r)}`);
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
  client: StoreClient,
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

function row(store: BenchedStore, name: RealStoreRowName, r: PhaseResult): RealStoreRow {
  const sorted = [...r.latenciesUs].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    store,
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
 * Runs the benchmark `repeat` times (each on fresh processes and directories; with `etcd`, the
 * built-in store then etcd in every round, so both see the same load over time), prints a table
 * of the median run per row with every run's throughput and the load average — with etcd, the
 * built-in store's throughput as a multiple of etcd's — and writes JSON.
 */
export async function benchRealStore(
  opts: Partial<RealStoreBenchOptions> & {
    readonly out: string;
    readonly repeat: number;
    readonly etcd?: boolean;
  },
  out: (s: string) => void,
): Promise<number> {
  const { out: file, repeat, etcd, ...options } = opts;
  const stores: BenchedStore[] = etcd === true ? ['ksim', 'etcd'] : ['ksim'];
  if (etcd === true) {
    const missing = etcdMissing();
    if (missing !== undefined) throw new CliError(`--etcd: ${missing}`);
  }
  const runs: RealStoreRow[][] = [];
  for (let i = 0; i < repeat; i++) {
    const round: RealStoreRow[] = [];
    for (const store of stores) round.push(...(await runRealStoreBench(options, store)));
    runs.push(round);
  }
  const rows = runs[0]!.map((_, i) => median(runs.map((run) => run[i]!)));
  const etcdRow = (r: RealStoreRow): RealStoreRow | undefined =>
    rows.find((e) => e.store === 'etcd' && e.name === r.name);
  const ratios = rows
    .filter((r) => r.store === 'ksim' && etcdRow(r) !== undefined)
    .map((r) => ({ name: r.name, ksimOverEtcd: ratio(r, etcdRow(r)!) }));
  out(
    table(
      [
        'store',
        'benchmark (3 processes, loopback)',
        'ops',
        'throughput',
        'p50 ms',
        'p99 ms',
        ...(etcd === true ? ['vs etcd'] : []),
        'runs',
        'load',
      ],
      rows.map((r, i) => {
        const vs = etcdRow(r);
        return [
          r.store === 'ksim' ? 'ksim' : 'etcd 3.4',
          r.name,
          r.ops,
          `${r.opsPerSecond.toLocaleString('en-US')} ${r.name === 'writes' ? 'writes' : 'reads'}/s`,
          (r.latencyP50Us / 1000).toFixed(2),
          (r.latencyP99Us / 1000).toFixed(2),
          ...(etcd === true
            ? [r.store === 'ksim' && vs !== undefined ? `${ratio(r, vs).toFixed(2)}x` : '']
            : []),
          runs.map((run) => run[i]!.opsPerSecond.toLocaleString('en-US')).join(', '),
          runs.map((run) => run[i]!.load1).join(', '),
        ];
      }),
    ),
  );
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      {
        benchmark: etcd === true ? 'store --real --etcd' : 'store --real',
        node: process.version,
        options,
        repeat,
        rows,
        ...(etcd === true ? { ratios } : {}),
        runs,
      },
      null,
      2,
    ),
  );
  out(`wrote ${file}`);
  return 0;
}

/** The built-in store's throughput as a multiple of etcd's. */
function ratio(ksim: RealStoreRow, etcd: RealStoreRow): number {
  return Number((ksim.opsPerSecond / etcd.opsPerSecond).toFixed(3));
}

/** The run whose throughput is the median (the lower middle one for an even count). */
function median(rows: readonly RealStoreRow[]): RealStoreRow {
  const sorted = [...rows].sort((a, b) => a.opsPerSecond - b.opsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
