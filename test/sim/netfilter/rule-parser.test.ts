import { describe, expect, it } from 'vitest';
import { SimNetfilter } from '../../../sim/netfilter.ts';
import { parseRule } from '../../../sim/netfilter/rule-parser.ts';
import { SeededRandom } from '../../../sim/random.ts';
import { tokenize } from '../../../sim/netfilter/tokenize.ts';

const chains = new Set(['KUBE-A']);

function canonical(spec: string, table: 'nat' | 'filter' = 'nat'): string {
  const args = tokenize(spec);
  if (typeof args === 'string') throw new Error(args);
  const r = parseRule(args, { table, chainExists: (c) => chains.has(c) });
  if (!r.ok) throw new Error(r.error);
  return r.rule.spec;
}

describe('rule specs in iptables-save form', () => {
  it.each([
    ['-d 10.0.0.1 -s 10.0.0.0/8 -p TCP -j ACCEPT', '-s 10.0.0.0/8 -d 10.0.0.1/32 -p tcp -j ACCEPT'],
    ['-s 10.1.2.3/8 -j RETURN', '-s 10.0.0.0/8 -j RETURN'],
    ['-p udp --dport 53 -j KUBE-A', '-p udp -m udp --dport 53 -j KUBE-A'],
    [
      '-p tcp ! --dport 1000:2000 --sport 5 -j ACCEPT',
      '-p tcp -m tcp --sport 5 ! --dport 1000:2000 -j ACCEPT',
    ],
    [
      '-m tcp -m statistic --mode random --probability 0.25 -p tcp --dport 80 -j KUBE-A',
      '-p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.25000000000 -j KUBE-A',
    ],
    [
      '-m addrtype ! --src-type LOCAL --dst-type LOCAL -j KUBE-A',
      '-m addrtype ! --src-type LOCAL --dst-type LOCAL -j KUBE-A',
    ],
    [
      '-m comment --comment "a \\"quoted\\" word" -j ACCEPT',
      '-m comment --comment "a \\"quoted\\" word" -j ACCEPT',
    ],
    ['-m comment --comment plain', '-m comment --comment plain'],
    ['-j MARK --or-mark 0x4000', '-j MARK --set-xmark 0x4000/0x4000'],
    ['-j MARK --xor-mark 0x4000', '-j MARK --set-xmark 0x4000/0x0'],
    ['-j MARK --and-mark 0xff', '-j MARK --set-xmark 0x0/0xffffff00'],
    ['-j MARK --set-mark 0x1/0xf0', '-j MARK --set-xmark 0x1/0xf1'],
    ['-m mark --mark 16 -j ACCEPT', '-m mark --mark 0x10 -j ACCEPT'],
    ['-j DNAT --to-destination 10.0.0.1', '-j DNAT --to-destination 10.0.0.1'],
    ['-j MASQUERADE --random-fully', '-j MASQUERADE --random-fully'],
    [
      '-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT',
      '-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT',
    ],
  ])('%s', (spec, expected) => expect(canonical(spec)).toBe(expected));

  it('REJECT takes its default reply', () => {
    expect(canonical('-j REJECT', 'filter')).toBe('-j REJECT --reject-with icmp-port-unreachable');
  });
});

describe('MARK and -m mark', () => {
  it('set, clear and test mark bits as the kernel does', async () => {
    const nf = new SimNetfilter(
      { random: SeededRandom.root(1), clock: { now: () => 0 } },
      { localAddresses: ['192.168.0.2'] },
    );
    const r = await nf.restore(
      [
        '*nat',
        ':OUTPUT ACCEPT [0:0]',
        '-A OUTPUT -j MARK --set-mark 0xf0/0xff',
        '-A OUTPUT -j MARK --or-mark 0x4000',
        '-A OUTPUT -j MARK --and-mark 0xfff0f',
        '-A OUTPUT -m mark ! --mark 0x4000/0x4000 -j DNAT --to-destination 10.9.9.9',
        '-A OUTPUT -j MARK --xor-mark 0x1',
        'COMMIT',
      ].join('\n'),
    );
    expect(r.ok).toBe(true);
    const v = nf.evaluate(
      { src: '192.168.0.2', dst: '10.0.0.1', protocol: 'tcp', dport: 80, mark: 0x12_3456 },
      'OUTPUT',
    );
    // 0x123456 -> set 0xf0 in the low byte: 0x1234f0; | 0x4000: 0x1274f0; & 0xfff0f: 0x27400;
    // the mark test passes (bit 0x4000 set), so no DNAT; ^ 1: 0x27401.
    expect(v.kind === 'accept' && v.packet.mark).toBe(0x2_7401);
    expect(v.kind === 'accept' && v.dnat).toBe(false);
  });
});
