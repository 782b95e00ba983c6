import { describe, expect, it } from 'vitest';
import {
  checkClusterSpec,
  planCluster,
  type ClusterHost,
  type ClusterSpec,
} from '../../../core/cluster/assembly.ts';
import {
  DEFAULT_POD_NETWORK,
  nodeInternalIP,
  nodePodCIDR,
} from '../../../core/cluster/pod-network.ts';
import { defaultInternalIP } from '../../../core/kubelet/config.ts';
import { buildCluster } from '../../../sim/cluster.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import { Simulation } from '../../../sim/simulation.ts';

const NO_HOST: ClusterHost<never> = {
  signer: SIM_SIGNER,
  machine: () => {
    throw new Error('planning starts no machine');
  },
};

const spec = (overrides: Partial<ClusterSpec<never>> = {}): ClusterSpec<never> => ({
  store: { members: 3 },
  nodePools: [{ namePrefix: 'node', count: 2 }],
  ...overrides,
});

describe('cluster assembly', () => {
  it('plans the processes in start order with their roles', () => {
    const plan = planCluster(spec(), NO_HOST);
    expect(plan.processes.map((p) => `${p.role}:${p.name}`)).toEqual([
      'store:etcd-0',
      'store:etcd-1',
      'store:etcd-2',
      'apiserver:apiserver',
      'scheduler:scheduler',
      'controller-manager:controller-manager',
      'metrics-server:metrics-server',
      'node:node-1',
      'node:node-2',
    ]);
    expect(plan.layout).toEqual({
      store: ['etcd-0', 'etcd-1', 'etcd-2'],
      apiServer: 'apiserver',
      apiServers: ['apiserver'],
      scheduler: 'scheduler',
      schedulers: ['scheduler'],
      controllerManager: 'controller-manager',
      controllerManagers: ['controller-manager'],
      metricsServer: 'metrics-server',
      nodes: ['node-1', 'node-2'],
    });
  });

  it('names store members as the spec says, Raft ids in their order, and refuses bad names', () => {
    const plan = planCluster(
      spec({ store: { members: 3, names: ['cp-a', 'cp-b', 'cp-c'] } }),
      NO_HOST,
    );
    expect(plan.layout.store).toEqual(['cp-a', 'cp-b', 'cp-c']);
    expect(plan.processes.filter((p) => p.role === 'store').map((p) => p.name)).toEqual([
      'cp-a',
      'cp-b',
      'cp-c',
    ]);
    expect(checkClusterSpec(spec({ store: { members: 3, names: ['a', 'b'] } }))).toEqual([
      'store.names has 2 names for 3 members',
    ]);
    expect(
      checkClusterSpec(spec({ store: { members: 3, names: ['a', 'a', 'apiserver'] } })),
    ).toEqual([
      'store.names[1]: a is named twice',
      'store.names[2]: apiserver is a control-plane process',
    ]);
    expect(checkClusterSpec(spec({ store: { members: 1, names: ['A_1'] } }))[0]).toMatch(
      /^store\.names\[0\]: "A_1" is not a DNS label: /,
    );
  });

  it('leaves out the components a spec turns off, and uses one store process in memory', () => {
    const plan = planCluster(
      spec({ store: { members: 1, inMemory: true }, scheduler: false, controllerManager: false }),
      NO_HOST,
    );
    expect(plan.processes.map((p) => p.name)).toEqual(['etcd-0', 'apiserver', 'node-1', 'node-2']);
    expect(plan.layout.scheduler).toBeUndefined();
    expect(plan.layout.metricsServer).toBeUndefined();
  });

  it.each([
    [{ store: { members: 0 } }, 'store.members must be an integer from 1 to 7, got 0'],
    [{ store: { members: 8 } }, 'store.members must be an integer from 1 to 7, got 8'],
    [{ store: { members: 3, inMemory: true } }, 'an in-memory store has exactly one member, not 3'],
    [
      {
        nodePools: [
          { namePrefix: 'a', count: 1 },
          { namePrefix: 'a', count: 2 },
        ],
      },
      'nodePools[1] and nodePools[0] both name their nodes a-1',
    ],
    [
      { nodePools: [{ namePrefix: 'etcd', count: 2 }] },
      'nodePools[0] would name a node etcd-1, a control-plane process',
    ],
    [{ nodePools: [{ namePrefix: 'n', count: -1 }] }, 'nodePools[0].count must be'],
    [
      { nodePools: [{ namePrefix: 'n', count: 5000 }] },
      '5000 nodes do not fit the pod network 10.244.0.0/14 with a /24 per node (room for 1024)',
    ],
    [
      { podNetwork: { clusterCIDR: '10.0.0.0/33', nodeCIDRMaskSize: 24 } },
      'clusterCIDR "10.0.0.0/33" is not an IPv4 CIDR',
    ],
    [
      { podNetwork: { clusterCIDR: '10.0.0.0/16', nodeCIDRMaskSize: 8 } },
      'nodeCIDRMaskSize 8 must be an integer from the cluster prefix length (16) to 30',
    ],
  ] as const)('refuses %j before anything starts', (overrides, message) => {
    const problems = checkClusterSpec(spec(overrides as Partial<ClusterSpec<never>>));
    expect(problems.join('\n')).toContain(message);
    expect(() => planCluster(spec(overrides as Partial<ClusterSpec<never>>), NO_HOST)).toThrow(
      message,
    );
  });

  it('refuses more nodes than there are node addresses before anything starts', () => {
    const huge = spec({
      nodePools: [{ namePrefix: 'n', count: 1_100_000 }],
      podNetwork: { clusterCIDR: '11.0.0.0/8', nodeCIDRMaskSize: 30 },
    });
    expect(checkClusterSpec(huge)).toEqual([
      "1100000 nodes do not fit the node addresses 172.16.0.0/12 (room for 1036288 from the pod network 11.0.0.0/8's first slot)",
    ]);
  });

  it.each([
    [
      { podNetwork: { clusterCIDR: '10.0.0.0/8', nodeCIDRMaskSize: 24 } },
      'podNetwork: clusterCIDR 10.0.0.0/8 overlaps the service range 10.96.0.0/12 (serviceNetwork.clusterIPRange): pick a pod network clear of it',
    ],
    [
      {
        podNetwork: { clusterCIDR: '10.244.0.0/14', nodeCIDRMaskSize: 24 },
        apiServer: { ranges: { 'service-cluster-ip-range': '10.245.0.0/16' } },
      },
      'podNetwork: clusterCIDR 10.244.0.0/14 overlaps the service range 10.245.0.0/16 (serviceNetwork.clusterIPRange)',
    ],
    [
      { podNetwork: { clusterCIDR: '172.20.0.0/16', nodeCIDRMaskSize: 24 } },
      'podNetwork: clusterCIDR 172.20.0.0/16 overlaps the node addresses 172.16.0.0/12',
    ],
  ] as const)('refuses a pod network that overlaps another range: %j', (overrides, message) => {
    expect(checkClusterSpec(spec(overrides as Partial<ClusterSpec<never>>)).join('\n')).toContain(
      message,
    );
  });

  it('accepts a pod network beside a service range it does not overlap', () => {
    const ok = spec({
      podNetwork: { clusterCIDR: '10.0.0.0/11', nodeCIDRMaskSize: 24 },
      apiServer: { ranges: { 'service-cluster-ip-range': '10.128.0.0/16' } },
    });
    expect(checkClusterSpec(ok)).toEqual([]);
  });

  it.each([
    [DEFAULT_POD_NETWORK, 0, '172.20.0.2'],
    [DEFAULT_POD_NETWORK, 1023, '172.23.255.2'],
    [{ clusterCIDR: '10.0.0.0/8', nodeCIDRMaskSize: 24 }, 4095, '172.31.255.2'],
    [{ clusterCIDR: '10.0.0.0/8', nodeCIDRMaskSize: 24 }, 4096, '172.16.0.3'],
    [{ clusterCIDR: '10.0.0.0/24', nodeCIDRMaskSize: 26 }, 3, '172.16.3.2'],
  ])('on %j node %i has the InternalIP %s', (net, index, ip) => {
    expect(nodeInternalIP(net, index)).toBe(ip);
  });

  it('gives 5,000 nodes distinct InternalIPs, and the default network the addresses a lone node derives', () => {
    const wide = { clusterCIDR: '10.0.0.0/8', nodeCIDRMaskSize: 24 };
    const ips = Array.from({ length: 5000 }, (_, i) => nodeInternalIP(wide, i));
    expect(new Set(ips).size).toBe(5000);
    const small = { clusterCIDR: '10.0.0.0/24', nodeCIDRMaskSize: 26 };
    expect(new Set([0, 1, 2, 3].map((i) => nodeInternalIP(small, i))).size).toBe(4);
    // Existing clusters keep their addresses (and their traces).
    for (let i = 0; i < 1024; i++) {
      const cidr = nodePodCIDR(DEFAULT_POD_NETWORK, i);
      expect(nodeInternalIP(DEFAULT_POD_NETWORK, i)).toBe(defaultInternalIP(cidr));
    }
  });

  it('plans 5,000 nodes on a pod network with room for them', () => {
    const plan = planCluster(
      spec({
        nodePools: [{ namePrefix: 'n', count: 5000 }],
        podNetwork: { clusterCIDR: '10.0.0.0/11', nodeCIDRMaskSize: 24 },
      }),
      NO_HOST,
    );
    expect(plan.layout.nodes).toHaveLength(5000);
  });

  it.each([
    [0, 24, '10.244.0.0/24'],
    [1, 24, '10.244.1.0/24'],
    [255, 24, '10.244.255.0/24'],
    [256, 24, '10.245.0.0/24'],
    [1023, 24, '10.247.255.0/24'],
    [5, 26, '10.244.1.64/26'],
  ])('node %i with /%i gets %s', (index, mask, cidr) => {
    expect(nodePodCIDR({ clusterCIDR: '10.244.0.0/14', nodeCIDRMaskSize: mask }, index)).toBe(cidr);
  });

  it('runs what it plans: each component talks to the API server as its own identity', async () => {
    const sim = new Simulation({ seed: 7 });
    const users = new Set<string>();
    const registered: string[] = [];
    sim.trace.addSink((line) => {
      const r = JSON.parse(line) as { k: string; p: string; user?: string };
      if (r.k === 'api.request' && r.user !== undefined) users.add(r.user);
      if (r.k === 'kubelet.node-registered') registered.push(r.p);
    });
    const layout = buildCluster(sim, {
      store: { members: 1, inMemory: true },
      nodePools: [{ namePrefix: 'node', count: 2, capacity: { cpu: '2' } }],
    });
    await sim.run({ untilUs: 30_000_000 });
    expect([...users].sort()).toEqual([
      'system:kube-controller-manager',
      // Every node's kube-proxy, bound to system:node-proxier.
      'system:kube-proxy',
      'system:kube-scheduler',
      'system:node:node-1',
      'system:node:node-2',
      // The garbage collector reads discovery for custom resources to monitor.
      'system:serviceaccount:kube-system:generic-garbage-collector',
      // metrics-server's informers list nodes and pods.
      'system:serviceaccount:kube-system:metrics-server',
      // The ServiceAccounts controller creates each system namespace's default ServiceAccount.
      'system:serviceaccount:kube-system:service-account-controller',
    ]);
    // Which node registers first is a matter of timing; that each does is the point.
    expect([...registered].sort()).toEqual(layout.nodes);
  });
});
