import { describe, expect, it } from 'vitest';
import { buildCluster } from '../../../sim/cluster.ts';
import type { NodeProcess } from '../../../core/cluster/assembly.ts';
import type { SimNetfilter } from '../../../sim/netfilter.ts';
import { Simulation } from '../../../sim/simulation.ts';
import { programKubeProxy } from './kube-proxy-rules.ts';

describe('the packet filter of a node', () => {
  it('belongs to the node process: it knows the node address, and a crash empties it', async () => {
    const sim = new Simulation({ seed: 1 });
    buildCluster(sim, {
      store: { members: 1, inMemory: true },
      nodePools: [{ namePrefix: 'node', count: 1 }],
    });
    const node = () => sim.process('node-1').instance as NodeProcess;
    const netfilter = () => node().netfilter as SimNetfilter;
    await programKubeProxy(netfilter());
    // A node port on the node's own address (the kubelet's InternalIP) is the node's.
    const v = netfilter().evaluate(
      { src: '203.0.113.7', dst: node().kubelet.config.internalIP, protocol: 'tcp', dport: 3002 },
      'PREROUTING',
    );
    expect(v.kind === 'accept' && v.packet.dst).toBe('10.180.0.3');
    sim.crash('node-1');
    sim.restart('node-1');
    const saved = await netfilter().save('nat');
    expect(saved.ok && saved.value.includes('KUBE-')).toBe(false);
  });
});
