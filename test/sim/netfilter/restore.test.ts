import { describe, expect, it } from 'vitest';
import type { NetfilterTable } from '../../../core/ports/netfilter.ts';
import { SimNetfilter } from '../../../sim/netfilter.ts';
import { SeededRandom } from '../../../sim/random.ts';
import { KUBE_PROXY_RULES, NODE_IP, programKubeProxy } from './kube-proxy-rules.ts';

function fresh(): SimNetfilter {
  return new SimNetfilter(
    { random: SeededRandom.root(1), clock: { now: () => 0 } },
    { localAddresses: [NODE_IP] },
  );
}

async function saved(nf: SimNetfilter, table: NetfilterTable): Promise<string> {
  const r = await nf.save(table);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

async function restoreOk(nf: SimNetfilter, text: string): Promise<void> {
  const r = await nf.restore(text);
  if (!r.ok) throw new Error(r.message);
}

/** The rules of one chain, as iptables-save prints them. */
async function chain(nf: SimNetfilter, table: NetfilterTable, name: string): Promise<string[]> {
  return (await saved(nf, table))
    .split('\n')
    .filter((l) => l.startsWith(`-A ${name} `) || l === `-A ${name}`);
}

describe('netfilter restore (iptables-restore --noflush)', () => {
  it('saves in iptables-save form, which restores to the same tables', async () => {
    const nf = fresh();
    await programKubeProxy(nf);
    const nat = await saved(nf, 'nat');
    expect(nat.split('\n').slice(0, 6)).toEqual([
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      ':KUBE-MARK-MASQ - [0:0]',
    ]);
    expect(nat).toContain(
      '-A KUBE-SVC-XPGD46QRK7WJZT7O ! -s 10.0.0.0/8 -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
    );
    expect(nat).toContain('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000');
    expect(nat).toContain(
      '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment ns4/svc4:p80 -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC',
    );
    const copy = fresh();
    await restoreOk(copy, (await saved(nf, 'filter')) + nat);
    expect(await saved(copy, 'nat')).toBe(nat);
    expect(await saved(copy, 'filter')).toBe(await saved(nf, 'filter'));
  });

  it('flushes the chains the input declares, keeps the others and the built-in chains', async () => {
    const nf = fresh();
    await programKubeProxy(nf);
    const prerouting = await chain(nf, 'nat', 'PREROUTING');
    const svc3 = await chain(nf, 'nat', 'KUBE-SVC-X27LE4BHSL4DOUIK');
    // A partial sync: svc1 lost its endpoint, nothing else is mentioned.
    await restoreOk(
      nf,
      [
        '*nat',
        ':KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]',
        ':KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]',
        '-X KUBE-SEP-SXIVWICOYRO3J4NJ',
        'COMMIT',
      ].join('\n'),
    );
    expect(await chain(nf, 'nat', 'KUBE-SVC-XPGD46QRK7WJZT7O')).toEqual([]);
    expect((await saved(nf, 'nat')).includes('KUBE-SEP-SXIVWICOYRO3J4NJ')).toBe(false);
    expect(await chain(nf, 'nat', 'KUBE-SVC-X27LE4BHSL4DOUIK')).toEqual(svc3);
    expect(await chain(nf, 'nat', 'PREROUTING')).toEqual(prerouting);
    const v = nf.evaluate(
      { src: '10.0.1.5', dst: '172.30.0.41', protocol: 'tcp', dport: 80 },
      'PREROUTING',
    );
    expect(v.kind === 'accept' && v.dnat).toBe(false);
  });

  it('applies all of an input or none of it', async () => {
    const nf = fresh();
    await programKubeProxy(nf);
    const before = [await saved(nf, 'filter'), await saved(nf, 'nat')];
    const r = await nf.restore(
      [
        '*filter',
        ':KUBE-FORWARD - [0:0]',
        'COMMIT',
        '*nat',
        ':KUBE-SERVICES - [0:0]',
        '-A KUBE-SERVICES -j KUBE-NOPE',
        'COMMIT',
      ].join('\n'),
    );
    expect(r).toEqual({
      ok: false,
      line: 6,
      message:
        'iptables-restore: line 6 failed: couldn\'t load target "KUBE-NOPE": no chain or target by that name',
    });
    expect([await saved(nf, 'filter'), await saved(nf, 'nat')]).toEqual(before);
  });

  it('inserts at a position, and keeps one copy of an ensured rule or chain', async () => {
    const nf = fresh();
    await restoreOk(
      nf,
      [
        '*filter',
        ':KUBE-X - [0:0]',
        '-A KUBE-X -j DROP',
        '-A KUBE-X -j RETURN',
        '-I KUBE-X 2 -s 10.0.0.1 -j ACCEPT',
        '-I KUBE-X -d 10.0.0.2 -j ACCEPT',
        'COMMIT',
      ].join('\n'),
    );
    expect(await chain(nf, 'filter', 'KUBE-X')).toEqual([
      '-A KUBE-X -d 10.0.0.2/32 -j ACCEPT',
      '-A KUBE-X -j DROP',
      '-A KUBE-X -s 10.0.0.1/32 -j ACCEPT',
      '-A KUBE-X -j RETURN',
    ]);
    expect(await nf.ensureChain('filter', 'KUBE-X')).toEqual({ ok: true, value: true });
    expect(await nf.ensureChain('filter', 'KUBE-Y')).toEqual({ ok: true, value: false });
    const rule = '-m comment --comment "kubernetes service portals" -j KUBE-X';
    expect(await nf.ensureRule('prepend', 'filter', 'FORWARD', rule)).toEqual({
      ok: true,
      value: false,
    });
    // Equal in iptables' eyes though written differently.
    expect(
      await nf.ensureRule(
        'append',
        'filter',
        'FORWARD',
        '-m comment --comment "kubernetes service portals" --jump KUBE-X',
      ),
    ).toEqual({ ok: true, value: true });
    expect(await chain(nf, 'filter', 'FORWARD')).toHaveLength(1);
    expect((await nf.ensureRule('append', 'filter', 'NOPE', '-j ACCEPT')).ok).toBe(false);
  });

  it.each<[string, string, number, RegExp]>([
    ['a rule before any table', '-A KUBE-SERVICES -j ACCEPT', 1, /no table specified/],
    ['a table ksim does not simulate', '*mangle\nCOMMIT', 1, /table "mangle" is not simulated/],
    ['a missing COMMIT', '*nat\n:KUBE-A - [0:0]\n', 4, /COMMIT expected at line 4/],
    [
      'a table inside a table',
      '*nat\n*filter\nCOMMIT',
      2,
      /table filter starts before COMMIT of nat/,
    ],
    [
      'a rule in a chain that does not exist',
      '*nat\n-A KUBE-NOPE -j ACCEPT\nCOMMIT',
      2,
      /chain KUBE-NOPE does not exist/,
    ],
    [
      'a jump to a chain that does not exist',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -j KUBE-B\nCOMMIT',
      3,
      /couldn't load target "KUBE-B"/,
    ],
    [
      'a jump to a built-in chain',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -j OUTPUT\nCOMMIT',
      3,
      /cannot jump to built-in chain OUTPUT/,
    ],
    [
      'a port out of range',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -p tcp --dport 99999 -j ACCEPT\nCOMMIT',
      3,
      /invalid port\/service "99999"/,
    ],
    [
      'a port without a protocol',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A --dport 80 -j ACCEPT\nCOMMIT',
      3,
      /--dport.*needs -p/,
    ],
    [
      'a port match of another protocol',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -m tcp -p udp --dport 80 -j ACCEPT\nCOMMIT',
      3,
      /only valid with -p tcp/,
    ],
    [
      'a bad address',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -s 10.0.0.0/33 -j ACCEPT\nCOMMIT',
      3,
      /host\/network "10.0.0.0\/33" not found/,
    ],
    [
      'an unterminated comment',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -m comment --comment "oops -j ACCEPT\nCOMMIT',
      3,
      /unterminated quoted string/,
    ],
    [
      'REJECT in nat',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -j REJECT\nCOMMIT',
      3,
      /REJECT is only valid in the filter table/,
    ],
    [
      'DNAT in filter',
      '*filter\n:KUBE-A - [0:0]\n-A KUBE-A -j DNAT --to-destination 10.0.0.1:80\nCOMMIT',
      3,
      /DNAT is only valid in the nat table/,
    ],
    [
      'DNAT without a destination',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -j DNAT\nCOMMIT',
      3,
      /DNAT needs --to-destination/,
    ],
    [
      'a bad DNAT destination',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -j DNAT --to-destination 10.0.0.1:http\nCOMMIT',
      3,
      /bad IP address\/port/,
    ],
    [
      'a probability above 1',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -m statistic --mode random --probability 1.5 -j ACCEPT\nCOMMIT',
      3,
      /invalid probability "1.5"/,
    ],
    [
      'statistic in nth mode',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -m statistic --mode nth --every 2 -j ACCEPT\nCOMMIT',
      3,
      /statistic mode "nth" is not simulated/,
    ],
    [
      'a recent update (kube-proxy only sets and checks)',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -m recent --name KUBE-A --update --seconds 60 -j ACCEPT\nCOMMIT',
      3,
      /unknown option "--update"/,
    ],
    [
      'a recent reap without seconds',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -m recent --name KUBE-A --rcheck --reap -j ACCEPT\nCOMMIT',
      3,
      /--reap needs --seconds/,
    ],
    [
      'a bad mark',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -m mark --mark 0x4000/zz -j ACCEPT\nCOMMIT',
      3,
      /bad mark value/,
    ],
    [
      'a policy on a user chain',
      '*nat\n:KUBE-A ACCEPT [0:0]\nCOMMIT',
      2,
      /cannot set a policy on user-defined chain KUBE-A/,
    ],
    [
      'a chain name too long',
      '*nat\n:KUBE-SVC-ABCDEFGHIJKLMNOPQRSTUVWXYZ - [0:0]\nCOMMIT',
      2,
      /too long/,
    ],
    [
      'deleting a chain still jumped to',
      '*nat\n:KUBE-A - [0:0]\n:KUBE-B - [0:0]\n-A KUBE-A -j KUBE-B\n-X KUBE-B\nCOMMIT',
      5,
      /chain KUBE-B is still referenced/,
    ],
    [
      'deleting a chain with rules',
      '*nat\n:KUBE-A - [0:0]\n-A KUBE-A -j ACCEPT\n-X KUBE-A\nCOMMIT',
      4,
      /chain KUBE-A is not empty/,
    ],
    [
      'a jump loop',
      '*nat\n:KUBE-A - [0:0]\n:KUBE-B - [0:0]\n-A KUBE-A -j KUBE-B\n-A KUBE-B -j KUBE-A\nCOMMIT',
      6,
      /jump loop KUBE-A -> KUBE-B -> KUBE-A/,
    ],
    [
      'a command ksim does not simulate',
      '*nat\n-P PREROUTING DROP\nCOMMIT',
      2,
      /command "-P" is not simulated/,
    ],
  ])('refuses %s, naming the line', async (_, text, line, message) => {
    const nf = fresh();
    const r = await nf.restore(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.line).toBe(line);
    expect(r.message).toMatch(new RegExp(`^iptables-restore: (line ${line} failed: )?`));
    expect(r.message).toMatch(message);
  });

  it('takes the whole kube-proxy ruleset again without change (a full resync)', async () => {
    const nf = fresh();
    await programKubeProxy(nf);
    const before = await saved(nf, 'nat');
    await programKubeProxy(nf, KUBE_PROXY_RULES);
    expect(await saved(nf, 'nat')).toBe(before);
  });
});
