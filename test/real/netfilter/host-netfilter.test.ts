/**
 * The Netfilter port on the host's iptables, in a node namespace the test makes: kube-proxy's
 * jumps and its rules for a ClusterIP Service with two endpoints are applied there, read back,
 * and a TCP connection from that namespace to the ClusterIP reaches both backends (busybox
 * httpd in two pod namespaces on the node's bridge). The host's own tables never see a rule.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JUMP_CHAINS } from '../../../core/proxy/jump-chains.ts';
import { DEFAULT_MASQUERADE_MARK } from '../../../core/proxy/rules.ts';
import { HostNetfilter } from '../../../real/netfilter/host-netfilter.ts';
import { mustRun, runCommand } from '../../../real/os/command.ts';
import { render, testService, testSlice } from '../../core/proxy/upstream-fixtures.ts';
import { realNetfilterUnavailable } from './host.ts';

const unavailable = realNetfilterUnavailable();

const CLUSTER_IP = '10.96.77.10';

describe.skipIf(unavailable !== undefined)('the Netfilter port on iptables (as root)', () => {
  const tag = randomBytes(3).toString('hex');
  const node = `ktn${tag}`;
  const pods = [`ktp${tag}a`, `ktp${tag}b`];
  const subnet = `10.251.${randomBytes(1)[0]}`;
  const gateway = `${subnet}.1`;
  const podIPs = [`${subnet}.10`, `${subnet}.11`];
  const servers: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'ksim-netfilter-'));
  const netfilter = new HostNetfilter({ netns: node });

  beforeAll(async () => {
    await mustRun('ip', ['netns', 'add', node]);
    const inNode = (args: string[]): Promise<string> => mustRun('ip', ['-n', node, ...args]);
    await inNode(['link', 'set', 'lo', 'up']);
    await inNode(['link', 'add', 'br0', 'type', 'bridge']);
    await inNode(['addr', 'add', `${gateway}/24`, 'dev', 'br0']);
    await inNode(['link', 'set', 'br0', 'up']);
    // Locally made packets are routed before OUTPUT's DNAT: the service range needs a route.
    await inNode(['route', 'add', '10.96.0.0/12', 'dev', 'br0']);
    for (const [i, pod] of pods.entries()) {
      await mustRun('ip', ['netns', 'add', pod]);
      const veth = `veth${i}`;
      await inNode(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod]);
      await inNode(['link', 'set', veth, 'master', 'br0']);
      await inNode(['link', 'set', veth, 'up']);
      const inPod = (args: string[]): Promise<string> => mustRun('ip', ['-n', pod, ...args]);
      await inPod(['link', 'set', 'lo', 'up']);
      await inPod(['addr', 'add', `${podIPs[i]}/24`, 'dev', 'eth0']);
      await inPod(['link', 'set', 'eth0', 'up']);
      await inPod(['route', 'add', 'default', 'via', gateway]);
      const www = join(dir, pod);
      rmSync(www, { recursive: true, force: true });
      await mustRun('mkdir', ['-p', www]);
      writeFileSync(join(www, 'index.html'), `backend ${i}\n`);
      servers.push(
        spawn('ip', ['netns', 'exec', pod, 'busybox', 'httpd', '-f', '-p', '80', '-h', www], {
          stdio: 'ignore',
        }),
      );
    }
  });

  afterAll(async () => {
    for (const s of servers) s.kill('SIGKILL');
    for (const ns of [...pods, node]) await runCommand('ip', ['netns', 'delete', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies kube-proxy rules in the node namespace, reads them back, and a ClusterIP reaches both backends', async () => {
    for (const j of JUMP_CHAINS) {
      const c = await netfilter.ensureChain(j.table, j.chain);
      expect(c.ok, JSON.stringify(c)).toBe(true);
      const r = await netfilter.ensureRule('prepend', j.table, j.from, j.rule);
      expect(r, j.rule).toEqual({ ok: true, value: false });
    }
    // A second pass finds every chain and rule in place.
    for (const j of JUMP_CHAINS) {
      expect(await netfilter.ensureChain(j.table, j.chain)).toEqual({ ok: true, value: true });
      expect(await netfilter.ensureRule('prepend', j.table, j.from, j.rule)).toEqual({
        ok: true,
        value: true,
      });
    }
    const service = testService('default', 'web', {
      clusterIP: CLUSTER_IP,
      ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
    });
    const slice = testSlice('default', 'web', 1, [{ ip: podIPs[0]! }, { ip: podIPs[1]! }]);
    const text = render([service], [slice], {
      nodeIP: gateway,
      clusterCIDR: `${subnet}.0/24`,
      masqueradeAll: false,
      masqueradeMark: DEFAULT_MASQUERADE_MARK,
      localhostNodePorts: false,
      randomFully: false,
      conntrackTCPLiberal: false,
    });
    expect(await netfilter.restore(text)).toEqual({ ok: true, value: undefined });

    const saved = await netfilter.save('nat');
    if (!saved.ok) throw new Error(saved.message);
    const svcChain = /-j (KUBE-SVC-[A-Z0-9]+)/.exec(saved.value)?.[1];
    expect(svcChain).toBeDefined();
    for (const ip of podIPs) expect(saved.value).toContain(`--to-destination ${ip}:80`);
    expect(saved.value).toContain('-A OUTPUT -m comment --comment "kubernetes service portals"');

    // The host's own nat table holds none of it.
    const hostNat = await mustRun('iptables-save', ['-t', 'nat']);
    expect(hostNat).not.toContain(svcChain);

    const answers = new Set<string>();
    for (let i = 0; i < 60 && answers.size < 2; i++) {
      const r = await runCommand('ip', [
        'netns',
        'exec',
        node,
        'curl',
        '-s',
        '--max-time',
        '2',
        `http://${CLUSTER_IP}/`,
      ]);
      expect(r.code, r.stderr).toBe(0);
      answers.add(r.stdout.trim());
    }
    expect([...answers].sort()).toEqual(['backend 0', 'backend 1']);
  });

  it('applies all or nothing, and names the failing line', async () => {
    const before = await netfilter.save('nat');
    const r = await netfilter.restore(
      '*nat\n:KUBE-TEST-X - [0:0]\n-A KUBE-TEST-X -j NO-SUCH-CHAIN\nCOMMIT\n',
    );
    expect(r.ok).toBe(false);
    // nft checks a table at its COMMIT (line 4), legacy iptables at the rule (line 3).
    expect(!r.ok && [3, 4].includes(r.line ?? 0)).toBe(true);
    expect(!r.ok && r.message).toContain('NO-SUCH-CHAIN');
    const after = await netfilter.save('nat');
    expect(after).toEqual(before);
    expect(after.ok && after.value.includes('KUBE-TEST-X')).toBe(false);
  });
});
