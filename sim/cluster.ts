import { ApiServer } from '../core/apiserver/server.ts';
import { ApiClient } from '../core/client/api-client.ts';
import { ControllerManager } from '../core/controllers/manager.ts';
import { Kubelet } from '../core/kubelet/kubelet.ts';
import { Scheduler } from '../core/scheduler/scheduler.ts';
import { KvService } from '../core/store/kv-service.ts';
import { SimNetfilter } from './netfilter.ts';
import { SimRuntime } from './runtime.ts';
import { StoreCluster } from './store-cluster.ts';
import type { Simulation } from './simulation.ts';

export interface NodePool {
  readonly namePrefix: string;
  readonly count: number;
  readonly capacity: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly imagePullUs?: number;
}

export interface ClusterSpec {
  readonly storeMembers: number;
  /**
   * A single volatile store process instead of Raft members: faster, for runs that do not
   * study the store (a crash of it loses everything).
   */
  readonly inMemoryStore?: boolean;
  readonly nodePools: readonly NodePool[];
}

/** Names of the processes a cluster runs, for faults and for reports. */
export interface ClusterLayout {
  readonly store: readonly string[];
  readonly apiServer: string;
  readonly scheduler: string;
  readonly controllerManager: string;
  readonly nodes: readonly string[];
}

const DEFAULT_CAPACITY: Readonly<Record<string, string>> = {
  cpu: '4',
  memory: '8Gi',
  pods: '110',
  'ephemeral-storage': '100Gi',
};

/**
 * Wires a whole cluster into a simulation, one process per component: the store members (Raft,
 * each on its own disk; or one in-memory store process), the
 * API server, the scheduler, the controller manager, and one process per node (its kubelet and
 * container runtime together: crashing the process is a machine crash).
 */
export function buildCluster(sim: Simulation, spec: ClusterSpec): ClusterLayout {
  const apiServer = 'apiserver';
  let store: readonly string[];
  if (spec.inMemoryStore) {
    if (spec.storeMembers !== 1)
      throw new Error(`an in-memory store has exactly one member, not ${spec.storeMembers}`);
    store = ['etcd-0'];
    sim.spawnProcess('etcd-0', (p) => new KvService(p));
  } else {
    store = new StoreCluster(sim, { members: spec.storeMembers }).names;
  }
  sim.spawnProcess(apiServer, (p) => new ApiServer(p, { storeMembers: store }));
  sim.spawnProcess(
    'scheduler',
    (p) =>
      new Scheduler(
        p,
        new ApiClient(p.transport, apiServer, {
          requestTimeoutUs: 10_000_000,
          user: 'system:kube-scheduler',
        }),
      ),
  );
  sim.spawnProcess(
    'controller-manager',
    (p) =>
      new ControllerManager(
        p,
        new ApiClient(p.transport, apiServer, {
          requestTimeoutUs: 10_000_000,
          user: 'system:kube-controller-manager',
        }),
      ),
  );
  const nodes: string[] = [];
  let index = 0;
  for (const pool of spec.nodePools) {
    for (let i = 1; i <= pool.count; i++) {
      const nodeName = `${pool.namePrefix}-${i}`;
      if (sim.hasProcess(nodeName))
        throw new Error(
          `two node pools produce the node name ${nodeName}; give them different namePrefix values`,
        );
      const podCIDR = podCidrFor(index++);
      nodes.push(nodeName);
      sim.spawnProcess(nodeName, (p) => {
        const runtime = new SimRuntime(
          p,
          pool.imagePullUs === undefined ? {} : { imagePullUs: pool.imagePullUs },
        );
        const api = new ApiClient(p.transport, apiServer, {
          requestTimeoutUs: 10_000_000,
          user: `system:node:${nodeName}`,
        });
        const kubelet = new Kubelet(p, runtime, api, {
          nodeName,
          capacity: { ...DEFAULT_CAPACITY, ...pool.capacity },
          labels: pool.labels,
          podCIDR,
        });
        // The machine's packet filter, for kube-proxy when it comes; it dies with the machine.
        const netfilter = new SimNetfilter(p, { localAddresses: [kubelet.config.internalIP] });
        return { kubelet, runtime, netfilter };
      });
    }
  }
  return {
    store,
    apiServer,
    scheduler: 'scheduler',
    controllerManager: 'controller-manager',
    nodes,
  };
}

/** Node pod ranges: /24s carved from the cluster CIDR 10.244.0.0/14 (1024 nodes). */
export function podCidrFor(index: number): string {
  if (index >= 1024)
    throw new Error(
      `too many nodes with kubelets (${index + 1}): the pod network 10.244.0.0/14 has room for 1024`,
    );
  return `10.${244 + (index >> 8)}.${index & 255}.0/24`;
}
