/** Shared pieces of the controller tests: objects, a controller manager process, a pod monitor. */
import { issueClientCredential } from '../../../core/apiserver/authn/client-credential.ts';
import { nodeClientIdentity } from '../../../core/cluster/identities.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import { getControllerOf, isBeingDeleted } from '../../../core/api/meta.ts';
import type { Lease } from '../../../core/api/cluster-types.ts';
import type { Node } from '../../../core/api/node-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import type { ReplicationController } from '../../../core/api/kinds/replication-controller.ts';
import { formatMicroTime, formatTime } from '../../../core/api/time.ts';
import type { KObject } from '../../../core/api/types.ts';
import { ApiClient, type ApiResult } from '../../../core/client/api-client.ts';
import { Informer } from '../../../core/client/informer.ts';
import { isPodActive } from '../../../core/controllers/common/active-pods.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type { Simulation } from '../../../sim/simulation.ts';

export function replicaSet(
  name: string,
  replicas: number,
  extra: { minReadySeconds?: number } = {},
): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      ...extra,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, tier: 'web' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
      },
    },
  };
}

/** The ReplicationController twin of `replicaSet`: a map selector, the same template. */
export function replicationController(name: string, replicas: number): ReplicationController {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { app: name },
      template: {
        metadata: { labels: { app: name, tier: 'web' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
      },
    },
  };
}

/**
 * Watches pods from its own process and keeps the highest number of active pods each
 * ReplicaSet ever had at once, and every pod UID it ever saw per RS. The watch is ordered and
 * gap-free, so the cache goes through the store's states in order.
 */
export class PodMonitor {
  readonly maxActive = new Map<string, number>();
  readonly everSeen = new Map<string, Set<string>>();
  /** Per owner, the virtual time at which its active pods first exceeded `limit`, if given. */
  readonly firstAboveUs = new Map<string, number>();
  informer: Informer<'Pod'> | undefined;

  constructor(
    private readonly sim: Simulation,
    name = 'monitor',
    private readonly limit = Infinity,
  ) {
    sim.spawnProcess(name, (p) => {
      const inf = new Informer(p, new ApiClient(p.transport, 'apiserver'), 'Pod');
      this.informer = inf;
      const check = (pod: Pod): void => this.observe(pod);
      inf.addEventHandler({ onAdd: check, onUpdate: (_o, pod) => check(pod), onDelete: check });
      inf.start();
    });
  }

  pods(): Pod[] {
    return this.informer?.list() ?? [];
  }

  activeOf(rsName: string): Pod[] {
    return this.pods().filter((p) => getControllerOf(p)?.name === rsName && isPodActive(p));
  }

  private observe(pod: Pod): void {
    const owner = getControllerOf(pod)?.name;
    if (owner === undefined) return;
    let seen = this.everSeen.get(owner);
    if (seen === undefined) {
      seen = new Set();
      this.everSeen.set(owner, seen);
    }
    seen.add(pod.metadata.uid ?? '');
    const n = this.activeOf(owner).length;
    this.maxActive.set(owner, Math.max(this.maxActive.get(owner) ?? 0, n));
    if (n > this.limit && !this.firstAboveUs.has(owner)) this.firstAboveUs.set(owner, this.sim.now);
  }
}

/** Polls `cond` every `stepUs` of virtual time; throws after `timeoutUs`. Returns the time waited. */
export async function waitFor(
  ports: ProcessPorts,
  cond: () => boolean,
  timeoutUs: number,
  what: string,
  stepUs = 100_000,
): Promise<number> {
  const start = ports.clock.now();
  while (!cond()) {
    if (ports.clock.now() - start > timeoutUs)
      throw new Error(`timed out after ${timeoutUs}us waiting for ${what}`);
    await ports.clock.sleep(stepUs);
  }
  return ports.clock.now() - start;
}

/** Retries a request through lost messages and a restarting server until it gets a definite answer. */
export async function retry<T>(
  ports: ProcessPorts,
  call: () => Promise<ApiResult<T>>,
): Promise<ApiResult<T>> {
  for (let i = 0; ; i++) {
    const r = await call();
    if (r.ok || (r.status < 500 && r.status !== 429)) return r;
    if (i > 100) return r;
    await ports.clock.sleep(200_000);
  }
}

export async function mustCreate<T extends KObject>(
  ports: ProcessPorts,
  api: ApiClient,
  obj: T,
): Promise<T> {
  let r = await retry(ports, () => api.create(obj));
  // The API server creates the system namespaces when it starts; under message loss that can take a while.
  for (let i = 0; i < 100 && !r.ok && r.status === 404; i++) {
    await ports.clock.sleep(500_000);
    r = await retry(ports, () => api.create(obj));
  }
  if (r.ok) return r.value;
  if (r.status === 409) {
    const got = await retry(ports, () =>
      api.get(obj.kind, obj.metadata?.namespace, obj.metadata?.name ?? ''),
    );
    if (got.ok) return got.value as T;
  }
  throw new Error(`create ${obj.kind} ${obj.metadata?.name}: ${r.ok ? '' : r.error.message}`);
}

/** Read-modify-write with retries on conflicts. */
export async function mustUpdate<K extends KObject['kind']>(
  ports: ProcessPorts,
  api: ApiClient,
  kind: K,
  namespace: string | undefined,
  name: string,
  edit: (obj: Extract<KObject, { kind: K }>) => Extract<KObject, { kind: K }>,
  status = false,
): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const got = await retry(ports, () => api.get(kind, namespace, name));
    if (!got.ok) throw new Error(`get ${kind} ${name}: ${got.error.message}`);
    const next = edit(got.value as Extract<KObject, { kind: K }>);
    const r = status ? await api.updateStatus(next) : await api.update(next);
    if (r.ok) return;
  }
  throw new Error(`update ${kind} ${name}: too many conflicts`);
}

export function node(name: string, nowUs: number, labels: Record<string, string> = {}): Node {
  const iso = formatTime(nowUs);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: {},
    status: {
      capacity: { cpu: '4', memory: '8Gi' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: iso,
          lastTransitionTime: iso,
        },
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          lastHeartbeatTime: iso,
          lastTransitionTime: iso,
        },
        {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          lastHeartbeatTime: iso,
          lastTransitionTime: iso,
        },
        {
          type: 'PIDPressure',
          status: 'False',
          reason: 'KubeletHasSufficientPID',
          lastHeartbeatTime: iso,
          lastTransitionTime: iso,
        },
      ],
    },
  };
}

export function lease(nodeName: string, nowUs: number): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: nodeName, namespace: 'kube-node-lease' },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: formatMicroTime(nowUs) },
  };
}

export function boundPod(
  name: string,
  nodeName: string,
  tolerations: Pod['spec']['tolerations'] = undefined,
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'standalone' } },
    spec: {
      nodeName,
      containers: [{ name: 'c', image: 'nginx:1.25' }],
      ...(tolerations === undefined ? {} : { tolerations }),
    },
  };
}

export function isTerminating(pod: Pod | undefined): boolean {
  return pod === undefined || isBeingDeleted(pod);
}

/** An informer of `kind` in its own process, for tests to read cluster state without requests. */
export function watchKind<K extends KObject['kind']>(
  sim: Simulation,
  kind: K,
  name: string,
  namespace?: string,
): () => Informer<K> {
  let inf: Informer<K> | undefined;
  sim.spawnProcess(name, (p) => {
    inf = new Informer(
      p,
      new ApiClient(p.transport, 'apiserver'),
      kind,
      namespace === undefined ? {} : { namespace },
    );
    inf.start();
  });
  return () => {
    if (inf === undefined) throw new Error(`watcher ${name} is not running`);
    return inf;
  };
}

/**
 * The node-side half a kubelet plays for the node controllers: registers its Node and Lease,
 * renews the Lease every 10 s while `running`, and can post a Ready condition.
 */
export class FakeKubelet {
  running = true;
  lastRenewUs = 0;
  private readonly api: ApiClient;

  /** Requests time out after 2 s, so a lost message delays a renewal by seconds, not the lease. */
  constructor(
    private readonly ports: ProcessPorts,
    readonly nodeName: string,
  ) {
    this.api = new ApiClient(ports.transport, 'apiserver', {
      requestTimeoutUs: 2_000_000,
      credential: issueClientCredential(SIM_SIGNER, nodeClientIdentity(nodeName)),
    });
  }

  async register(labels: Record<string, string> = {}): Promise<void> {
    const now = this.ports.clock.now();
    await mustCreate(this.ports, this.api, node(this.nodeName, now, labels));
    await mustCreate(this.ports, this.api, lease(this.nodeName, now));
    this.lastRenewUs = now;
    this.ports.spawn(() => this.renewLoop());
  }

  private async renewLoop(): Promise<void> {
    while (true) {
      await this.ports.clock.sleep(10_000_000);
      if (this.running) await this.renew();
    }
  }

  async renew(): Promise<void> {
    const now = this.ports.clock.now();
    await mustUpdate(this.ports, this.api, 'Lease', 'kube-node-lease', this.nodeName, (l) => ({
      ...l,
      spec: { ...l.spec, renewTime: formatMicroTime(now) },
    }));
    this.lastRenewUs = now;
  }

  /** Posts Ready=`status` with a fresh heartbeat, as the kubelet's status update does. */
  async postReady(
    status: 'True' | 'False',
    reason = status === 'True' ? 'KubeletReady' : 'KubeletNotReady',
  ): Promise<void> {
    const iso = formatTime(this.ports.clock.now());
    await mustUpdate(
      this.ports,
      this.api,
      'Node',
      undefined,
      this.nodeName,
      (n) => ({
        ...n,
        status: {
          ...n.status,
          conditions: (n.status?.conditions ?? []).map((c) => {
            if (c.type === 'Ready') {
              return {
                ...c,
                status,
                reason,
                message: `kubelet says ${status}`,
                lastHeartbeatTime: iso,
                lastTransitionTime: c.status === status ? c.lastTransitionTime : iso,
              };
            }
            return {
              ...c,
              status: 'False' as const,
              lastHeartbeatTime: iso,
              lastTransitionTime: c.status === 'False' ? c.lastTransitionTime : iso,
            };
          }),
        },
      }),
      true,
    );
  }
}
