/**
 * kubectl 1.32 against `ksim real up`: one store member and one node as real processes. A
 * Deployment of two busybox httpd pods and a ClusterIP Service are applied; the pods run as
 * containerd tasks with pod IPs, a connection from the node's namespace to the ClusterIP
 * reaches them through kube-proxy's iptables rules, deleting the Deployment removes the tasks,
 * `kubectl logs` reads the containers' CRI log files (-f, --previous, --tail, --timestamps,
 * -c) and `kubectl exec` runs commands as containerd task execs, the exec and attach checks
 * of exec-attach-checks.ts run on the same cluster, and `ksim real down` leaves no process,
 * namespace or bridge behind.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClusterStatus } from '../../../sim/cli/real-cluster-command.ts';
import { describeExecAndAttach } from './exec-attach-checks.ts';
import { ksim, run } from './ksim.ts';
import { RealCluster, realClusterUnavailable, until } from './real-cluster.ts';

const unavailable = realClusterUnavailable();
if (unavailable !== undefined) console.warn(`real cluster test skipped: ${unavailable}`);

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
        command: ["sh", "-c", "echo hello from ksim > /var/www/index.html && exec httpd -f -p 8080 -h /var/www"]
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`;

const TALKERS = `apiVersion: v1
kind: Pod
metadata:
  name: talker
  labels: {app: talker}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ksim.local/busybox:1
    command: ["sh", "-c", "echo hello; sleep 0.5; echo to-stderr >&2; sleep 0.5; echo world; exec sleep 3600"]
---
apiVersion: v1
kind: Pod
metadata:
  name: crasher
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ksim.local/busybox:1
    command: ["sh", "-c", "echo crashed at $(date +%s); sleep 2; exit 1"]
---
apiVersion: v1
kind: Service
metadata:
  name: talker-udp
spec:
  selector: {app: talker}
  ports:
  - port: 53
    protocol: UDP
    targetPort: 5353
`;

interface PodList {
  items: { status?: { phase?: string; podIP?: string } }[];
}

describe.skipIf(unavailable !== undefined)('kubectl against ksim real up (as root)', () => {
  const cluster = new RealCluster('ksim-up-');
  const dir = cluster.dir;
  const kubectl = (...args: string[]) => cluster.kubectl(...args);
  const tasks = async (): Promise<string[]> => {
    const c = cluster.config!;
    const r = await run('ctr', [
      '--address',
      join(dir, 'c', 'node-1', 'containerd.sock'),
      '--namespace',
      `ksim-${c.tag}-node-1`,
      'tasks',
      'ls',
    ]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '');
  };

  beforeAll(async () => {
    const up = await cluster.up();
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`kubeconfig: ${join(dir, 'admin.kubeconfig')}`);
  }, 180_000);

  afterAll(() => cluster.down(), 90_000);

  it('runs a Deployment behind a ClusterIP, and removes its containers when it is deleted', async () => {
    const report = await realClusterStatus(dir);
    expect(report.processes.map((p) => p.name)).toEqual([
      'etcd-0',
      'apiserver',
      'scheduler',
      'controller-manager',
      'metrics-server',
      'node-1',
    ]);
    expect(report.api.ready).toBe(true);
    expect(report.processes.every((p) => p.alive && p.ready)).toBe(true);

    const again = await ksim(['real', 'up', '--dir', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`a cluster is already running in ${dir}`);

    const nodes = await kubectl('get', 'nodes');
    expect(nodes.stdout).toMatch(/node-1\s+Ready/);
    // The root CA publisher puts the served CA in every namespace.
    const bundle = await until('kube-root-ca.crt in default', 30_000, async () => {
      const r = await kubectl(
        'get',
        'configmap',
        'kube-root-ca.crt',
        '-o',
        'jsonpath={.data.ca\\.crt}',
      );
      return r.code === 0 && r.stdout.includes('BEGIN CERTIFICATE') ? r.stdout : undefined;
    });
    expect(bundle.trim()).toBe(readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8').trim());

    const manifest = join(dir, 'web.yaml');
    writeFileSync(manifest, MANIFEST);
    const applied = await kubectl('apply', '-f', manifest);
    expect(applied.code, applied.stderr).toBe(0);
    const pods = await until('two Running pods with IPs', 45_000, async () => {
      const r = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json');
      const list = JSON.parse(r.stdout) as PodList;
      const running = list.items.filter((p) => p.status?.phase === 'Running' && p.status.podIP);
      return running.length === 2 ? running : undefined;
    });
    const ips = pods.map((p) => p.status!.podIP!);
    const wide = await kubectl('get', 'pods', '-o', 'wide');
    for (const ip of ips) expect(wide.stdout).toContain(ip);
    expect((await tasks()).filter((l) => l.includes('RUNNING'))).toHaveLength(2);

    const svc = await kubectl('get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}');
    const clusterIP = svc.stdout.trim();
    expect(clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
    const netns = cluster.config!.nodeNetns['node-1']!;
    const answer = await until('an answer through the ClusterIP', 30_000, async () => {
      const r = await run('ip', [
        'netns',
        'exec',
        netns,
        'curl',
        '-s',
        '--max-time',
        '2',
        `http://${clusterIP}/`,
      ]);
      return r.code === 0 && r.stdout !== '' ? r.stdout : undefined;
    });
    expect(answer).toBe('hello from ksim\n');

    const deleted = await kubectl('delete', 'deployment', 'web');
    expect(deleted.code, deleted.stderr).toBe(0);
    await until('the tasks to be gone', 45_000, async () =>
      (await tasks()).length === 0 ? true : undefined,
    );
  });

  it('kubectl logs reads CRI log files, kubectl exec runs task execs, stale UDP conntrack goes', async () => {
    const manifest = join(dir, 'talkers.yaml');
    writeFileSync(manifest, TALKERS);
    const applied = await kubectl('apply', '-f', manifest);
    expect(applied.code, applied.stderr).toBe(0);
    const logs = await until('both lines of talker', 45_000, async () => {
      const r = await kubectl('logs', 'talker');
      return r.code === 0 && r.stdout.includes('world') ? r.stdout : undefined;
    });
    // stdout and stderr interleave in the order written (apart in time: two pipes race).
    expect(logs).toBe('hello\nto-stderr\nworld\n');
    expect((await kubectl('logs', 'talker', '-c', 'app', '--tail', '1')).stdout).toBe('world\n');
    const stamped = (await kubectl('logs', 'talker', '--timestamps')).stdout.trimEnd().split('\n');
    expect(stamped).toHaveLength(3);
    expect(stamped[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z hello$/);
    const none = await kubectl('logs', 'talker', '--previous');
    expect(none.stderr).toContain('previous terminated container "app" in pod "talker" not found');

    const hi = await kubectl('exec', 'talker', '--', 'echo', 'hi');
    expect(hi.code, hi.stderr).toBe(0);
    expect(hi.stdout).toBe('hi\n');
    const three = await kubectl('exec', 'talker', '--', 'sh', '-c', 'echo oops >&2; exit 3');
    expect(three.code).toBe(3);
    expect(three.stderr).toContain('oops');
    const missing = await kubectl('exec', 'talker', '--', 'no-such-program');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('executable file not found');

    // -f on a live container streams until the client goes: read its first lines, then stop.
    const followed = await kubectl('logs', '-f', 'talker', '--request-timeout=3s');
    expect(followed.stdout).toBe('hello\nto-stderr\nworld\n');

    const previous = await until('a previous instance of crasher', 60_000, async () => {
      const r = await kubectl('logs', 'crasher', '--previous');
      return r.code === 0 && r.stdout.startsWith('crashed at') ? r.stdout : undefined;
    });
    expect(previous).toMatch(/^crashed at \d+\n$/);

    // A UDP flow to the Service's ClusterIP from the node's namespace: conntrack remembers its
    // DNAT to the pod; once the pod (the endpoint) is gone kube-proxy deletes that entry, which
    // otherwise would live on for nf_conntrack_udp_timeout (30 s) after the last packet.
    const netns = cluster.config!.nodeNetns['node-1']!;
    const clusterIP = (
      await kubectl('get', 'service', 'talker-udp', '-o', 'jsonpath={.spec.clusterIP}')
    ).stdout.trim();
    const podIP = (
      await kubectl('get', 'pod', 'talker', '-o', 'jsonpath={.status.podIP}')
    ).stdout.trim();
    const entries = async (): Promise<string[]> => {
      const r = await run('ip', [
        'netns',
        'exec',
        netns,
        'conntrack',
        '-L',
        '-p',
        'udp',
        '--orig-dst',
        clusterIP,
      ]);
      return r.stdout.split('\n').filter((l) => l.includes(`src=${podIP} `));
    };
    await until('a conntrack entry DNATed to the pod', 30_000, async () => {
      await run('ip', ['netns', 'exec', netns, 'bash', '-c', `echo x > /dev/udp/${clusterIP}/53`]);
      return (await entries()).length > 0 ? true : undefined;
    });
    const deleted = await kubectl('delete', 'pod', 'talker', 'crasher');
    expect(deleted.code, deleted.stderr).toBe(0);
    await until('kube-proxy to delete the stale entry', 25_000, async () =>
      (await entries()).length === 0 ? true : undefined,
    );
    expect((await kubectl('delete', 'service', 'talker-udp')).code).toBe(0);
  });

  describeExecAndAttach(cluster);
});
