/**
 * The cluster a scenario describes, in the terms of the cluster assembly (core/cluster): the
 * scenario loader checks it with the assembly's own rules, the runner builds it.
 */
import { checkClusterSpec, planCluster } from '../../core/cluster/assembly.ts';
import { API_SERVER } from '../../core/cluster/identities.ts';
import { DEFAULT_POD_NETWORK } from '../../core/cluster/pod-network.ts';
import { SIM_HOST, type SimClusterSpec } from '../cluster.ts';
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
  return {
    ...(Object.keys(ranges).length === 0 ? {} : { apiServer: { ranges } }),
    store: { members: cluster.store?.members ?? 1, inMemory: cluster.store?.inMemory ?? false },
    ...(cluster.controlPlane === undefined ? {} : { controlPlane: cluster.controlPlane }),
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
      count: p.count,
      capacity: p.capacity ?? {},
      labels: p.labels ?? {},
      ...(p.imagePullSeconds === undefined
        ? {}
        : { machine: { imagePullUs: Math.round(p.imagePullSeconds * US_PER_SECOND) } }),
      ...(p.taints === undefined && p.unschedulable === undefined
        ? {}
        : {
            kubelet: {
              ...(p.taints === undefined ? {} : { taints: p.taints }),
              ...(p.unschedulable === undefined ? {} : { registerSchedulable: !p.unschedulable }),
            },
          }),
    })),
  };
}

/** The names of the cluster's nodes, pool by pool (`<namePrefix>-1` ...). */
export function nodeNames(cluster: Scenario['spec']['cluster']): string[] {
  return cluster.nodes.flatMap((p) =>
    Array.from({ length: p.count }, (_, i) => `${p.namePrefix ?? 'node'}-${i + 1}`),
  );
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
  return [
    API_SERVER,
    ...planCluster(clusterSpecOf(cluster), SIM_HOST).processes.map((p) => p.name),
  ];
}
