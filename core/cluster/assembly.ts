/**
 * One cluster assembly: which processes a cluster runs, under which names and identities, with
 * which options. The simulator (sim/cluster.ts), the tests (test/support/cluster.ts) and the real
 * host all start processes from these plans with their own ports, so what runs for real cannot
 * drift from what is simulated. A host supplies only what differs per host: a node's machine
 * (its container runtime and packet filter).
 *
 * Each plan's `start` builds the process's volatile state from its ports and is called at every
 * (re)start: whatever it builds dies with the process.
 */
import { isDNS1123Label, isDNS1123Subdomain } from '../api/content-checks.ts';
import { featureGateProblems } from '../api/feature-gates.ts';
import { SERVICE_IP_RANGE } from '../api/kinds/service-allocation.ts';
import { rangeConfigProblems } from '../apiserver/range-allocator.ts';
import { ApiServer, type ApiServerOptions } from '../apiserver/server.ts';
import { ApiClient } from '../client/api-client.ts';
import { ControllerManager, type ControllerManagerOptions } from '../controllers/manager.ts';
import { defaultInternalIP, type KubeletOptions } from '../kubelet/config.ts';
import { Kubelet } from '../kubelet/kubelet.ts';
import type { Netfilter } from '../ports/netfilter.ts';
import { KubeProxy, type KubeProxyOptions } from '../proxy/kube-proxy.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { ProbeNetwork } from '../ports/probe-network.ts';
import type { Runtime } from '../ports/runtime.ts';
import { Scheduler, type SchedulerOptions } from '../scheduler/scheduler.ts';
import { KvService } from '../store/kv-service.ts';
import { KvMember, type KvMemberOptions, type MemberPeer } from '../store/member/kv-member.ts';
import type { MemberProbe } from '../store/member/member-probe.ts';
import {
  clientCredentialAuthenticator,
  issueClientCredential,
  type ClientIdentity,
} from '../apiserver/authn/client-credential.ts';
import type { AggregatedApi } from '../api/aggregation.ts';
import { JwtVerifier } from '../apiserver/authn/jwt.ts';
import { ALL_AUTHENTICATED } from '../apiserver/authn/user.ts';
import type { RequestAuthenticator } from '../api/kubelet-protocol.ts';
import { METRICS_GROUP, METRICS_VERSION } from '../api/metrics-types.ts';
import { MetricsServer, type MetricsServerOptions } from '../metrics-server/metrics-server.ts';
import type { TokenSigner } from '../apiserver/authn/signer.ts';
import type { AccessOptions } from '../apiserver/authz/access-control.ts';
import {
  API_SERVER,
  COMPONENT_REQUEST_TIMEOUT_US,
  CONTROLLER_MANAGER,
  CONTROLLER_MANAGER_IDENTITY,
  controllerIdentity,
  KUBE_PROXY_IDENTITY,
  METRICS_SERVER,
  METRICS_SERVER_IDENTITY,
  nodeClientIdentity,
  replicaNames,
  SCHEDULER,
  SCHEDULER_IDENTITY,
  storeMemberName,
} from './identities.ts';
import { balancedPorts } from './api-balancer.ts';
import {
  checkPodNetwork,
  DEFAULT_POD_NETWORK,
  nodeAddressesProblem,
  nodeInternalIP,
  nodePodCIDR,
  podNetworkFullMessage,
  podNetworkOverlaps,
  type PodNetwork,
} from './pod-network.ts';

export type ProcessRole =
  'store' | 'apiserver' | 'scheduler' | 'controller-manager' | 'metrics-server' | 'node';

export interface ProcessPlan {
  readonly name: string;
  readonly role: ProcessRole;
  readonly start: (ports: ProcessPorts) => unknown;
}

/**
 * What a host puts under a node's agents: its container runtime, its packet filter, and the
 * node's network as probes reach its pods.
 */
export interface NodeMachine {
  readonly runtime: Runtime;
  readonly netfilter: Netfilter;
  readonly probes: ProbeNetwork;
}

/** A node process's state: its machine and the agents running on it. */
export interface NodeProcess extends NodeMachine {
  readonly kubelet: Kubelet;
  /** Undefined when the pool runs no kube-proxy (`proxy: false`). */
  readonly proxy: KubeProxy | undefined;
}

/**
 * The host's part of a cluster: a node's machine, built inside the node process so that a
 * crash of the process loses the containers, as a machine crash does (`M` is the host's
 * machine options); and the cluster's signing key, which core may not generate itself.
 */
export interface ClusterHost<M> {
  machine(ports: ProcessPorts, node: NodeIdentity, options: M | undefined): NodeMachine;
  readonly signer: TokenSigner;
  /**
   * The credential a node's agents present for `identity` (the kubelet's node identity,
   * kube-proxy's). By default the cluster's key signs one; a node that joined a control plane
   * on another host holds no signing key, only what the control plane issued to it (the
   * kubelet's through TLS bootstrap), and `signer` then only verifies. Undefined: the
   * identity's requests carry no bearer token, as the host's transport authenticates them (a
   * kubelet's client certificate on a mutual-TLS connection).
   */
  readonly nodeCredential?: (identity: ClientIdentity) => string | undefined;
}

export interface NodeIdentity {
  readonly nodeName: string;
  readonly podCIDR: string;
  /** The node's InternalIP (the hostIP of its pods). */
  readonly internalIP: string;
}

/** Identical nodes `namePrefix-1` .. `namePrefix-count`, or named one by one (`names`). */
export interface NodePool<M = unknown> {
  readonly namePrefix: string;
  readonly count: number;
  /**
   * The nodes' own names, `count` of them, instead of `namePrefix-i`: a cluster recreated from
   * a real one (ksim import) or from a trace keeps the names its pods are bound to.
   */
  readonly names?: readonly string[];
  /** Merged over the kubelet's DEFAULT_CAPACITY. */
  readonly capacity?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Labels of single nodes, merged over `labels`: entry i for node `namePrefix-(i+1)` (zones
   * or instance types that vary across a pool).
   */
  readonly nodeLabels?: readonly Readonly<Record<string, string>>[];
  /** Kubelet settings beyond name, pod range, capacity and labels. */
  readonly kubelet?: Omit<
    Partial<KubeletOptions>,
    'nodeName' | 'podCIDR' | 'internalIP' | 'capacity' | 'labels'
  >;
  /** Host-specific machine options (the simulated runtime's latencies and faults, say). */
  readonly machine?: M;
  /** kube-proxy settings beyond node name and IP; false runs none on these nodes. */
  readonly proxy?: Omit<KubeProxyOptions, 'nodeName' | 'nodeIP'> | false;
}

export type StoreMemberTuning = Omit<KvMemberOptions, 'id' | 'peers' | 'probe' | 'join'>;

export interface StoreSpec {
  /** Raft members, each on its own disk (1-7). */
  readonly members: number;
  /**
   * A single volatile store process instead of Raft members: faster, for runs that do not
   * study the store (a crash of it loses everything).
   */
  readonly inMemory?: boolean;
  /**
   * The members' names, one per member, instead of `etcd-0` ..: Raft ids follow their order.
   * A store whose members run on several hosts (`ksim real control-plane --peers`) is named
   * by the list every host is given.
   */
  readonly names?: readonly string[];
  readonly tuning?: StoreMemberTuning;
  /** Every member reports to it (the host's checkers: Raft safety, the committed objects). */
  readonly probe?: MemberProbe;
}

/**
 * How many of each control-plane component run. One of a kind keeps its plain name
 * (`apiserver`, `scheduler`, `controller-manager`); several are numbered (`scheduler-0`, ...).
 * Several schedulers or controller managers run with leader election, so one acts and the
 * others stand by; several API servers serve the same store, and every other process reaches
 * them through a client-side load balancer (api-balancer.ts) at the one API address.
 */
export interface ControlPlaneReplicas {
  readonly apiServers?: number;
  readonly schedulers?: number;
  readonly controllerManagers?: number;
}

export const MAX_CONTROL_PLANE_REPLICAS = 7;

/** What a cluster's API server is told about access; the key comes from the host. */
export type ClusterAccess = Omit<AccessOptions, 'signer' | 'authorization'>;

export interface ClusterSpec<M = unknown> {
  readonly store: StoreSpec;
  readonly apiServer?: Omit<ApiServerOptions, 'storeMembers' | 'access'> & {
    readonly access?: ClusterAccess;
  };
  /** `false`: no scheduler process. */
  readonly scheduler?: SchedulerOptions | false;
  /** `false`: no controller manager process. */
  readonly controllerManager?: ControllerManagerOptions | false;
  /**
   * `false`: no metrics-server (and no metrics.k8s.io). By default one runs wherever a
   * controller manager does, since the HorizontalPodAutoscaler controller reads it.
   */
  readonly metricsServer?: Partial<MetricsServerOptions> | false;
  readonly nodePools: readonly NodePool<M>[];
  readonly podNetwork?: PodNetwork;
  /** Default: one of each. */
  readonly controlPlane?: ControlPlaneReplicas;
  /**
   * --feature-gates of every control-plane component (API servers and controller managers read
   * the gates ksim models); a component's own featureGates option wins.
   */
  readonly featureGates?: Readonly<Record<string, boolean>>;
}

/** Names of the processes a cluster runs, for faults and for reports. */
export interface ClusterLayout {
  readonly store: readonly string[];
  /**
   * The API server of a client that does not balance (`ksim serve`'s HTTP front): with several,
   * the first. Cluster processes reach several through the load balancer at API_SERVER.
   */
  readonly apiServer: string;
  /** Every API server process. */
  readonly apiServers: readonly string[];
  /** The first scheduler, if any. */
  readonly scheduler: string | undefined;
  readonly schedulers: readonly string[];
  /** The first controller manager, if any. */
  readonly controllerManager: string | undefined;
  readonly controllerManagers: readonly string[];
  readonly metricsServer: string | undefined;
  readonly nodes: readonly string[];
}

export interface ClusterPlan {
  /** In start order: store, API server, scheduler, controller manager, metrics-server, nodes. */
  readonly processes: readonly ProcessPlan[];
  readonly layout: ClusterLayout;
}

export const MAX_STORE_MEMBERS = 7;

/**
 * Plans a whole cluster. Every problem with the spec is found here, before any process starts,
 * and reported together.
 */
export function planCluster<M>(spec: ClusterSpec<M>, host: ClusterHost<M>): ClusterPlan {
  const problems = checkClusterSpec(spec);
  if (problems.length > 0) throw new Error(`invalid cluster: ${problems.join('; ')}`);
  const processes: ProcessPlan[] = [];
  const store = storePlans(spec.store);
  processes.push(...store);
  const storeNames = store.map((p) => p.name);
  const signer = host.signer;
  const metrics = metricsServerOptions(spec);
  const names = controlPlaneProcessNames(spec);
  const gates = spec.featureGates === undefined ? {} : { featureGates: spec.featureGates };
  const apiServer = {
    ...gates,
    ...spec.apiServer,
    storeMembers: storeNames,
    access: { ...spec.apiServer?.access, signer, authorization: 'Node,RBAC' as const },
    ...(metrics === false ? {} : { aggregated: [METRICS_API] }),
  };
  for (const name of names.apiServers) processes.push(apiServerPlan(apiServer, name));
  // Several of a component: one acts, the others stand by (their options may tune the election).
  const standby = { leaderElection: true };
  const scheduler = spec.scheduler === false ? {} : (spec.scheduler ?? {});
  for (const name of names.schedulers) {
    const options = names.schedulers.length > 1 ? { ...standby, ...scheduler } : scheduler;
    processes.push(schedulerPlan(options, signer, name));
  }
  const manager = { ...gates, ...(spec.controllerManager || {}) };
  for (const name of names.controllerManagers) {
    const options = names.controllerManagers.length > 1 ? { ...standby, ...manager } : manager;
    processes.push(controllerManagerPlan(options, signer, name));
  }
  if (metrics !== false) processes.push(metricsServerPlan(metrics, signer));
  const net = spec.podNetwork ?? DEFAULT_POD_NETWORK;
  const nodes: string[] = [];
  for (const pool of spec.nodePools) {
    const poolNames = poolNodeNames(pool);
    for (let i = 1; i <= pool.count; i++) {
      const nodeName = poolNames[i - 1] as string;
      const index = nodes.length;
      const identity = nodeIdentity(nodeName, nodePodCIDR(net, index), nodeInternalIP(net, index));
      const own = pool.nodeLabels?.[i - 1];
      const node = own === undefined ? pool : { ...pool, labels: { ...pool.labels, ...own } };
      processes.push(nodePlan(identity, node, host, net.clusterCIDR));
      nodes.push(nodeName);
    }
  }
  return {
    processes: behindBalancer(processes, names.apiServers),
    layout: {
      store: storeNames,
      apiServer: names.apiServers[0] as string,
      apiServers: names.apiServers,
      scheduler: names.schedulers[0],
      schedulers: names.schedulers,
      controllerManager: names.controllerManagers[0],
      controllerManagers: names.controllerManagers,
      metricsServer: metrics === false ? undefined : METRICS_SERVER,
      nodes,
    },
  };
}

/** The control plane's process names, by kind. */
function controlPlaneProcessNames<M>(spec: ClusterSpec<M>): {
  apiServers: string[];
  schedulers: string[];
  controllerManagers: string[];
} {
  const replicas = spec.controlPlane ?? {};
  return {
    apiServers: replicaNames(API_SERVER, replicas.apiServers ?? 1),
    schedulers: spec.scheduler === false ? [] : replicaNames(SCHEDULER, replicas.schedulers ?? 1),
    controllerManagers:
      spec.controllerManager === false
        ? []
        : replicaNames(CONTROLLER_MANAGER, replicas.controllerManagers ?? 1),
  };
}

/**
 * With several API servers, every process but the store members and the API servers reaches
 * the API through the load balancer at the one API address (API_SERVER), as components do
 * through a control-plane endpoint. One API server is that address itself.
 */
function behindBalancer(plans: ProcessPlan[], apiServers: readonly string[]): ProcessPlan[] {
  if (apiServers.length <= 1) return plans;
  return plans.map((p) =>
    p.role === 'store' || p.role === 'apiserver'
      ? p
      : { ...p, start: (ports) => p.start(balancedPorts(ports, API_SERVER, apiServers)) },
  );
}

/** Everything wrong with a spec, each naming the field. */
export function checkClusterSpec<M>(spec: ClusterSpec<M>): string[] {
  const problems: string[] = [];
  const { members, inMemory } = spec.store;
  if (!Number.isInteger(members) || members < 1 || members > MAX_STORE_MEMBERS) {
    problems.push(
      `store.members must be an integer from 1 to ${MAX_STORE_MEMBERS}, got ${members}`,
    );
  } else if (inMemory === true && members !== 1) {
    problems.push(`an in-memory store has exactly one member, not ${members}`);
  }
  if (spec.store.names !== undefined) problems.push(...storeNameProblems(spec));
  for (const [field, count] of Object.entries(spec.controlPlane ?? {})) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_CONTROL_PLANE_REPLICAS) {
      problems.push(
        `controlPlane.${field} must be an integer from 1 to ${MAX_CONTROL_PLANE_REPLICAS}, got ${count}`,
      );
    }
  }
  const names = new Map<string, string>();
  const named = new Map<string, string>();
  const controlPlane = controlPlaneNames(spec);
  let nodeCount = 0;
  spec.nodePools.forEach((pool, i) => {
    if (!Number.isInteger(pool.count) || pool.count < 0) {
      problems.push(`nodePools[${i}].count must be a non-negative integer, got ${pool.count}`);
      return;
    }
    if (pool.names !== undefined) {
      problems.push(...namedPoolProblems(pool.names, pool.count, i, named, controlPlane));
      nodeCount += pool.count;
      return;
    }
    const earlier = names.get(pool.namePrefix);
    if (earlier !== undefined && pool.count > 0) {
      problems.push(
        `nodePools[${i}] and ${earlier} both name their nodes ${pool.namePrefix}-1, ...: give them different namePrefix values`,
      );
    }
    if (pool.count > 0) names.set(pool.namePrefix, `nodePools[${i}]`);
    const clash = controlPlane.find((n) => isPoolMember(n, pool.namePrefix, pool.count));
    if (clash !== undefined) {
      problems.push(`nodePools[${i}] would name a node ${clash}, a control-plane process`);
    }
    nodeCount += pool.count;
  });
  for (const [name, at] of named) {
    const pool = spec.nodePools.find(
      (p) => p.names === undefined && isPoolMember(name, p.namePrefix, p.count),
    );
    if (pool !== undefined)
      problems.push(`${at}: node ${name} is also in the pool ${pool.namePrefix}`);
  }
  const net = spec.podNetwork ?? DEFAULT_POD_NETWORK;
  const room = checkPodNetwork(net);
  if (!room.ok) problems.push(`podNetwork: ${room.message}`);
  else if (nodeCount > room.nodes) problems.push(podNetworkFullMessage(net, nodeCount, room.nodes));
  else {
    const addresses = nodeAddressesProblem(net, nodeCount);
    if (addresses !== undefined) problems.push(addresses);
  }
  const rangeProblems = rangeConfigProblems(spec.apiServer?.ranges ?? {});
  for (const p of rangeProblems) problems.push(`apiServer: ${p}`);
  if (room.ok && rangeProblems.length === 0) {
    const serviceRange =
      spec.apiServer?.ranges?.[SERVICE_IP_RANGE.flag] ?? SERVICE_IP_RANGE.defaultRange;
    for (const p of podNetworkOverlaps(net, serviceRange)) problems.push(`podNetwork: ${p}`);
  }
  const settings: [string, Readonly<Record<string, boolean>> | undefined][] = [
    ['featureGates', spec.featureGates],
    ['apiServer.featureGates', spec.apiServer?.featureGates],
    ['controllerManager.featureGates', (spec.controllerManager || undefined)?.featureGates],
  ];
  for (const [field, gates] of settings) {
    for (const p of featureGateProblems(gates ?? {})) problems.push(`${field}: ${p}`);
  }
  return problems;
}

/** Named store members: one name per member, each a DNS label, none twice, no other process's. */
function storeNameProblems<M>(spec: ClusterSpec<M>): string[] {
  const names = spec.store.names ?? [];
  const problems: string[] = [];
  if (names.length !== spec.store.members)
    problems.push(`store.names has ${names.length} names for ${spec.store.members} members`);
  const others = controlPlaneNames({ ...spec, store: { members: 0 } });
  names.forEach((name, i) => {
    const bad = isDNS1123Label(name);
    if (bad.length > 0)
      problems.push(
        `store.names[${i}]: ${JSON.stringify(name)} is not a DNS label: ${bad.join('; ')}`,
      );
    else if (names.indexOf(name) !== i) problems.push(`store.names[${i}]: ${name} is named twice`);
    else if (others.includes(name))
      problems.push(`store.names[${i}]: ${name} is a control-plane process`);
  });
  return problems;
}

function controlPlaneNames<M>(spec: ClusterSpec<M>): string[] {
  const members = spec.store.inMemory === true ? 1 : spec.store.members;
  const store =
    spec.store.names?.slice(0, Math.max(0, members)) ??
    Array.from({ length: Math.max(0, members) }, (_, i) => storeMemberName(i));
  const replicas = spec.controlPlane ?? {};
  const counted = (base: string, count: number | undefined): string[] =>
    Number.isInteger(count ?? 1) && (count ?? 1) >= 1 ? replicaNames(base, count ?? 1) : [];
  return [
    ...store,
    ...new Set([
      API_SERVER,
      SCHEDULER,
      CONTROLLER_MANAGER,
      ...counted(API_SERVER, replicas.apiServers),
      ...counted(SCHEDULER, replicas.schedulers),
      ...counted(CONTROLLER_MANAGER, replicas.controllerManagers),
    ]),
    METRICS_SERVER,
  ];
}

/** A pool's node names, in order: its own `names`, or `namePrefix-1` .. `namePrefix-count`. */
export function poolNodeNames(pool: Pick<NodePool, 'namePrefix' | 'count' | 'names'>): string[] {
  if (pool.names !== undefined) return [...pool.names];
  return Array.from({ length: pool.count }, (_, i) => `${pool.namePrefix}-${i + 1}`);
}

/**
 * A pool of named nodes: one name per node, each a DNS subdomain (a Node's name), none used
 * twice across such pools, none a control-plane process. `seen` collects names across pools.
 */
function namedPoolProblems(
  poolNames: readonly string[],
  count: number,
  i: number,
  seen: Map<string, string>,
  controlPlane: readonly string[],
): string[] {
  const problems: string[] = [];
  if (poolNames.length !== count) {
    problems.push(`nodePools[${i}] has ${poolNames.length} names for ${count} nodes`);
  }
  poolNames.forEach((name, j) => {
    const at = `nodePools[${i}].names[${j}]`;
    const bad = isDNS1123Subdomain(name);
    if (bad.length > 0) {
      problems.push(`${at}: ${JSON.stringify(name)} is not a valid node name: ${bad.join('; ')}`);
    } else if (controlPlane.includes(name)) {
      problems.push(`${at}: ${name} is a control-plane process`);
    } else if (seen.has(name)) {
      problems.push(`${at}: node ${name} is named twice (also ${String(seen.get(name))})`);
    } else seen.set(name, at);
  });
  return problems;
}

function isPoolMember(name: string, prefix: string, count: number): boolean {
  if (!name.startsWith(`${prefix}-`)) return false;
  const suffix = name.slice(prefix.length + 1);
  const n = Number(suffix);
  return String(n) === suffix && n >= 1 && n <= count;
}

/** The Raft members a store of `count` members starts with: ids 1..count, names etcd-0.. */
export function storePeers(count: number, names?: readonly string[]): MemberPeer[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    address: names?.[i] ?? storeMemberName(i),
  }));
}

/**
 * How often a cluster's store tells a caught-up watcher with progress_notify its revision:
 * etcd's default (--experimental-watch-progress-notify-interval, 10 minutes). The API server's
 * watch caches take their version from it when their kind has no changes; clients get it in
 * their bookmarks, about once a minute each. The store's own default (1 s) serves the store's
 * tests and fuzzer, which check the notifications themselves.
 */
export const CLUSTER_STORE_PROGRESS_INTERVAL_US = 600_000_000;

export function storePlans(spec: StoreSpec): ProcessPlan[] {
  if (spec.inMemory === true) return [inMemoryStorePlan(storeMemberName(0))];
  const peers = storePeers(spec.members, spec.names);
  const probe = spec.probe === undefined ? {} : { probe: spec.probe };
  return peers.map((peer) =>
    storeMemberPlan(
      {
        progressIntervalUs: CLUSTER_STORE_PROGRESS_INTERVAL_US,
        ...spec.tuning,
        ...probe,
        id: peer.id,
        peers,
      },
      peer.address,
    ),
  );
}

/** A Raft store member listening at `address`. */
export function storeMemberPlan(options: KvMemberOptions, address: string): ProcessPlan {
  return { name: address, role: 'store', start: (ports) => new KvMember(ports, options) };
}

export function inMemoryStorePlan(name: string): ProcessPlan {
  return {
    name,
    role: 'store',
    start: (ports) =>
      new KvService(ports, { progressIntervalUs: CLUSTER_STORE_PROGRESS_INTERVAL_US }),
  };
}

export function apiServerPlan(options: ApiServerOptions, name: string = API_SERVER): ProcessPlan {
  return { name, role: 'apiserver', start: (ports) => new ApiServer(ports, options) };
}

export function schedulerPlan(
  options: SchedulerOptions,
  signer: TokenSigner,
  name: string = SCHEDULER,
): ProcessPlan {
  return {
    name,
    role: 'scheduler',
    start: (ports) =>
      new Scheduler(ports, componentClient(ports, signer, SCHEDULER_IDENTITY), options),
  };
}

/**
 * The controller manager lists and watches as itself and each controller writes as its own
 * service account, as kube-controller-manager does with --use-service-account-credentials.
 */
export function controllerManagerPlan(
  options: ControllerManagerOptions,
  signer: TokenSigner,
  name: string = CONTROLLER_MANAGER,
): ProcessPlan {
  return {
    name,
    role: 'controller-manager',
    start: (ports) =>
      new ControllerManager(
        ports,
        componentClient(ports, signer, CONTROLLER_MANAGER_IDENTITY),
        options,
        (controller) => componentClient(ports, signer, controllerIdentity(controller)),
      ),
  };
}

function metricsServerOptions<M>(spec: ClusterSpec<M>): Partial<MetricsServerOptions> | false {
  if (spec.metricsServer !== undefined) return spec.metricsServer;
  return spec.controllerManager === false ? false : {};
}

/** The group metrics-server serves, as its APIService registers it with the aggregator. */
export const METRICS_API: AggregatedApi = {
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  service: METRICS_SERVER,
};

/**
 * metrics-server: its informers read as its own ServiceAccount, it presents that identity to
 * the kubelets, and it checks the aggregator's front-proxy credential with the cluster's key.
 */
export function metricsServerPlan(
  options: Partial<MetricsServerOptions>,
  signer: TokenSigner,
  name: string = METRICS_SERVER,
): ProcessPlan {
  return {
    name,
    role: 'metrics-server',
    start: (ports) =>
      new MetricsServer(
        ports,
        componentClient(ports, signer, METRICS_SERVER_IDENTITY),
        {
          kubeletToken: issueClientCredential(signer, METRICS_SERVER_IDENTITY),
          authenticate: credentialAuthenticator(signer, () => ports.clock.now()),
        },
        options,
      ),
  };
}

/**
 * Checks a bearer token against the cluster's key, as a server outside the API server does with
 * the cluster's client CA (kubelet --client-ca-file, metrics-server --requestheader-client-ca-file).
 */
export function credentialAuthenticator(
  signer: TokenSigner,
  nowUs: () => number,
): RequestAuthenticator {
  const authenticator = clientCredentialAuthenticator(new JwtVerifier(signer), nowUs);
  return async (authorization) => {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    if (token === undefined) return undefined;
    const r = await authenticator.authenticateToken(token);
    if (r.kind !== 'authenticated') return undefined;
    const groups = r.user.groups.filter((g) => g !== ALL_AUTHENTICATED);
    return { user: r.user.name, groups: [...groups, ALL_AUTHENTICATED] };
  };
}

/**
 * A node's identity; a cluster gives each node its InternalIP by position (nodeInternalIP),
 * a lone node derives it from its pod range (see defaultInternalIP).
 */
export function nodeIdentity(
  nodeName: string,
  podCIDR: string,
  internalIP: string = defaultInternalIP(podCIDR),
): NodeIdentity {
  return { nodeName, podCIDR, internalIP };
}

/**
 * A node: its machine (from the host), its kubelet and its kube-proxy in one process, so a
 * crash restarts both agents on a machine that lost its containers and rules.
 * `clusterCIDR` is kube-proxy's --cluster-cidr (traffic from outside it is masqueraded).
 */
export function nodePlan<M>(
  identity: NodeIdentity,
  pool: Omit<NodePool<M>, 'namePrefix' | 'count' | 'names'>,
  host: ClusterHost<M>,
  clusterCIDR: string = DEFAULT_POD_NETWORK.clusterCIDR,
): ProcessPlan {
  const { nodeName, podCIDR, internalIP } = identity;
  return {
    name: nodeName,
    role: 'node',
    start: (ports): NodeProcess => {
      const machine = host.machine(ports, identity, pool.machine);
      const credential =
        host.nodeCredential ?? ((id: ClientIdentity) => issueClientCredential(host.signer, id));
      const api = credentialClient(ports, credential(nodeClientIdentity(nodeName)));
      const kubelet = new Kubelet(
        ports,
        machine.runtime,
        api,
        {
          ...pool.kubelet,
          nodeName,
          podCIDR,
          internalIP,
          ...(pool.capacity === undefined ? {} : { capacity: pool.capacity }),
          labels: pool.labels ?? {},
        },
        machine.probes,
        credentialAuthenticator(host.signer, () => ports.clock.now()),
      );
      const proxy =
        pool.proxy === false
          ? undefined
          : new KubeProxy(
              forkRandom(ports, 'kube-proxy'),
              machine.netfilter,
              credentialClient(ports, credential(KUBE_PROXY_IDENTITY)),
              {
                clusterCIDR,
                ...pool.proxy,
                nodeName,
                nodeIP: internalIP,
              },
            );
      return { ...machine, kubelet, proxy };
    },
  };
}

/**
 * The same ports with the random stream forked, for a second agent in a process: its draws
 * (informers' watch timeouts and backoffs) then leave the first agent's stream as it was.
 */
function forkRandom(ports: ProcessPorts, label: string): ProcessPorts {
  return {
    name: ports.name,
    incarnation: ports.incarnation,
    clock: ports.clock,
    random: ports.random.fork(label),
    transport: ports.transport,
    disk: ports.disk,
    trace: ports.trace,
    cpu: ports.cpu,
    checkImmutability: ports.checkImmutability,
    spawn: (task) => ports.spawn(task),
  };
}

/**
 * A component's client of the API server, authenticated as `identity` by a credential the
 * cluster's key signs, and honouring Retry-After.
 */
export function componentClient(
  ports: ProcessPorts,
  signer: TokenSigner,
  identity: ClientIdentity,
): ApiClient {
  return credentialClient(ports, issueClientCredential(signer, identity));
}

/** A component's client of the API server presenting `credential`, honouring Retry-After. */
export function credentialClient(ports: ProcessPorts, credential: string | undefined): ApiClient {
  return new ApiClient(ports.transport, API_SERVER, {
    requestTimeoutUs: COMPONENT_REQUEST_TIMEOUT_US,
    ...(credential === undefined ? {} : { credential }),
    clock: ports.clock,
  });
}
