/**
 * `ksim bench apiserver`: the API server's request path over the replicated store (3 Raft
 * members by default, as a real control plane), under `clients` concurrent closed-loop clients
 * with the cluster-admin credential (every request is authenticated and authorized; the admin
 * is exempt from max-in-flight, as system:masters is upstream). Phases, each timed on the wall
 * clock:
 *
 * - create: ConfigMaps with distinct names;
 * - get: a random one of them;
 * - update (PUT with the resourceVersion the client last saw), and patch in each of the four
 *   types, every client on an object of its own;
 * - list: collections of 1,000 and 10,000 objects, unpaged and in pages of 500;
 * - watch fan-out: `watchers` watchers of one namespace, a writer updating an object in it;
 *   a row counts events delivered to watchers.
 *
 * Rows report requests (or delivered events) per wall-clock second, the simulator's throughput,
 * and the virtual-time latency p50/p99 the clients saw, the modelled system's latency, and the
 * process CPU time per request (steadier than throughput on a shared machine). Wall and CPU time
 * are read here only (performance.now, process.cpuUsage); they never flow into the simulation.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { apiServerPlan, storePlans } from '../../../core/cluster/assembly.ts';
import { issueClientCredential } from '../../../core/apiserver/authn/client-credential.ts';
import { API_PROTOCOL } from '../../../core/api/http-codec.ts';
import type { PatchContentType, WatchFrame } from '../../../core/api/http.ts';
import { ADMIN_IDENTITY, API_SERVER } from '../../../core/cluster/identities.ts';
import { ApiClient, type ApiResult } from '../../../core/client/api-client.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { SIM_SIGNER } from '../../signer.ts';
import { Simulation } from '../../simulation.ts';

export interface ApiServerBenchRow {
  readonly name: string;
  readonly ops: number;
  readonly wallMs: number;
  readonly opsPerSecond: number;
  /**
   * Process CPU time (user and system) per request, in microseconds: on a shared machine a
   * steadier measure than wall-clock throughput, which counts the time other work held the CPU.
   */
  readonly cpuUsPerOp: number;
  /**
   * Young-generation collections (scavenges) per 1,000 requests: how much the request path
   * allocates, nearly the same on a loaded machine as on an idle one.
   */
  readonly scavengesPer1kOps: number;
  readonly latencyP50Us: number;
  readonly latencyP99Us: number;
  readonly virtualSeconds: number;
}

export interface ApiServerBenchOptions {
  readonly seed: number;
  /** Raft members of the store; 0 for the single in-memory store. */
  readonly members: number;
  readonly clients: number;
  /** Requests measured per phase (creates, gets, updates, each patch type). */
  readonly requests: number;
  /** Lists measured for each collection size. */
  readonly lists: number;
  /** Sizes of the listed collections. */
  readonly listSizes: readonly number[];
  readonly watchers: number;
  /** Updates the watch phase's writer makes (each delivered to every watcher). */
  readonly watchUpdates: number;
  readonly checkImmutability?: boolean;
  /** The phases to run and report (default all); `get` reads what `create` made, so runs it. */
  readonly only?: readonly ApiServerBenchPhase[];
}

export const APISERVER_BENCH_PHASES = [
  'create',
  'get',
  'update',
  'patch',
  'list',
  'watch',
] as const;
export type ApiServerBenchPhase = (typeof APISERVER_BENCH_PHASES)[number];

export const DEFAULT_APISERVER_BENCH: ApiServerBenchOptions = {
  seed: 1,
  members: 3,
  clients: 200,
  requests: 20_000,
  lists: 40,
  listSizes: [1_000, 10_000],
  watchers: 1_000,
  watchUpdates: 200,
};

/** Issue 9's targets, requests per wall-clock second on the 2-core reference machine. */
export const APISERVER_BENCH_TARGETS: Readonly<Record<string, number>> = {
  create: 20_000,
  get: 50_000,
};

const wallMs = (): number => performance.now();

/**
 * The wall-clock times of the process's scavenges, as the GC reports them (performance
 * entries, delivered on a later host turn: `settledGc` waits for them).
 */
export class Scavenges {
  private readonly at: number[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      // A gc entry's detail names its kind (NodeGCPerformanceDetail).
      const kind = (e as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) this.at.push(e.startTime);
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Scavenges that started in [fromMs, toMs]. */
  between(fromMs: number, toMs: number): number {
    return this.at.filter((t) => t >= fromMs && t <= toMs).length;
  }

  stop(): void {
    this.observer.disconnect();
  }
}

/** Lets pending GC entries reach their observer (they are queued to a later host turn). */
export const settledGc = async (): Promise<void> => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Process CPU time so far, user and system, in microseconds. */
const cpuUs = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

const NS = 'bench';
const CMS = `/api/v1/namespaces/${NS}/configmaps`;
const WATCHED = 'watched';
const listNamespace = (size: number): string => `list-${size}`;

const configMap = (namespace: string, name: string, value = '0') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data: { value },
});

/** One closed-loop request and its answer (a failure stops the benchmark). */
type Op = (client: number, seq: number) => Promise<ApiResult<unknown>>;

interface Measure {
  readonly latencies: number[];
  done: number;
  startWallMs: number;
  startCpuUs: number;
  startVirtualUs: number;
  endWallMs: number;
  endCpuUs: number;
  endVirtualUs: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function rowOf(name: string, m: Measure, scavenges: Scavenges, ops = m.done): ApiServerBenchRow {
  const sorted = [...m.latencies].sort((a, b) => a - b);
  const elapsedMs = m.endWallMs - m.startWallMs;
  return {
    name,
    ops,
    wallMs: Math.round(elapsedMs),
    opsPerSecond: Math.round(ops / (elapsedMs / 1000)),
    cpuUsPerOp: Math.round((m.endCpuUs - m.startCpuUs) / Math.max(ops, 1)),
    scavengesPer1kOps:
      Math.round((scavenges.between(m.startWallMs, m.endWallMs) / Math.max(ops, 1)) * 10_000) / 10,
    latencyP50Us: percentile(sorted, 50),
    latencyP99Us: percentile(sorted, 99),
    virtualSeconds: (m.endVirtualUs - m.startVirtualUs) / 1e6,
  };
}

/** The processes of the bench: a driver that runs phases over a pool of client processes. */
class Bench {
  private readonly clients: ApiClient[] = [];
  private readonly ports: ProcessPorts[] = [];
  readonly scavenges = new Scavenges();

  constructor(
    private readonly sim: Simulation,
    private readonly opts: ApiServerBenchOptions,
  ) {}

  /** Starts the client processes and waits until the API server answers. */
  async start(): Promise<void> {
    const credential = issueClientCredential(SIM_SIGNER, ADMIN_IDENTITY);
    let ready = false;
    for (let i = 0; i < this.opts.clients; i++) {
      this.sim.spawnProcess(`bench-client-${i}`, (ports) => {
        const api = new ApiClient(ports.transport, API_SERVER, {
          requestTimeoutUs: 10_000_000,
          credential,
        });
        this.ports.push(ports);
        this.clients.push(api);
        if (i !== 0) return;
        ports.spawn(async () => {
          for (const name of [NS, WATCHED, ...this.opts.listSizes.map(listNamespace)]) {
            const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
            for (;;) {
              const r = await api.create(namespace as never);
              if (r.ok || r.status === 409) break;
              await ports.clock.sleep(100_000);
            }
          }
          ready = true;
        });
      });
    }
    await this.run('the API server to answer', () => ready);
  }

  /** Runs the simulation until `done`, or fails after ten virtual minutes. */
  private async run(what: string, done: () => boolean): Promise<void> {
    await this.sim.run({ untilUs: this.sim.now + 600_000_000, stopWhen: done });
    if (!done()) throw new Error(`bench apiserver: waited 600 s of virtual time for ${what}`);
  }

  /** `target` requests of `op`, spread over the clients, closed loop. */
  async phase(name: string, target: number, op: Op): Promise<ApiServerBenchRow> {
    const m = this.measure();
    let next = 0;
    let failed: string | undefined;
    for (let c = 0; c < this.clients.length; c++) {
      const ports = this.ports[c] as ProcessPorts;
      ports.spawn(async () => {
        while (next < target && failed === undefined) {
          const seq = next++;
          const startUs = ports.clock.now();
          const r = await op(c, seq);
          if (!r.ok) failed = `${name}: ${r.status} ${r.error.message ?? ''}`;
          m.latencies.push(ports.clock.now() - startUs);
          if (++m.done === target) this.finish(m);
        }
      });
    }
    await this.run(name, () => m.done >= target || failed !== undefined);
    if (failed !== undefined) throw new Error(`bench apiserver: ${failed}`);
    await settledGc();
    return rowOf(name, m, this.scavenges);
  }

  /** One object per client, for the write phases. */
  async own(prefix: string): Promise<string[]> {
    const rvs: string[] = [];
    await this.phase(`setup ${prefix}`, this.clients.length, async (c) => {
      const r = await this.api(c).create(configMap(NS, `${prefix}-${c}`) as never);
      if (r.ok)
        rvs[c] =
          (r.value as { metadata: { resourceVersion?: string } }).metadata.resourceVersion ?? '';
      return r;
    });
    return rvs;
  }

  /** Fills `namespace` with `count` ConfigMaps. */
  async fill(namespace: string, count: number): Promise<void> {
    await this.phase(`fill ${namespace}`, count, (_c, seq) =>
      this.api(seq).create(configMap(namespace, `cm-${seq}`) as never),
    );
  }

  /** `watchers` watches of one namespace; a writer updates an object `updates` times. */
  async watchFanOut(watchers: number, updates: number): Promise<ApiServerBenchRow> {
    const namespace = WATCHED;
    await this.fill(namespace, 1);
    let delivered = 0;
    let open = 0;
    const expected = watchers * updates;
    const m = this.measure();
    const written = new Map<string, number>();
    for (let w = 0; w < watchers; w++) {
      const ports = this.ports[w % this.ports.length] as ProcessPorts;
      ports.transport.openStream(
        API_PROTOCOL,
        API_SERVER,
        {
          kind: 'http',
          method: 'GET',
          path: `/api/v1/namespaces/${namespace}/configmaps`,
          query: { watch: 'true', resourceVersion: '0' },
          authorization: `Bearer ${issueClientCredential(SIM_SIGNER, ADMIN_IDENTITY)}`,
        },
        {
          onMessage: (message) => {
            const frame = message as WatchFrame;
            if (frame.type === 'ADDED') open++;
            if (frame.type !== 'MODIFIED') return;
            const value = (frame.object as { data?: { value?: string } }).data?.value ?? '';
            const at = written.get(value);
            if (at !== undefined && m.latencies.length < 100_000)
              m.latencies.push(ports.clock.now() - at);
            if (++delivered === expected) this.finish(m);
          },
          onClose: () => undefined,
        },
      );
    }
    await this.run('the watches to open', () => open >= watchers);
    const writer = this.ports[0] as ProcessPorts;
    const api = this.api(0);
    writer.spawn(async () => {
      this.begin(m);
      let rv = '';
      for (let i = 1; i <= updates; i++) {
        written.set(String(i), writer.clock.now());
        const r = await api.request<{ metadata: { resourceVersion?: string } }>(
          'PUT',
          `/api/v1/namespaces/${namespace}/configmaps/cm-0`,
          {
            body: {
              ...configMap(namespace, 'cm-0', String(i)),
              metadata: { name: 'cm-0', namespace, ...(rv === '' ? {} : { resourceVersion: rv }) },
            },
          },
        );
        if (r.ok) rv = r.value.metadata.resourceVersion ?? '';
      }
    });
    await this.run('the watch events', () => delivered >= expected);
    await settledGc();
    return rowOf(`watch fan-out (${watchers} watchers)`, m, this.scavenges, delivered);
  }

  api(client: number): ApiClient {
    return this.clients[client % this.clients.length] as ApiClient;
  }

  private measure(): Measure {
    const m: Measure = {
      latencies: [],
      done: 0,
      startWallMs: 0,
      startCpuUs: 0,
      startVirtualUs: 0,
      endWallMs: 0,
      endCpuUs: 0,
      endVirtualUs: 0,
    };
    this.begin(m);
    return m;
  }

  private begin(m: Measure): void {
    m.startWallMs = wallMs();
    m.startCpuUs = cpuUs();
    m.startVirtualUs = this.sim.now;
  }

  private finish(m: Measure): void {
    m.endWallMs = wallMs();
    m.endCpuUs = cpuUs();
    m.endVirtualUs = this.sim.now;
  }
}

const PATCHES: readonly { name: string; type: PatchContentType; body: (v: string) => unknown }[] = [
  {
    name: 'patch (json)',
    type: 'application/json-patch+json',
    body: (v) => [{ op: 'replace', path: '/data/value', value: v }],
  },
  {
    name: 'patch (merge)',
    type: 'application/merge-patch+json',
    body: (v) => ({ data: { value: v } }),
  },
  {
    name: 'patch (strategic)',
    type: 'application/strategic-merge-patch+json',
    body: (v) => ({ data: { value: v } }),
  },
  {
    name: 'patch (apply)',
    type: 'application/apply-patch+yaml',
    body: (v) => ({ apiVersion: 'v1', kind: 'ConfigMap', data: { value: v } }),
  },
];

export async function runApiServerBench(
  options: Partial<ApiServerBenchOptions> = {},
): Promise<ApiServerBenchRow[]> {
  const opts: ApiServerBenchOptions = { ...DEFAULT_APISERVER_BENCH, ...options };
  const sim = new Simulation({
    seed: opts.seed,
    checkImmutability: opts.checkImmutability ?? false,
  });
  const store = storePlans(
    opts.members === 0 ? { members: 1, inMemory: true } : { members: opts.members },
  );
  for (const plan of store) sim.spawnProcess(plan.name, plan.start);
  const server = apiServerPlan({
    storeMembers: store.map((p) => p.name),
    access: { signer: SIM_SIGNER, authorization: 'Node,RBAC' },
  });
  sim.spawnProcess(server.name, server.start);
  const bench = new Bench(sim, opts);
  await bench.start();
  const chosen = new Set<ApiServerBenchPhase>(opts.only ?? APISERVER_BENCH_PHASES);
  const rows: ApiServerBenchRow[] = [];
  const n = opts.requests;
  if (chosen.has('create') || chosen.has('get')) {
    const created = await bench.phase('create', n, (c, seq) =>
      bench.api(c).create(configMap(NS, `cm-${seq}`) as never),
    );
    if (chosen.has('create')) rows.push(created);
  }
  if (chosen.has('get')) {
    rows.push(
      await bench.phase('get', n, (c, seq) =>
        bench.api(c).request('GET', `${CMS}/cm-${(seq * 7919) % n}`),
      ),
    );
  }
  if (chosen.has('update') || chosen.has('patch')) rows.push(...(await writes(bench, n, chosen)));
  if (chosen.has('list')) rows.push(...(await lists(bench, opts)));
  if (chosen.has('watch')) rows.push(await bench.watchFanOut(opts.watchers, opts.watchUpdates));
  bench.scavenges.stop();
  return rows;
}

/** PUTs pinned to the version each client last saw, then each patch type. */
async function writes(
  bench: Bench,
  n: number,
  chosen: ReadonlySet<ApiServerBenchPhase>,
): Promise<ApiServerBenchRow[]> {
  const rows: ApiServerBenchRow[] = [];
  const rvs = await bench.own('own');
  if (chosen.has('update')) {
    rows.push(
      await bench.phase('update', n, async (c, seq) => {
        const r = await bench
          .api(c)
          .request<{ metadata: { resourceVersion?: string } }>('PUT', `${CMS}/own-${c}`, {
            body: {
              ...configMap(NS, `own-${c}`, String(seq)),
              metadata: { name: `own-${c}`, namespace: NS, resourceVersion: rvs[c] },
            },
          });
        if (r.ok) rvs[c] = r.value.metadata.resourceVersion ?? '';
        return r;
      }),
    );
  }
  if (!chosen.has('patch')) return rows;
  for (const p of PATCHES) {
    rows.push(
      await bench.phase(p.name, n, (c, seq) =>
        bench.api(c).request('PATCH', `${CMS}/own-${c}`, {
          body: p.body(String(seq)),
          contentType: p.type,
          ...(p.type === 'application/apply-patch+yaml'
            ? { query: { fieldManager: 'bench', force: 'true' } }
            : {}),
        }),
      ),
    );
  }
  return rows;
}

/** Each collection size listed whole and in pages of 500. */
async function lists(bench: Bench, opts: ApiServerBenchOptions): Promise<ApiServerBenchRow[]> {
  const rows: ApiServerBenchRow[] = [];
  for (const size of opts.listSizes) {
    const namespace = listNamespace(size);
    await bench.fill(namespace, size);
    const path = `/api/v1/namespaces/${namespace}/configmaps`;
    rows.push(
      await bench.phase(`list ${size.toLocaleString('en-US')}`, opts.lists, (c) =>
        bench.api(c).request('GET', path),
      ),
    );
    rows.push(
      await bench.phase(
        `list ${size.toLocaleString('en-US')} (pages of 500)`,
        opts.lists,
        async (c) => {
          let token = '';
          for (;;) {
            const r = await bench.api(c).request<{ metadata: { continue?: string } }>('GET', path, {
              query: { limit: '500', ...(token === '' ? {} : { continue: token }) },
            });
            if (!r.ok) return r;
            token = r.value.metadata.continue ?? '';
            if (token === '') return r;
          }
        },
      ),
    );
  }
  return rows;
}
