import { describe, expect, it } from 'vitest';
import { SimNetfilter, type Hook, type Packet, type Verdict } from '../../../sim/netfilter.ts';
import { SeededRandom } from '../../../sim/random.ts';
import { NODE_IP, programKubeProxy } from './kube-proxy-rules.ts';

async function node(seed = 1): Promise<SimNetfilter> {
  const nf = new SimNetfilter(
    { random: SeededRandom.root(seed), clock: { now: () => 0 } },
    { localAddresses: [NODE_IP] },
  );
  await programKubeProxy(nf);
  return nf;
}

const tcp = (src: string, dst: string, dport: number): Packet => ({
  src,
  dst,
  protocol: 'tcp',
  sport: 40000,
  dport,
});

/** A verdict in one line: "accept src>dst:port [dnat] [snat]" or "drop|reject table/CHAIN". */
function summary(v: Verdict): string {
  if (v.kind !== 'accept')
    return `${v.kind} ${v.table}/${v.chain}${v.rejectWith === undefined ? '' : ` ${v.rejectWith}`}`;
  const p = v.packet;
  return [`accept ${p.src}>${p.dst}:${p.dport}`, v.dnat ? 'dnat' : '', v.snat ? 'snat' : '']
    .filter((s) => s !== '')
    .join(' ');
}

describe('netfilter evaluation of kube-proxy rules', () => {
  it.each<[string, Packet, Hook, string]>([
    [
      'a pod reaches a cluster IP: DNAT to the endpoint, source kept',
      tcp('10.0.1.5', '172.30.0.41', 80),
      'PREROUTING',
      'accept 10.0.1.5>10.180.0.1:80 dnat',
    ],
    [
      'the node reaches a cluster IP: DNAT, and masqueraded as it comes from outside the pod network',
      tcp(NODE_IP, '172.30.0.41', 80),
      'OUTPUT',
      `accept ${NODE_IP}>10.180.0.1:80 dnat snat`,
    ],
    [
      'an endpoint reaches its own service (hairpin): masqueraded so the reply comes back',
      tcp('10.180.0.1', '172.30.0.41', 80),
      'PREROUTING',
      `accept ${NODE_IP}>10.180.0.1:80 dnat snat`,
    ],
    [
      'another port of the cluster IP: untouched',
      tcp('10.0.1.5', '172.30.0.41', 81),
      'PREROUTING',
      'accept 10.0.1.5>172.30.0.41:81',
    ],
    [
      'UDP to a TCP service port: untouched',
      { src: '10.0.1.5', dst: '172.30.0.41', protocol: 'udp', dport: 80 },
      'PREROUTING',
      'accept 10.0.1.5>172.30.0.41:80',
    ],
    [
      'a pod reaches a service without endpoints: rejected in filter',
      tcp('10.0.1.5', '172.30.0.46', 80),
      'PREROUTING',
      'reject filter/KUBE-SERVICES icmp-port-unreachable',
    ],
    [
      'the node reaches a service without endpoints: rejected on output',
      tcp(NODE_IP, '172.30.0.46', 80),
      'OUTPUT',
      'reject filter/KUBE-SERVICES icmp-port-unreachable',
    ],
    [
      'an outside client reaches a node port: DNAT, and masqueraded',
      tcp('203.0.113.7', NODE_IP, 3002),
      'PREROUTING',
      `accept ${NODE_IP}>10.180.0.3:80 dnat snat`,
    ],
    [
      'a node port on an address that is not the node: untouched',
      tcp('203.0.113.7', '192.168.0.3', 3002),
      'PREROUTING',
      'accept 203.0.113.7>192.168.0.3:3002',
    ],
    [
      'an outside client reaches a load balancer IP nobody may use: dropped by the firewall',
      tcp('203.0.113.7', '5.6.7.8', 80),
      'PREROUTING',
      'drop filter/KUBE-PROXY-FIREWALL',
    ],
    [
      'a pod reaches the node on a loopback address: dropped (localnet)',
      tcp('10.0.1.5', '127.0.0.1', 10250),
      'PREROUTING',
      'drop filter/KUBE-FIREWALL',
    ],
    [
      'a pod reaches the node itself: accepted for the node, no NAT',
      tcp('10.0.1.5', NODE_IP, 10250),
      'PREROUTING',
      `accept 10.0.1.5>${NODE_IP}:10250`,
    ],
  ])('%s', async (_, packet, hook, expected) => {
    const v = (await node()).evaluate(packet, hook);
    expect(summary(v)).toBe(expected);
    // The masquerade mark is cleared on the way out, as KUBE-POSTROUTING does.
    if (v.kind === 'accept') expect(v.packet.mark).toBe(0);
  });

  it('walks the chains kube-proxy meant, in order', async () => {
    const v = (await node()).evaluate(tcp('10.0.1.5', '172.30.0.41', 80), 'PREROUTING');
    expect(v.path).toEqual([
      'nat/PREROUTING',
      'nat/KUBE-SERVICES',
      'nat/KUBE-SVC-XPGD46QRK7WJZT7O',
      'nat/KUBE-SEP-SXIVWICOYRO3J4NJ',
      // Each jump was prepended, so the last one ensured comes first.
      'filter/FORWARD',
      'filter/KUBE-PROXY-FIREWALL',
      'filter/KUBE-FORWARD',
      'filter/KUBE-SERVICES',
      'filter/KUBE-EXTERNAL-SERVICES',
      'nat/POSTROUTING',
      'nat/KUBE-POSTROUTING',
    ]);
  });

  it('spreads connections over endpoints with -m statistic, from the seeded stream', async () => {
    const pick = async (seed: number) => {
      const nf = await node(seed);
      const out: string[] = [];
      for (let i = 0; i < 1000; i++) {
        const v = nf.evaluate(tcp('10.0.1.5', '172.30.0.44', 80), 'PREROUTING');
        out.push(v.kind === 'accept' ? v.packet.dst : v.kind);
      }
      return out;
    };
    const a = await pick(1);
    const first = a.filter((d) => d === '10.180.0.4').length;
    expect(first + a.filter((d) => d === '10.180.0.5').length).toBe(1000);
    expect(first).toBeGreaterThan(430);
    expect(first).toBeLessThan(570);
    expect(await pick(1)).toEqual(a);
    expect(await pick(2)).not.toEqual(a);
  });

  it.each<[Packet['ctState'], string]>([
    ['ESTABLISHED', 'accept 10.0.1.5>172.30.0.46:80'],
    ['INVALID', 'drop filter/KUBE-FORWARD'],
  ])('lets conntrack state %s decide in filter, without nat', async (ctState, expected) => {
    const nf = await node();
    // Only NEW packets are rejected for having no endpoints, or translated.
    const v = nf.evaluate({ ...tcp('10.0.1.5', '172.30.0.46', 80), ctState }, 'PREROUTING');
    expect(summary(v)).toBe(expected);
    expect(v.path.filter((c) => c.startsWith('nat/'))).toEqual([]);
  });
});
