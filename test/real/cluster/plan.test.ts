/**
 * What `ksim real up` decides before it starts anything: a control plane as `ksim real
 * control-plane` plans it, listening on the bridge where the node namespaces reach it, and the
 * nodes that join it: every process gets an address (nodes on their InternalIP, the API server
 * on the bridge, the rest on loopback), node namespaces unique to the cluster.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultInternalIP } from '../../../core/kubelet/config.ts';
import {
  clusterPaths,
  nodeAddresses,
  realClusterSpec,
  type RealClusterConfig,
} from '../../../real/cluster/cluster-config.ts';
import { joinedNodeRuntimeNames } from '../../../real/cluster/joined-node.ts';
import { planRealCluster, releaseRange } from '../../../real/cluster/lifecycle.ts';
import { uplinkName } from '../../../real/cluster/node-network.ts';

describe('planRealCluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ksim-plan-'));
  const planned: RealClusterConfig[] = [];
  afterAll(() => {
    for (const c of planned) releaseRange(c, dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every planned process an address the others can reach', async () => {
    const config = await planRealCluster(dir, 2, 3, 16443);
    expect(config).toBeDefined();
    const c = config!;
    planned.push(c);
    expect(c.processes).toEqual([
      { name: 'etcd-0', role: 'store' },
      { name: 'etcd-1', role: 'store' },
      { name: 'etcd-2', role: 'store' },
      { name: 'apiserver', role: 'apiserver' },
      { name: 'scheduler', role: 'scheduler' },
      { name: 'controller-manager', role: 'controller-manager' },
      { name: 'metrics-server', role: 'metrics-server' },
      { name: 'node-1', role: 'node' },
      { name: 'node-2', role: 'node' },
    ]);
    expect(Object.keys(c.book)).toEqual(c.processes.map((p) => p.name));
    expect(c.book.apiserver).toMatch(new RegExp(`^${c.bridgeAddress.replace(/\./g, '\\.')}:\\d+$`));
    for (const name of ['etcd-0', 'etcd-1', 'etcd-2', 'scheduler', 'controller-manager']) {
      expect(c.book[name]).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    const loopbackPorts = Object.values(c.book)
      .filter((a) => a.startsWith('127.'))
      .map((a) => a.split(':')[1]);
    expect(new Set(loopbackPorts).size).toBe(loopbackPorts.length);
    for (const [i, node] of ['node-1', 'node-2'].entries()) {
      const { podCIDR, internalIP } = nodeAddresses(c.podNetwork, i);
      expect(internalIP).toBe(defaultInternalIP(podCIDR));
      expect(c.book[node]).toBe(`${internalIP}:10250`);
      // The bridge's /16 holds every node's InternalIP.
      expect(internalIP.split('.').slice(0, 2)).toEqual(c.bridgeAddress.split('.').slice(0, 2));
      expect(c.nodeNetns[node]).toBe(`ksim-${c.tag}-${node}`);
    }
    // The API server (transport and HTTPS front) listens on the bridge, as a control plane
    // of `ksim real control-plane --listen` does; nodes join it, the assembly plans none.
    expect(c.controlPlane).toEqual({ listen: c.bridgeAddress });
    expect(realClusterSpec(c)).toEqual({
      store: { members: 3 },
      apiServer: { access: { enableBootstrapTokenAuth: true } },
      podNetwork: c.podNetwork,
      nodePools: [],
      controllerManager: { allocateNodeCIDRs: c.podNetwork },
    });
    // Each node's runtime names are its directory's: two clusters' node-1s never share them.
    const other = joinedNodeRuntimeNames('/elsewhere/nodes/node-1', 'node-1');
    const mine = joinedNodeRuntimeNames(clusterPaths(dir).node('node-1'), 'node-1');
    expect(mine.containerdNamespace).toMatch(/^ksim-n[0-9a-f]{6}-node-1$/);
    expect(mine.containerdNamespace).not.toBe(other.containerdNamespace);
    expect(mine.podPrefix).not.toBe(other.podPrefix);
  });

  it('names interfaces within Linux limits (15 bytes)', async () => {
    const c = (await planRealCluster(dir, 16, 1, 16443))!;
    planned.push(c);
    expect(c.bridge.length).toBeLessThanOrEqual(15);
    for (let i = 0; i < 16; i++) expect(uplinkName(c, i).length).toBeLessThanOrEqual(15);
  });
});
