/**
 * Connections through rules core/proxy renders for upstream's test Services (the expectations
 * of upstream's packet-flow tests in pkg/proxy/iptables/proxier_test.go), evaluated by the
 * simulated packet filter with conntrack and -m recent.
 */
import { describe, expect, it } from 'vitest';
import { routeConnection, type ServiceConnection } from '../../../sim/netfilter/route.ts';
import {
  p80,
  FAKE_PROXIER_CONFIG,
  render,
  testService,
  testSlice,
} from '../../core/proxy/upstream-fixtures.ts';
import { programNode } from './program-node.ts';

const NODE_IP = FAKE_PROXIER_CONFIG.nodeIP;

const services = [
  testService('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: p80() }),
  testService(
    'ns2',
    'svc2',
    {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      clusterIP: '172.30.0.42',
      ports: p80({ nodePort: 3001 }),
      externalIPs: ['192.168.99.22'],
      healthCheckNodePort: 30000,
    },
    ['1.2.3.4'],
  ),
  testService('ns3', 'svc3', {
    type: 'NodePort',
    clusterIP: '172.30.0.43',
    ports: p80({ nodePort: 3003 }),
  }),
  testService(
    'ns5',
    'svc5',
    {
      type: 'LoadBalancer',
      clusterIP: '172.30.0.45',
      ports: p80({ nodePort: 3002 }),
      loadBalancerSourceRanges: ['203.0.113.0/25'],
    },
    ['5.6.7.8'],
  ),
  testService('ns6', 'svc6', { clusterIP: '172.30.0.46', ports: p80() }),
];
const slices = [
  testSlice('ns1', 'svc1', 1, [{ ip: '10.180.0.1' }]),
  testSlice('ns2', 'svc2', 1, [{ ip: '10.180.0.2' }]),
  testSlice('ns3', 'svc3', 1, [{ ip: '10.180.0.3' }]),
  testSlice('ns5', 'svc5', 1, [{ ip: '10.180.0.5' }]),
];

const tcp = (
  src: string,
  dst: string,
  dport: number,
  from: 'pod' | 'host' = 'pod',
): ServiceConnection => ({
  src,
  dst,
  dport,
  protocol: 'tcp',
  from,
});

describe('routeConnection through kube-proxy rules', () => {
  it.each<[string, ServiceConnection, object]>([
    [
      'pod to cluster IP',
      tcp('10.0.0.2', '172.30.0.41', 80),
      { kind: 'dnat', ip: '10.180.0.1', port: 80, masqueraded: false },
    ],
    [
      'external client to cluster IP is masqueraded',
      tcp('192.168.0.3', '172.30.0.41', 80),
      { kind: 'dnat', ip: '10.180.0.1', masqueraded: true },
    ],
    [
      'node itself to cluster IP',
      tcp(NODE_IP, '172.30.0.41', 80, 'host'),
      { kind: 'dnat', ip: '10.180.0.1' },
    ],
    [
      'external client to node port',
      tcp('203.0.113.2', NODE_IP, 3003),
      { kind: 'dnat', ip: '10.180.0.3', masqueraded: true },
    ],
    [
      'cluster IP without endpoints',
      tcp('10.0.0.2', '172.30.0.46', 80),
      { kind: 'reject', chain: 'KUBE-SERVICES' },
    ],
    [
      'eTP Local LB IP without local endpoints, from outside',
      tcp('203.0.113.2', '1.2.3.4', 80),
      { kind: 'drop', chain: 'KUBE-EXTERNAL-SERVICES' },
    ],
    [
      'eTP Local LB IP from a pod is short-circuited to the cluster',
      tcp('10.0.0.2', '1.2.3.4', 80),
      { kind: 'dnat', ip: '10.180.0.2' },
    ],
    [
      'LB source range admits',
      tcp('203.0.113.2', '5.6.7.8', 80),
      { kind: 'dnat', ip: '10.180.0.5', masqueraded: true },
    ],
    [
      'LB source range blocks',
      tcp('203.0.113.130', '5.6.7.8', 80),
      { kind: 'drop', chain: 'KUBE-PROXY-FIREWALL' },
    ],
    ['not a Service', tcp('10.0.0.2', '10.0.0.3', 8080), { kind: 'direct' }],
  ])('%s', async (_, conn, expected) => {
    const nf = await programNode(services, slices);
    expect(routeConnection(nf, conn)).toMatchObject(expected);
  });

  it('keeps an established flow on its backend after the rules change, and sends new flows to the new one', async () => {
    const nf = await programNode(services, slices);
    const first = routeConnection(nf, tcp('10.0.0.2', '172.30.0.41', 80));
    expect(first).toMatchObject({ kind: 'dnat', ip: '10.180.0.1', established: false });
    const moved = render(services, [testSlice('ns1', 'svc1', 1, [{ ip: '10.180.0.9' }])]);
    expect((await nf.restore(moved)).ok).toBe(true);
    const again = routeConnection(nf, {
      ...tcp('10.0.0.2', '172.30.0.41', 80),
      sport: first.kind === 'dnat' ? first.sport : 0,
    });
    expect(again).toMatchObject({ kind: 'dnat', ip: '10.180.0.1', established: true });
    expect(routeConnection(nf, tcp('10.0.0.2', '172.30.0.41', 80))).toMatchObject({
      ip: '10.180.0.9',
    });
  });

  it('holds a client to one backend under ClientIP affinity until the timeout passes', async () => {
    let nowUs = 0;
    const sticky = testService('ns7', 'svc7', {
      clusterIP: '172.30.0.47',
      ports: p80(),
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    });
    const eps = testSlice(
      'ns7',
      'svc7',
      1,
      [1, 2, 3, 4].map((i) => ({ ip: `10.180.7.${i}` })),
    );
    const nf = await programNode([sticky], [eps], 3, { now: () => nowUs });
    const backends = (client: string) =>
      Array.from({ length: 20 }, () => {
        const r = routeConnection(nf, tcp(client, '172.30.0.47', 80));
        return r.kind === 'dnat' ? r.ip : r.kind;
      });
    const a = backends('10.0.0.2');
    expect(new Set(a).size).toBe(1);
    const clients = Array.from({ length: 40 }, (_, i) => backends(`10.0.1.${i + 1}`)[0]);
    expect(new Set(clients).size).toBeGreaterThan(1);
    nowUs += 61_000_000;
    const later = Array.from({ length: 30 }, () => {
      nowUs += 61_000_000;
      return backends('10.0.0.2')[0];
    });
    expect(new Set(later).size).toBeGreaterThan(1);
  });
});
