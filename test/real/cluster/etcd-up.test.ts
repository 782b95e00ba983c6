/**
 * `ksim real up --store etcds://...` on three etcd 3.4 members the test starts, serving clients
 * over TLS and requiring client certificates (kube-apiserver's --etcd-servers=https://... with
 * --etcd-cafile, --etcd-certfile, --etcd-keyfile): the cluster starts no store member of its
 * own, its API server keeps its objects in etcd (the keys are there, read with etcdctl over
 * TLS), the key file stays where the user put it, a Deployment's pods run, and neither a kill -9 of the etcd leader nor a kill -9 of the
 * API server (restarted as a supervisor would) loses an acknowledged object: the lists before
 * and after are equal; a kill -9 of the scheduler (restarted too) does not stop a new replica
 * from being placed and run. (Plain etcd:// differs only in the client's connection options:
 * EtcdKv is tested on both in test/real/etcd; one cluster here keeps the suite short.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterProcess } from '../../../real/cluster/lifecycle.ts';
import { realClusterStatus } from '../../../sim/cli/real-cluster-command.ts';
import { etcdUnavailable, startTestEtcd, type TestEtcd } from '../etcd/etcd-harness.ts';
import { run } from './ksim.ts';
import { RealCluster, realClusterUnavailable, until } from './real-cluster.ts';

const unavailable = realClusterUnavailable() ?? etcdUnavailable;
if (unavailable !== undefined) console.warn(`real cluster on etcd test skipped: ${unavailable}`);

const BIN = new URL('../../../sim/cli/bin.mjs', import.meta.url).pathname;

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: ksim.local/busybox:1
        command: ["sh", "-c", "echo hi > /var/www/index.html && exec httpd -f -p 8080 -h /var/www"]
`;

interface Listed {
  items: {
    kind: string;
    metadata: { namespace?: string; name: string; uid: string };
    status?: { phase?: string };
  }[];
}

describe.skipIf(unavailable !== undefined)('ksim real up --store etcds:// (as root)', () => {
  const cluster = new RealCluster('ksim-up-etcd-');
  const kubectl = (...args: string[]) => cluster.kubectl(...args);
  let etcd: TestEtcd;

  beforeAll(async () => {
    etcd = await startTestEtcd(3, { tls: true });
    const c = etcd.certificates!;
    const up = await cluster.up([
      '--store',
      `etcds://${etcd.etcd.endpoints.join(',')}`,
      '--etcd-cafile',
      c.ca,
      '--etcd-certfile',
      c.clientCert,
      '--etcd-keyfile',
      c.clientKey,
    ]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`on etcd at ${etcd.etcd.endpoints.join(',')} (TLS)`);
    expect(cluster.config?.etcdTls).toEqual({
      caFile: c.ca,
      certFile: c.clientCert,
      keyFile: c.clientKey,
    });
    // The processes read the files from cluster.json: the key stays where the user put it.
    expect(readFileSync(join(cluster.dir, 'cluster.json'), 'utf8')).not.toContain('PRIVATE KEY');
  }, 240_000);

  afterAll(async () => {
    try {
      await cluster.down();
    } finally {
      await etcd?.stop();
    }
  }, 120_000);

  /** What must survive: every object's identity (kind, namespace, name, uid). */
  const objects = async (): Promise<string[]> => {
    const r = await kubectl(
      'get',
      'deployments,replicasets,pods,configmaps,services',
      '-A',
      '-o',
      'json',
    );
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as Listed;
    return list.items
      .map((i) => `${i.kind} ${i.metadata.namespace ?? ''}/${i.metadata.name} ${i.metadata.uid}`)
      .sort();
  };

  it('runs a Deployment on etcd and loses nothing to a kill -9 of the etcd leader, the API server or the scheduler', async () => {
    const report = await realClusterStatus(cluster.dir);
    expect(report.processes.map((p) => p.name)).toEqual([
      'apiserver',
      'scheduler',
      'controller-manager',
      'metrics-server',
      'node-1',
    ]);
    const manifest = join(cluster.dir, 'web.yaml');
    writeFileSync(manifest, MANIFEST);
    const applied = await kubectl('apply', '-f', manifest);
    expect(applied.code, applied.stderr).toBe(0);
    await until('two Running pods', 90_000, async () => {
      const r = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json');
      const running = (JSON.parse(r.stdout) as Listed).items.filter(
        (p) => p.status?.phase === 'Running',
      );
      return running.length === 2 ? true : undefined;
    });
    // The objects are etcd's: the Deployment is under the API server's key in etcd.
    const keys = await etcdctl(etcd, 'get', '--prefix', '--keys-only', '/');
    expect(keys.code, keys.stderr).toBe(0);
    expect(keys.stdout).toMatch(/deployments.*\/default\/web/);

    const before = await objects();
    expect(before.some((o) => o.startsWith('Pod default/web-'))).toBe(true);

    // kill -9 of the etcd leader: the other two elect one, and the API keeps serving.
    const leader = await etcdLeader(etcd);
    process.kill(etcd.etcd.pid(leader)!, 'SIGKILL');
    await until('a write after the etcd leader was killed', 60_000, async () => {
      const r = await kubectl('create', 'configmap', 'after-leader-kill', '--from-literal=k=v');
      return r.code === 0 || r.stderr.includes('AlreadyExists') ? true : undefined;
    });

    // kill -9 of the API server, restarted as a supervisor would.
    await killAndRestart(cluster, 'apiserver');
    const after = await until('the restarted API server to list', 60_000, async () => {
      const r = await kubectl('get', 'configmap', 'after-leader-kill', '-o', 'jsonpath={.data.k}');
      return r.code === 0 && r.stdout === 'v' ? objects() : undefined;
    });
    expect(after.filter((o) => !o.startsWith('ConfigMap default/after-leader-kill'))).toEqual(
      before,
    );

    // kill -9 of the scheduler, restarted: a third replica is placed and runs.
    await killAndRestart(cluster, 'scheduler');
    const scaled = await kubectl('scale', 'deployment', 'web', '--replicas=3');
    expect(scaled.code, scaled.stderr).toBe(0);
    await until('three Running pods after the scheduler restarted', 90_000, async () => {
      const r = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json');
      const running = (JSON.parse(r.stdout) as Listed).items.filter(
        (p) => p.status?.phase === 'Running',
      );
      return running.length === 3 ? true : undefined;
    });
  });
});

/** SIGKILL to the cluster process `name`, then a new one started as `up` starts it. */
async function killAndRestart(cluster: RealCluster, name: string): Promise<void> {
  const status = async () =>
    (await realClusterStatus(cluster.dir)).processes.find((p) => p.name === name)!;
  const current = await status();
  expect(current.alive).toBe(true);
  process.kill(current.pid!, 'SIGKILL');
  await until(`${name} to die`, 10_000, async () => ((await status()).alive ? undefined : true));
  startClusterProcess(BIN, cluster.dir, cluster.config!, { name, role: current.role });
}

/**
 * The member etcd reports as leader. etcdctl's simple output is read rather than its JSON: the
 * member ids are uint64s, which JSON.parse would round.
 */
async function etcdLeader(etcd: TestEtcd): Promise<string> {
  const r = await etcdctl(etcd, 'endpoint', 'status');
  expect(r.code, r.stderr).toBe(0);
  // "https://127.0.0.1:PORT, MEMBER-ID, VERSION, DB SIZE, IS LEADER, ..."
  const line = r.stdout.split('\n').find((l) => l.split(', ')[4] === 'true');
  if (line === undefined) throw new Error(`no leader in ${r.stdout}`);
  const endpoint = line.split(', ')[0]!.replace(/^https:\/\//, '');
  const name = etcd.etcd.names.find((n) => etcd.etcd.endpoint(n) === endpoint);
  if (name === undefined) throw new Error(`leader ${endpoint} is not one of ours`);
  return name;
}

/** etcdctl over TLS to the test's members, with the client certificate their CA signed. */
function etcdctl(etcd: TestEtcd, ...args: string[]) {
  const c = etcd.certificates!;
  return run('etcdctl', [
    `--endpoints=${etcd.etcd.endpoints.map((e) => `https://${e}`).join(',')}`,
    `--cacert=${c.ca}`,
    `--cert=${c.clientCert}`,
    `--key=${c.clientKey}`,
    ...args,
  ]);
}
