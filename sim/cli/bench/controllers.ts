/**
 * `ksim bench controllers`: how fast the controller manager, with the scheduler and the kubelets,
 * turns a workload into running pods on a simulated cluster. Each workload gets its own cluster;
 * the clock starts when the workload is created (after every node has registered Ready) and stops
 * when a client watching through informers sees the goal: all pods Running, or the Job Complete.
 */
import type { Node } from '../../../core/api/node-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { Job } from '../../../core/api/kinds/job.ts';
import { issueClientCredential } from '../../../core/apiserver/authn/client-credential.ts';
import type { NodePool } from '../../../core/cluster/assembly.ts';
import { ADMIN_IDENTITY } from '../../../core/cluster/identities.ts';
import { ApiClient, DEFAULT_API_CLIENT } from '../../../core/client/api-client.ts';
import { Informer } from '../../../core/client/informer.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type { SyncStatsSnapshot } from '../../../core/controllers/common/controller.ts';
import { ControllerManager, type ControllerName } from '../../../core/controllers/manager.ts';
import { buildCluster, SIM_HOST, type SimMachineOptions } from '../../cluster.ts';
import type { CostModelName } from '../../cost-model.ts';
import { Simulation } from '../../simulation.ts';

export type ControllersWorkload = 'deployment' | 'job' | 'daemonset';

export const CONTROLLERS_WORKLOADS: readonly ControllersWorkload[] = [
  'deployment',
  'job',
  'daemonset',
];

export interface ControllersBenchOptions {
  readonly seed: number;
  /** Deployment replicas and Job completions. */
  readonly replicas: number;
  /** Nodes under the Deployment and the Job. */
  readonly nodes: number;
  /** Nodes under the DaemonSet. */
  readonly daemonNodes: number;
  /** The 3-member Raft store instead of the in-memory store. */
  readonly raft: boolean;
  readonly only?: ControllersWorkload;
  /** Virtual time a workload may take before the run gives up on it. */
  readonly limitUs: number;
  /**
   * The CPU cost model (sim/cost-model.ts): with `upstream-like` the control plane's work takes
   * virtual time, so virtual seconds estimate how long a real cluster would take.
   */
  readonly costModel?: CostModelName;
  /**
   * The API server's --enable-priority-and-fairness (default true): false puts max-in-flight's
   * immediate 429s back in front of requests.
   */
  readonly priorityAndFairness?: boolean;
  /** Receives each workload's trace as JSON lines (tests count pods from it). */
  readonly traceSink?: (workload: ControllersWorkload, line: string) => void;
}

export const DEFAULT_CONTROLLERS_BENCH: ControllersBenchOptions = {
  seed: 1,
  replicas: 10_000,
  nodes: 1_000,
  daemonNodes: 5_000,
  raft: false,
  limitUs: 30 * 60_000_000,
};

/** The issue's one stated target: the 10,000-replica Deployment all Running within 20 s wall. */
export const CONTROLLERS_WALL_TARGET_S: Readonly<Partial<Record<ControllersWorkload, number>>> = {
  deployment: 20,
};

export interface ControllersBenchRow {
  readonly name: ControllersWorkload;
  readonly nodes: number;
  /** Objects the goal asks for: pods Running, or completions. */
  readonly objects: number;
  /** What the watching client saw when the run stopped (equals `objects` when `done`). */
  readonly observed: number;
  readonly done: boolean;
  /** Virtual seconds from the workload's creation to the goal. */
  readonly virtualSeconds: number;
  /** Wall seconds from the workload's creation to the goal. */
  readonly wallSeconds: number;
  /** Wall seconds of the cluster's start (nodes registering) before the workload. */
  readonly setupWallSeconds: number;
  readonly objectsPerSecond: number;
  /** The simulated cluster's throughput: objects per virtual second. */
  readonly virtualObjectsPerSecond: number;
  /**
   * Virtual CPU seconds the control plane's components were charged over the whole run, setup
   * included (all 0 without a cost model).
   */
  readonly cpuSeconds: Readonly<
    Record<'store' | 'apiserver' | 'scheduler' | 'controller-manager', number>
  >;
  /**
   * CPU seconds the host process spent from the workload's creation to the goal (user and
   * system, GC threads included). On a shared machine this varies less than wall seconds,
   * which also count the time other processes held the cores.
   */
  readonly hostCpuSeconds: number;
  /** Events of the whole run, setup included. */
  readonly events: number;
  /** Events from the workload's creation to the goal: the simulated work, free of machine load. */
  readonly workloadEvents: number;
  /**
   * Syncs of the workload's controllers from its creation to the goal, and the cached objects
   * they walked (a ReplicaSet sync its pods, a Deployment sync its ReplicaSets): like events,
   * the same on every machine for a given tree and seed.
   */
  readonly syncs: Readonly<Partial<Record<ControllerName, SyncStatsSnapshot>>>;
  /**
   * Requests the API server refused 429 (a priority level's full queues, or max-in-flight's
   * limits when priority and fairness is off) from the workload's creation to the goal, by
   * client. Each costs its client the Retry-After second before it asks again, and a
   * ReplicaSet's slow-start round waits for its last create: these tell a change in virtual
   * time that comes from throttling (also the same on every machine).
   */
  readonly throttled: Readonly<Record<ThrottledClient, number>>;
  /**
   * Requests that waited in a priority level's queue for a seat over the same span, by client,
   * and their longest wait in virtual seconds.
   */
  readonly queued: Readonly<Record<ThrottledClient, number>>;
  readonly maxQueueWaitSeconds: number;
  readonly targetWallSeconds?: number;
}

export type ThrottledClient = 'controller-manager' | 'scheduler' | 'kubelets' | 'other';

/** The client a request's user is: the controllers run as kube-system service accounts. */
function throttledClient(user: string | undefined): ThrottledClient {
  if (user === undefined) return 'other';
  if (user === 'system:kube-controller-manager') return 'controller-manager';
  if (user.startsWith('system:serviceaccount:kube-system:')) return 'controller-manager';
  if (user === 'system:kube-scheduler') return 'scheduler';
  if (user.startsWith('system:node:')) return 'kubelets';
  return 'other';
}

/** The controllers whose syncs each workload counts (the Job and DaemonSet ones count none yet). */
const COUNTED_CONTROLLERS: Readonly<Record<ControllersWorkload, readonly ControllerName[]>> = {
  deployment: ['deployment', 'replicaset'],
  job: [],
  daemonset: [],
};

/** Wall clock for the harness only; it never flows into the simulation. */
const wallMs = (): number => performance.now();

/** The host process's CPU time (user + system), for the harness only. */
const hostCpuUs = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

const NAMESPACE = 'default';
const APP = 'bench';

/** Enough room for 10 pods per node of a 1,000-node cluster, or one per node of 5,000. */
const CAPACITY = { cpu: '32', memory: '128Gi', pods: '110' };

/** Short-lived containers for the Job: they exit 0 after this long. */
const JOB_POD_SECONDS = 5;

/**
 * Three workloads on three fresh clusters (or the one `only` names). kube-proxy and the
 * metrics-server do not run: nothing here uses Services or metrics, and they would only add
 * their own load to what is measured.
 */
export async function runControllersBench(
  opts: ControllersBenchOptions,
): Promise<ControllersBenchRow[]> {
  const rows: ControllersBenchRow[] = [];
  for (const w of CONTROLLERS_WORKLOADS) {
    if (opts.only !== undefined && opts.only !== w) continue;
    rows.push(await runWorkload(w, opts));
  }
  return rows;
}

/** What a workload creates and how the watching client counts progress towards its goal. */
interface Goal {
  readonly objects: number;
  readonly manifest: Record<string, unknown>;
  readonly resource: 'deployments' | 'jobs' | 'daemonsets';
  readonly group: string;
}

function goalOf(w: ControllersWorkload, opts: ControllersBenchOptions): Goal {
  const labels = { app: APP };
  const container = {
    name: 'c',
    image: 'registry.k8s.io/pause:3.9',
    resources: { requests: { cpu: '10m', memory: '16Mi' } },
  };
  switch (w) {
    case 'deployment':
      return {
        objects: opts.replicas,
        resource: 'deployments',
        group: 'apps/v1',
        manifest: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: APP, namespace: NAMESPACE },
          spec: {
            replicas: opts.replicas,
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec: { containers: [container] } },
          },
        },
      };
    case 'job':
      return {
        objects: opts.replicas,
        resource: 'jobs',
        group: 'batch/v1',
        manifest: {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: APP, namespace: NAMESPACE },
          spec: {
            completions: opts.replicas,
            // As many at once as the Deployment runs, so both load the cluster alike.
            parallelism: opts.replicas,
            backoffLimit: 0,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                containers: [
                  {
                    ...container,
                    env: [{ name: 'KSIM_EXIT_AFTER_SECONDS', value: String(JOB_POD_SECONDS) }],
                  },
                ],
              },
            },
          },
        },
      };
    case 'daemonset':
      return {
        objects: opts.daemonNodes,
        resource: 'daemonsets',
        group: 'apps/v1',
        manifest: {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name: APP, namespace: NAMESPACE },
          spec: {
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec: { containers: [container] } },
          },
        },
      };
  }
}

async function runWorkload(
  w: ControllersWorkload,
  opts: ControllersBenchOptions,
): Promise<ControllersBenchRow> {
  const goal = goalOf(w, opts);
  const nodeCount = w === 'daemonset' ? opts.daemonNodes : opts.nodes;
  const setupStart = wallMs();
  const sim = new Simulation({ seed: opts.seed, traceLevel: 'info' });
  const sink = opts.traceSink;
  if (sink !== undefined) sim.trace.addSink((line) => sink(w, line));
  const pool: NodePool<SimMachineOptions> = {
    namePrefix: 'node',
    count: nodeCount,
    capacity: CAPACITY,
    proxy: false,
  };
  const layout = buildCluster(sim, {
    store: opts.raft ? { members: 3 } : { members: 1, inMemory: true },
    metricsServer: false,
    nodePools: [pool],
    podNetwork: { clusterCIDR: '10.0.0.0/11', nodeCIDRMaskSize: 24 },
    ...(opts.priorityAndFairness === false
      ? { apiServer: { enablePriorityAndFairness: false } }
      : {}),
    ...(opts.costModel === undefined ? {} : { costModel: opts.costModel }),
  });

  let readyNodes = 0;
  let observed = 0;
  let startedUs: number | undefined;
  let startedWallMs = 0;
  let startedCpuUs = 0;
  let startedEvents = 0;
  let doneUs: number | undefined;
  let doneWallMs = 0;
  let doneCpuUs = 0;
  let doneEvents = 0;
  const throttled: Record<ThrottledClient, number> = {
    'controller-manager': 0,
    scheduler: 0,
    kubelets: 0,
    other: 0,
  };
  const queued: Record<ThrottledClient, number> = { ...throttled };
  let maxQueueWaitUs = 0;
  sim.trace.observe((r) => {
    if (r.k !== 'api.request') return;
    if (startedUs === undefined || doneUs !== undefined) return;
    if (r.code === 429) throttled[throttledClient(r.user)]++;
    else if (r.queueWaitUs !== undefined) queued[throttledClient(r.user)]++;
    if (r.queueWaitUs !== undefined) maxQueueWaitUs = Math.max(maxQueueWaitUs, r.queueWaitUs);
  });
  let startedSyncs: SyncCounts = {};
  let doneSyncs: SyncCounts = {};
  const syncsNow = (): SyncCounts =>
    syncCounts(sim, layout.controllerManagers, COUNTED_CONTROLLERS[w]);
  /** `reached`: the goal holds (all Running, or the Job Complete), not merely the count. */
  const progress = (n: number, reached: boolean): void => {
    observed = n;
    if (startedUs === undefined || doneUs !== undefined || !reached) return;
    doneUs = sim.now;
    doneWallMs = wallMs();
    doneCpuUs = hostCpuUs();
    doneEvents = sim.loop.eventsProcessed;
    doneSyncs = syncsNow();
  };

  sim.spawnProcess('bench', (ports: ProcessPorts) => {
    const api = new ApiClient(ports.transport, layout.apiServer, {
      ...DEFAULT_API_CLIENT,
      credential: issueClientCredential(SIM_HOST.signer, ADMIN_IDENTITY),
    });
    const nodes = new Informer(ports, api, 'Node');
    const ready = new Set<string>();
    const onNode = (n: Node): void => {
      if (isNodeReady(n)) ready.add(n.metadata.name!);
      else ready.delete(n.metadata.name!);
      readyNodes = ready.size;
      if (readyNodes === nodeCount && startedUs === undefined) create();
    };
    nodes.addEventHandler({ onAdd: onNode, onUpdate: (_, n) => onNode(n) });
    nodes.start();
    const create = (): void => {
      startedUs = sim.now;
      startedWallMs = wallMs();
      startedCpuUs = hostCpuUs();
      startedEvents = sim.loop.eventsProcessed;
      startedSyncs = syncsNow();
      nodes.stop();
      ports.spawn(async () => {
        const r = await api.create(goal.manifest as never);
        if (!r.ok) throw new Error(`creating the ${w}: ${JSON.stringify(r)}`);
      });
    };
    if (w === 'job') watchJob(ports, api, progress);
    else watchRunning(ports, api, (n) => progress(n, n >= goal.objects));
  });

  const outcome = await sim.run({
    untilUs: opts.limitUs,
    stopWhen: () => doneUs !== undefined,
  });
  const endWallMs = doneUs === undefined ? wallMs() : doneWallMs;
  const endCpuUs = doneUs === undefined ? hostCpuUs() : doneCpuUs;
  const endEvents = doneUs === undefined ? sim.loop.eventsProcessed : doneEvents;
  const endSyncs = doneUs === undefined ? syncsNow() : doneSyncs;
  const endUs = doneUs ?? sim.now;
  const wallSeconds = startedUs === undefined ? 0 : (endWallMs - startedWallMs) / 1000;
  const virtualSeconds = startedUs === undefined ? 0 : (endUs - startedUs) / 1e6;
  const target = CONTROLLERS_WALL_TARGET_S[w];
  return {
    name: w,
    nodes: nodeCount,
    objects: goal.objects,
    observed,
    done: doneUs !== undefined,
    virtualSeconds,
    wallSeconds: round3(wallSeconds),
    setupWallSeconds: round3(
      ((startedUs === undefined ? endWallMs : startedWallMs) - setupStart) / 1000,
    ),
    objectsPerSecond: wallSeconds === 0 ? 0 : Math.round(observed / wallSeconds),
    virtualObjectsPerSecond: virtualSeconds === 0 ? 0 : Math.round(observed / virtualSeconds),
    cpuSeconds: {
      store: cpuSecondsOf(sim, layout.store),
      apiserver: cpuSecondsOf(sim, layout.apiServers),
      scheduler: cpuSecondsOf(sim, layout.schedulers),
      'controller-manager': cpuSecondsOf(sim, layout.controllerManagers),
    },
    hostCpuSeconds: startedUs === undefined ? 0 : round3((endCpuUs - startedCpuUs) / 1e6),
    events: outcome.eventsRun,
    workloadEvents: startedUs === undefined ? 0 : endEvents - startedEvents,
    syncs: syncsBetween(startedSyncs, endSyncs),
    throttled,
    queued,
    maxQueueWaitSeconds: maxQueueWaitUs / 1e6,
    ...(target === undefined ? {} : { targetWallSeconds: target }),
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Virtual core-seconds the processes were charged by the cost model. */
function cpuSecondsOf(sim: Simulation, names: readonly string[]): number {
  return round3(names.reduce((sum, n) => sum + sim.process(n).cpuUsage.busyUs, 0) / 1e6);
}

type SyncCounts = Partial<Record<ControllerName, SyncStatsSnapshot>>;

/** The named controllers' sync counts, summed over the controller managers running now. */
function syncCounts(
  sim: Simulation,
  managers: readonly string[],
  names: readonly ControllerName[],
): SyncCounts {
  const out: SyncCounts = {};
  for (const name of names) {
    let sum: SyncStatsSnapshot = { syncs: 0, walked: 0, maxWalked: 0 };
    for (const m of managers) {
      const cm = sim.process(m).instance;
      const stats = cm instanceof ControllerManager ? cm.controller(name)?.syncStats : undefined;
      if (stats === undefined) continue;
      sum = {
        syncs: sum.syncs + stats.syncs,
        walked: sum.walked + stats.walked,
        maxWalked: Math.max(sum.maxWalked, stats.maxWalked),
      };
    }
    out[name] = sum;
  }
  return out;
}

/**
 * What the syncs did between two counts. The most one sync walked is the run's so far at the
 * end (setup syncs walk nothing of the workload).
 */
function syncsBetween(start: SyncCounts, end: SyncCounts): SyncCounts {
  const out: SyncCounts = {};
  for (const [name, e] of Object.entries(end) as [ControllerName, SyncStatsSnapshot][]) {
    const s = start[name] ?? { syncs: 0, walked: 0, maxWalked: 0 };
    out[name] = { syncs: e.syncs - s.syncs, walked: e.walked - s.walked, maxWalked: e.maxWalked };
  }
  return out;
}

function isNodeReady(n: Node): boolean {
  return (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Counts the benchmark's pods in phase Running, through a pod informer. */
function watchRunning(ports: ProcessPorts, api: ApiClient, report: (n: number) => void): void {
  const pods = new Informer(ports, api, 'Pod', {
    namespace: NAMESPACE,
    labelSelector: `app=${APP}`,
  });
  const running = new Set<string>();
  const onPod = (p: Pod): void => {
    const key = p.metadata.name!;
    if (p.status?.phase === 'Running' && p.metadata.deletionTimestamp === undefined) {
      running.add(key);
    } else running.delete(key);
    report(running.size);
  };
  pods.addEventHandler({
    onAdd: onPod,
    onUpdate: (_, p) => onPod(p),
    onDelete: (p) => (running.delete(p.metadata.name!), report(running.size)),
  });
  pods.start();
}

/** The Job's succeeded count and whether it is Complete, through a Job informer. */
function watchJob(
  ports: ProcessPorts,
  api: ApiClient,
  report: (succeeded: number, complete: boolean) => void,
): void {
  const jobs = new Informer(ports, api, 'Job', { namespace: NAMESPACE });
  const onJob = (j: Job): void => {
    const complete = (j.status?.conditions ?? []).some(
      (c) => c.type === 'Complete' && c.status === 'True',
    );
    report(j.status?.succeeded ?? 0, complete);
  };
  jobs.addEventHandler({ onAdd: onJob, onUpdate: (_, j) => onJob(j) });
  jobs.start();
}
