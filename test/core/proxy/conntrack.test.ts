/**
 * kube-proxy's conntrack cleanup (conntrack-cleanup.ts): which deletions a change asks for, and
 * in simulation that UDP flows to a removed endpoint or ClusterIP lose their conntrack entries
 * while the others keep theirs.
 */
import { describe, expect, it } from 'vitest';
import type { NodeProcess } from '../../../core/cluster/assembly.ts';
import type { Service } from '../../../core/api/kinds/service-types.ts';
import type { KObject } from '../../../core/api/types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { staleConntrack, type ConntrackState } from '../../../core/proxy/conntrack-cleanup.ts';
import type { SimNetfilter } from '../../../sim/netfilter.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { testService, testSlice } from './upstream-fixtures.ts';

const port = (clusterIP: string, ready: string[], nodePort = 0) => ({
  clusterIP,
  nodePort,
  ready: new Set(ready),
});

describe('staleConntrack', () => {
  const cases: [string, ConntrackState, ConntrackState, unknown[]][] = [
    [
      'nothing changed',
      new Map([['a', port('10.96.0.10', ['1.1.1.1'])]]),
      new Map([['a', port('10.96.0.10', ['1.1.1.1'])]]),
      [],
    ],
    [
      'an endpoint went away',
      new Map([['a', port('10.96.0.10', ['1.1.1.1', '1.1.1.2'], 30053)]]),
      new Map([['a', port('10.96.0.10', ['1.1.1.1'], 30053)]]),
      [
        { protocol: 'UDP', originalDst: '10.96.0.10', dnatTo: '1.1.1.2' },
        { protocol: 'UDP', originalDstPort: 30053, dnatTo: '1.1.1.2' },
      ],
    ],
    [
      'the Service went away',
      new Map([['a', port('10.96.0.10', ['1.1.1.1'])]]),
      new Map(),
      [
        { protocol: 'UDP', originalDst: '10.96.0.10' },
        { protocol: 'UDP', originalDst: '10.96.0.10', dnatTo: '1.1.1.1' },
      ],
    ],
    [
      'the ClusterIP changed',
      new Map([['a', port('10.96.0.10', ['1.1.1.1'])]]),
      new Map([['a', port('10.96.0.11', ['1.1.1.1'])]]),
      [{ protocol: 'UDP', originalDst: '10.96.0.10' }],
    ],
    [
      'the first ready endpoint came',
      new Map([['a', port('10.96.0.10', [], 30053)]]),
      new Map([['a', port('10.96.0.10', ['1.1.1.1'], 30053)]]),
      [
        { protocol: 'UDP', originalDst: '10.96.0.10' },
        { protocol: 'UDP', originalDstPort: 30053 },
      ],
    ],
  ];
  it.each(cases)('%s', (_, before, after, expected) => {
    expect(staleConntrack(before, after)).toEqual(expected);
  });
});

async function mustCreate<T extends KObject>(api: ApiClient, obj: T): Promise<T> {
  const r = await api.create(obj);
  if (!r.ok) throw new Error(`create ${obj.kind} ${obj.metadata?.name}: ${r.error.message}`);
  return r.value;
}

const dns = (protocol: 'UDP' | 'TCP'): Service => {
  const s = testService('default', `dns-${protocol.toLowerCase()}`, {
    ports: [{ name: 'dns', port: 53, protocol, targetPort: 5353 }],
  });
  return { ...s, status: {} } as Service;
};

const node = (sim: Simulation) => sim.process('node-1').instance as NodeProcess;

describe('kube-proxy in simulation', () => {
  it('deletes the UDP flows of a removed endpoint and of a removed Service, and no others', async () => {
    const sim = controlPlane({ secure: true });
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      const ips = { UDP: '', TCP: '' };
      for (const protocol of ['UDP', 'TCP'] as const) {
        const svc = await mustCreate(api, dns(protocol));
        const name = svc.metadata.name ?? '';
        ips[protocol] = svc.spec?.clusterIP ?? '';
        for (const [i, ip] of [
          [1, '10.244.1.5'],
          [2, '10.244.1.6'],
        ] as const) {
          await mustCreate(
            api,
            testSlice(
              'default',
              name,
              i,
              [{ ip, nodeName: 'node-1' }],
              [{ name: 'dns', port: 5353, protocol }],
            ),
          );
        }
      }
      await ports.clock.sleep(3_000_000);
      const nf = node(sim).netfilter as SimNetfilter;
      const backends = { UDP: new Map<number, string>(), TCP: new Map<number, string>() };
      for (const protocol of ['UDP', 'TCP'] as const) {
        for (let sport = 40000; sport < 40020; sport++) {
          const c = nf.connect(
            {
              protocol: protocol === 'UDP' ? 'udp' : 'tcp',
              src: '10.244.1.9',
              sport,
              dst: ips[protocol],
              dport: 53,
            },
            'PREROUTING',
          );
          if (c.kind !== 'new' || c.verdict.kind !== 'accept') throw new Error('not accepted');
          backends[protocol].set(sport, c.verdict.packet.dst);
        }
      }
      const toSecond = [...backends.UDP.values()].filter((ip) => ip === '10.244.1.6').length;
      expect(toSecond).toBeGreaterThan(0);
      expect(nf.connections).toBe(40);

      for (const name of ['dns-udp-2', 'dns-tcp-2'])
        expect((await api.delete('EndpointSlice', 'default', name)).ok).toBe(true);
      await ports.clock.sleep(3_000_000);
      // UDP flows to the removed endpoint are gone; TCP ones stay (upstream flushes UDP only).
      expect(nf.connections).toBe(40 - toSecond);

      expect((await api.delete('Service', 'default', 'dns-udp')).ok).toBe(true);
      await ports.clock.sleep(3_000_000);
      expect(nf.connections).toBe(20);
    });
  });
});
