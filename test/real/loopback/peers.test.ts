/**
 * `ksim real control-plane --member NAME --peers ...` three times on loopback, as three hosts
 * would run it: each runs one store member beside its own API server, scheduler, controller
 * manager and metrics-server, sharing one CA copied into their directories beforehand. The
 * three members form one Raft group: a ConfigMap written through one API server is read
 * through the other two; with one member killed (SIGKILL), a write through the API server
 * beside the dead member still succeeds and is read through another; one controller manager
 * holds the leader lease. `ksim real down` on each leaves no process behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterPaths } from '../../../real/cluster/cluster-config.ts';
import { readPid } from '../../../real/cluster/cluster-processes.ts';
import { makeServingCertificates } from '../../../real/http/certificates.ts';
import { freePort, ksim, KUBECTL, run } from '../cluster/ksim.ts';
import { until } from '../cluster/real-cluster.ts';

const unavailable = existsSync(KUBECTL) ? undefined : `no kubectl at ${KUBECTL}`;
if (unavailable !== undefined) console.warn(`control-plane --peers test skipped: ${unavailable}`);

const MEMBERS = ['cp-a', 'cp-b', 'cp-c'];

describe.skipIf(unavailable !== undefined)('ksim real control-plane --peers', () => {
  const root = mkdtempSync(join(tmpdir(), 'ksim-peers-'));
  const dirs = MEMBERS.map((m) => join(root, m));

  const kubectl = (i: number, ...args: string[]) =>
    run(KUBECTL, args, {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: root,
        KUBECONFIG: join(dirs[i]!, 'admin.kubeconfig'),
      },
    });

  afterAll(async () => {
    await Promise.all(
      dirs
        .filter((dir) => existsSync(clusterPaths(dir).config))
        .map((dir) => ksim(['real', 'down', '--dir', dir], 150_000)),
    );
    const ps = (await run('ps', ['-eo', 'args'])).stdout;
    rmSync(root, { recursive: true, force: true });
    expect(ps.split('\n').filter((l) => l.includes(root))).toEqual([]);
  }, 400_000);

  it('forms one store of three members, one per control plane, and keeps serving with one killed', async () => {
    const ca = makeServingCertificates();
    for (const dir of dirs) {
      mkdirSync(join(dir, 'pki'), { recursive: true });
      writeFileSync(join(dir, 'pki', 'ca.crt'), ca.ca);
      writeFileSync(join(dir, 'pki', 'ca.key'), ca.caKey, { mode: 0o600 });
    }
    const memberPorts = [await freePort(), await freePort(), await freePort()];
    const peers = MEMBERS.map((m, i) => `${m}=127.0.0.1:${memberPorts[i]}`).join(',');
    const httpsPorts = [await freePort(), await freePort(), await freePort()];
    // Together: none answers before a majority of the members runs.
    const ups = await Promise.all(
      MEMBERS.map((member, i) =>
        ksim(
          [
            'real',
            'control-plane',
            '--data-dir',
            dirs[i]!,
            '--listen',
            '127.0.0.1',
            '--port',
            String(httpsPorts[i]),
            '--member',
            member,
            '--peers',
            peers,
          ],
          400_000,
        ),
      ),
    );
    for (const up of ups) expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(ups[1]!.stdout).toContain(`store member cp-b of ${MEMBERS.join(', ')}`);

    for (const [i, dir] of dirs.entries()) {
      // The CA copied in beforehand signed this API server's certificate.
      expect(readFileSync(clusterPaths(dir).ca, 'utf8')).toBe(ca.ca);
      const status = await ksim(['real', 'status', '--dir', dir, '--json']);
      expect(status.code, status.stdout + status.stderr).toBe(0);
      const processes = (JSON.parse(status.stdout) as { processes: { name: string }[] }).processes;
      expect(processes.map((p) => p.name)).toEqual([
        MEMBERS[i],
        'apiserver',
        'scheduler',
        'controller-manager',
        'metrics-server',
      ]);
    }

    const created = await kubectl(0, 'create', 'configmap', 'one-store', '--from-literal=k=v1');
    expect(created.code, created.stderr).toBe(0);
    for (const i of [1, 2]) {
      const got = await until(`the ConfigMap through API server ${i}`, 30_000, async () => {
        const r = await kubectl(i, 'get', 'configmap', 'one-store', '-o', 'jsonpath={.data.k}');
        return r.code === 0 ? r.stdout : undefined;
      });
      expect(got).toBe('v1');
    }

    // One controller manager acts: the leader lease names one of the three.
    const holder = await until('a controller-manager leader', 60_000, async () => {
      const r = await kubectl(
        0,
        'get',
        'lease',
        '-n',
        'kube-system',
        'kube-controller-manager',
        '-o',
        'jsonpath={.spec.holderIdentity}',
      );
      return r.code === 0 && r.stdout !== '' ? r.stdout : undefined;
    });
    expect(holder).toMatch(/^controller-manager_/);

    // cp-c's member dies; its API server reaches the other two, which still form a quorum.
    const pid = readPid(clusterPaths(dirs[2]!).pid('cp-c'));
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    await until('a write through cp-c after its member was killed', 60_000, async () => {
      const r = await kubectl(2, 'create', 'configmap', 'after-kill', '--from-literal=k=v2');
      return r.code === 0 ? true : undefined;
    });
    const read = await kubectl(0, 'get', 'configmap', 'after-kill', '-o', 'jsonpath={.data.k}');
    expect(read.stdout).toBe('v2');
    const before = await kubectl(1, 'get', 'configmap', 'one-store', '-o', 'jsonpath={.data.k}');
    expect(before.stdout).toBe('v1');
  }, 900_000);
});
