/**
 * The cluster a scenario describes, in the terms of the cluster assembly (core/cluster): the
 * scenario loader checks it with the assembly's own rules, the runner builds it.
 */
import type { Pod } from '../../core/api/pod-types.ts';
import type { KubeletOptions } from '../../core/kubelet/config.ts';
import { checkClusterSpec, planCluster, poolNodeNames } from '../../core/cluster/assembly.ts';
import { API_SERVER } from '../../core/cluster/identities.ts';
import { DEFAULT_POD_NETWORK } from '../../core/cluster/pod-network.ts';
import { mustParseQuantity, value } from '../../core/api/quantity.ts';
import { SIM_HOST, type SimClusterSpec, type SimMachineOptions } from '../cluster.ts';
import type { LabelValue } from './scenario-schema.ts';
import { LABEL_TOPOLOGY_ZONE } from '../../core/controllers/node-lifecycle/zone-disruption.ts';
import type { Scenario } from './scenario.ts';

const US_PER_SECOND = 1_000_000;

export function clusterSpecOf(cluster: Scenario['spec']['cluster']): SimClusterSpec {
  const net = cluster.podNetwork;
  const services = cluster.serviceNetwork;
  const ranges: Record<string, string> = {};
  if (services?.clusterIPRange !== undefined) {
    ranges['service-cluster-ip-range'] = services.clusterIPRange;
  }
  if (services?.nodePortRange !== undefined) {
    ranges['service-node-port-range'] = services.nodePortRange;
  }
  const flags = cluster.apiServer ?? {};
  const apiServer = {
    ...(Object.keys(ranges).length === 0 ? {} : { ranges }),
    ...(flags.compactionInterval === undefined
      ? {}
      : { compactionIntervalUs: flags.compactionInterval }),
    ...(flags.watchCacheSize === undefined ? {} : { watchCacheCapacity: flags.watchCacheSize }),
  };
  return {
    ...(Object.keys(apiServer).length === 0 ? {} : { apiServer }),
    store: { members: cluster.store?.members ?? 1, inMemory: cluster.store?.inMemory ?? false },
    ...(cluster.controlPlane === undefined
      ? {}
      : { controlPlane: replicasOf(cluster.controlPlane) }),
    ...(cluster.featureGates === undefined ? {} : { featureGates: featureGatesOf(cluster) }),
    ...(cluster.costModel === undefined ? {} : { costModel: cluster.costModel }),
    ...(net === undefined
      ? {}
      : {
          podNetwork: {
            clusterCIDR: net.clusterCIDR,
            nodeCIDRMaskSize: net.nodeCIDRMaskSize ?? DEFAULT_POD_NETWORK.nodeCIDRMaskSize,
          },
        }),
    nodePools: cluster.nodes.map((p) => ({
      namePrefix: p.namePrefix ?? 'node',
      count: poolSize(p),
      ...(p.names === undefined ? {} : { names: p.names }),
      capacity: p.capacity ?? {},
      ...poolLabels(p.labels ?? {}, poolSize(p)),
      ...machineOf(p),
      ...(p.taints === undefined &&
      p.unschedulable === undefined &&
      p.kubeletConfig === undefined &&
      p.inodes === undefined &&
      p.staticPods === undefined
        ? {}
        : {
            kubelet: {
              // The loader has read each entry's file and checked it as a Pod.
              ...(p.staticPods === undefined ? {} : { staticPods: p.staticPods as Pod[] }),
              ...(p.taints === undefined ? {} : { taints: p.taints }),
              ...(p.inodes === undefined ? {} : { fsInodes: p.inodes }),
              ...(p.unschedulable === undefined ? {} : { registerSchedulable: !p.unschedulable }),
              ...kubeletOptionsOf(p.kubeletConfig),
            },
          }),
    })),
  };
}

type Pool = Scenario['spec']['cluster']['nodes'][number];
type PoolKubeletConfig = Pool['kubeletConfig'];

/** A pool's machine: image pull time and image sizes ('*' sizes every image not named). */
function machineOf(p: Pool): { machine?: SimMachineOptions } {
  const machine: { -readonly [K in keyof SimMachineOptions]: SimMachineOptions[K] } = {};
  if (p.imagePullSeconds !== undefined)
    machine.imagePullUs = Math.round(p.imagePullSeconds * US_PER_SECOND);
  if (p.imageSizes !== undefined) {
    const sizes: Record<string, number> = {};
    for (const [image, text] of Object.entries(p.imageSizes)) {
      const bytes = Math.round(value(mustParseQuantity(text)));
      if (image === '*') machine.defaultImageSizeBytes = bytes;
      else sizes[image] = bytes;
    }
    machine.imageSizesBytes = sizes;
  }
  return Object.keys(machine).length === 0 ? {} : { machine };
}

/** A pool's KubeletConfiguration fields as the kubelet's options. */
function kubeletOptionsOf(c: PoolKubeletConfig): Partial<KubeletOptions> {
  if (c === undefined) return {};
  const out: { -readonly [K in keyof KubeletOptions]?: KubeletOptions[K] } = {};
  if (c.evictionHard !== undefined) out.evictionHard = c.evictionHard;
  if (c.evictionSoft !== undefined) out.evictionSoft = c.evictionSoft;
  if (c.evictionSoftGracePeriod !== undefined)
    out.evictionSoftGracePeriodUs = c.evictionSoftGracePeriod;
  if (c.evictionMinimumReclaim !== undefined) out.evictionMinimumReclaim = c.evictionMinimumReclaim;
  if (c.evictionMaxPodGracePeriod !== undefined)
    out.evictionMaxPodGracePeriodSeconds = c.evictionMaxPodGracePeriod;
  if (c.evictionPressureTransitionPeriod !== undefined)
    out.evictionPressureTransitionPeriodUs = c.evictionPressureTransitionPeriod;
  if (c.pidMax !== undefined) out.pidMax = c.pidMax;
  if (c.imageGCHighThresholdPercent !== undefined)
    out.imageGCHighThresholdPercent = c.imageGCHighThresholdPercent;
  if (c.imageGCLowThresholdPercent !== undefined)
    out.imageGCLowThresholdPercent = c.imageGCLowThresholdPercent;
  if (c.imageMinimumGCAge !== undefined) out.imageMinimumGCAgeUs = c.imageMinimumGCAge;
  if (c.imageMaximumGCAge !== undefined) out.imageMaximumGCAgeUs = c.imageMaximumGCAge;
  return out;
}

function featureGatesOf(cluster: Scenario['spec']['cluster']): Record<string, boolean> {
  const settings: Record<string, boolean> = {};
  for (const [name, on] of Object.entries(cluster.featureGates ?? {})) {
    if (on !== undefined) settings[name] = on;
  }
  return settings;
}

type ScenarioPool = Scenario['spec']['cluster']['nodes'][number];

/** How many nodes a pool has: its count, or as many as it names (the schema requires one). */
export function poolSize(p: ScenarioPool): number {
  return p.count ?? p.names?.length ?? 0;
}

/** A pool's node names: its `names`, or `<namePrefix>-1` ... */
function namesOf(p: ScenarioPool): string[] {
  const pool = { namePrefix: p.namePrefix ?? 'node', count: poolSize(p) };
  return poolNodeNames(p.names === undefined ? pool : { ...pool, names: p.names });
}

/** The names of the cluster's nodes, pool by pool (`<namePrefix>-1` ..., or a pool's names). */
export function nodeNames(cluster: Scenario['spec']['cluster']): string[] {
  return cluster.nodes.flatMap(namesOf);
}

/** What the assembly would refuse in this cluster; node pools are named as the file names them. */
export function clusterProblems(cluster: Scenario['spec']['cluster']): string[] {
  return checkClusterSpec(clusterSpecOf(cluster)).map((p) =>
    p
      .replace(/nodePools\[(\d+)\]/g, 'spec.cluster.nodes[$1]')
      .replace(/^apiServer: /, 'serviceNetwork: '),
  );
}

/**
 * The names of every process the cluster starts, and the API address (a valid cluster only).
 * Nothing starts: the assembly only plans.
 */
export function processNames(cluster: Scenario['spec']['cluster']): string[] {
  return [...new Set([API_SERVER, ...plannedProcesses(cluster)])];
}

/** The processes the assembly plans for the cluster, in start order. */
function plannedProcesses(cluster: Scenario['spec']['cluster']): string[] {
  return planCluster(clusterSpecOf(cluster), SIM_HOST).processes.map((p) => p.name);
}

/**
 * A pool's labels as the assembly takes them: those every node has, and per node those that
 * vary (roundRobin or weighted).
 */
function poolLabels(
  labels: Readonly<Record<string, LabelValue>>,
  count: number,
): { labels: Record<string, string>; nodeLabels?: Record<string, string>[] } {
  const fixed: Record<string, string> = {};
  const varying: [string, string[]][] = [];
  for (const [key, v] of Object.entries(labels)) {
    if (typeof v === 'string') fixed[key] = v;
    else if ('roundRobin' in v)
      varying.push([
        key,
        Array.from({ length: count }, (_, i) => v.roundRobin[i % v.roundRobin.length] as string),
      ]);
    else varying.push([key, weightedSequence(v.weighted, count)]);
  }
  if (varying.length === 0) return { labels: fixed };
  const nodeLabels = Array.from({ length: count }, (_, i) =>
    Object.fromEntries(varying.map(([key, values]) => [key, values[i] as string])),
  );
  return { labels: fixed, nodeLabels };
}

/**
 * `count` values by smooth weighted round robin (nginx's): each turn every value gains its
 * weight, the value with the most is taken and pays the total. Deterministic, and interleaved:
 * weights {a: 2, b: 1} give a, b, a, a, b, a, ...
 */
export function weightedSequence(
  weights: Readonly<Record<string, number>>,
  count: number,
): string[] {
  const entries = Object.entries(weights);
  const total = entries.reduce((n, [, w]) => n + w, 0);
  const current = entries.map(() => 0);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let best = 0;
    entries.forEach(([, w], j) => {
      current[j] = (current[j] as number) + w;
      if ((current[j] as number) > (current[best] as number)) best = j;
    });
    current[best] = (current[best] as number) - total;
    out.push((entries[best] as [string, number])[0]);
  }
  return out;
}

/** Every node's labels, as the assembly gives them to its kubelet. */
function nodeLabels(cluster: Scenario['spec']['cluster']): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const names = nodeNames(cluster);
  let n = 0;
  for (const pool of clusterSpecOf(cluster).nodePools) {
    for (let i = 0; i < pool.count; i++) {
      out.set(names[n++] as string, { ...pool.labels, ...pool.nodeLabels?.[i] });
    }
  }
  return out;
}

export const CONTROL_PLANE_GROUP = 'control-plane';

type ControlPlane = NonNullable<Scenario['spec']['cluster']['controlPlane']>;

/** The replica counts of spec.cluster.controlPlane, as the assembly takes them (no zones). */
function replicasOf({ zones: _zones, ...replicas }: ControlPlane): Omit<ControlPlane, 'zones'> {
  return replicas;
}

/**
 * The zone (a value of topology.kubernetes.io/zone) of each control-plane process, from
 * spec.cluster.controlPlane.zones: the replicas of each component are spread over the zones
 * round-robin (etcd-0, apiserver-0, scheduler-0 ... in the first zone, the -1s in the second),
 * as a highly available control plane puts one of each per zone.
 */
export function controlPlaneZones(cluster: Scenario['spec']['cluster']): Map<string, string> {
  const zones = cluster.controlPlane?.zones;
  const out = new Map<string, string>();
  if (zones === undefined) return out;
  const layout = planCluster(clusterSpecOf(cluster), SIM_HOST).layout;
  for (const names of [
    layout.store,
    layout.apiServers,
    layout.schedulers,
    layout.controllerManagers,
  ])
    names.forEach((name, i) => out.set(name, zones[i % zones.length]!));
  return out;
}

/**
 * The processes of a group of spec.cluster.network.between: the control plane, a node pool by
 * its namePrefix, or the nodes with a label (`key=value`); a message when it names none.
 */
export function groupMembers(
  cluster: Scenario['spec']['cluster'],
  group: string,
): string[] | string {
  const nodes = nodeLabels(cluster);
  if (group === CONTROL_PLANE_GROUP) {
    return plannedProcesses(cluster).filter((n) => !nodes.has(n));
  }
  const pool = cluster.nodes.find((p) => (p.namePrefix ?? 'node') === group);
  if (pool !== undefined) return namesOf(pool);
  const eq = group.indexOf('=');
  if (eq > 0) {
    const [key, value] = [group.slice(0, eq), group.slice(eq + 1)];
    // Control-plane processes are in the zones spec.cluster.controlPlane.zones gives them.
    const controlPlane =
      key === LABEL_TOPOLOGY_ZONE
        ? [...controlPlaneZones(cluster)].filter(([, z]) => z === value).map(([n]) => n)
        : [];
    const found = [...nodes].filter(([, l]) => l[key] === value).map(([n]) => n);
    if (controlPlane.length + found.length > 0) return [...controlPlane, ...found];
    return `no node has the label ${group}`;
  }
  const pools = cluster.nodes.map((p) => p.namePrefix ?? 'node').join(', ');
  return `no group named ${JSON.stringify(group)} (${CONTROL_PLANE_GROUP}, a node pool: ${pools}, or label=value)`;
}

/**
 * The Leases the cluster's components elect leaders over: a component runs leader election
 * only with several replicas (one acts, the others stand by).
 */
export function electedLeases(cluster: Scenario['spec']['cluster']): string[] {
  const replicas = cluster.controlPlane ?? {};
  return [
    ...((replicas.schedulers ?? 1) > 1 ? ['kube-system/kube-scheduler'] : []),
    ...((replicas.controllerManagers ?? 1) > 1 ? ['kube-system/kube-controller-manager'] : []),
  ];
}
