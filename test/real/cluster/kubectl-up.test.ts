/**
 * kubectl 1.32 against `ksim real up --nodes 2 --store-members 3`: one cluster for every check
 * of `up` on the built-in store (a bring-up is most of a real test's time; etcd-up.test.ts
 * has the etcd one).
 *
 * The nodes join as `ksim real node` does on another host: each filed a
 * CertificateSigningRequest with the bootstrap token of D/join-command, approved and signed
 * into an X.509 client certificate of the cluster CA for system:node:NAME (kept in the node's
 * pki/), the API server saw each kubelet register its Node as that user, and each kubelet took
 * its podCIDR from node IPAM (its kubelet.pod-cidr record).
 *
 * A Deployment of two busybox httpd pods and a ClusterIP Service are applied; the pods run as
 * containerd tasks with pod IPs, a connection from a node's namespace to the ClusterIP
 * reaches them through kube-proxy's iptables rules, deleting the Deployment removes the tasks,
 * `kubectl logs` reads the containers' CRI log files (-f, --previous, --tail, --timestamps,
 * -c) and `kubectl exec` runs commands as containerd task execs, and the exec and attach checks
 * of exec-attach-checks.ts run on the same cluster.
 *
 * Across nodes: four httpd pods spread over both node namespaces, and a ClusterIP that, asked
 * from node-2's namespace, is answered by pods on both nodes (kube-proxy's DNAT, then the route
 * to the other node's pod range over the cluster bridge), and node-1's NodePort answers node-2
 * too. Each node keeps exactly one route, to the other node's pod range via its InternalIP
 * (pod-routes.ts); a pod on node-1 reaches a pod on node-2 at its pod IP; when node-2 is
 * deleted, node-1's route goes. A store member killed with SIGKILL does not stop the API: the
 * other two still form a quorum. A node killed with SIGKILL leaves containers running, and
 * `ksim real down` removes them all the same: it leaves no process, namespace, bridge, mount or
 * cgroup behind.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClusterStatus, realStatusCommand } from '../../../sim/cli/real-cluster-command.ts';
import { describeExecAndAttach } from './exec-attach-checks.ts';
import { describeJoin } from './join-checks.ts';
import { ksim, run } from './ksim.ts';
import { podRoutes, RealCluster, realClusterUnavailable, until } from './real-cluster.ts';

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

// Each pod answers with its own address (busybox ip; the image has no downward API to lean on).
const SPREAD = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: spread
spec:
  replicas: 4
  selector:
    matchLabels: {app: spread}
  template:
    metadata:
      labels: {app: spread}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: ksim.local/busybox:1
        command: ["sh", "-c", "set -- $(ip -4 -o addr show dev eth0) && echo \${4%/*} > /var/www/index.html && exec httpd -f -p 8080 -h /var/www"]
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: spread
spec:
  type: NodePort
  selector: {app: spread}
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
  items: {
    metadata: { name: string };
    spec?: { nodeName?: string };
    status?: { phase?: string; podIP?: string };
  }[];
}

describe.skipIf(unavailable !== undefined)('kubectl against ksim real up (as root)', () => {
  const cluster = new RealCluster('ksim-up-');
  const dir = cluster.dir;
  const kubectl = (...args: string[]) => cluster.kubectl(...args);
  /** containerd's tasks on both nodes. */
  const tasks = async (): Promise<string[]> => {
    const lines: string[] = [];
    for (const [i, node] of ['node-1', 'node-2'].entries()) {
      const r = await run('ctr', [
        '--address',
        cluster.containerdSocket(node),
        '--namespace',
        cluster.nodeRuntimes()[i]!.containerdNamespace,
        'tasks',
        'ls',
      ]);
      expect(r.code, r.stderr).toBe(0);
      lines.push(
        ...r.stdout
          .split('\n')
          .slice(1)
          .filter((l) => l.trim() !== ''),
      );
    }
    return lines;
  };

  beforeAll(async () => {
    const up = await cluster.up(['--nodes', '2', '--store-members', '3']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`kubeconfig: ${join(dir, 'admin.kubeconfig')}`);
  }, 300_000);

  afterAll(() => cluster.down(), 90_000);

  it('runs a Deployment behind a ClusterIP, and removes its containers when it is deleted', async () => {
    const report = await realClusterStatus(dir);
    expect(report.processes.map((p) => p.name)).toEqual([
      'etcd-0',
      'etcd-1',
      'etcd-2',
      'apiserver',
      'scheduler',
      'controller-manager',
      'metrics-server',
      'node-1',
      'node-2',
    ]);
    expect(report.api.ready).toBe(true);
    expect(report.processes.every((p) => p.alive && p.ready)).toBe(true);

    const again = await ksim(['real', 'up', '--dir', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`a cluster is already running in ${dir}`);

    const nodes = await kubectl('get', 'nodes');
    expect(nodes.stdout).toMatch(/node-1\s+Ready/);
    expect(nodes.stdout).toMatch(/node-2\s+Ready/);
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

  it('joins each node as ksim real node does: bootstrap token, CSR, client certificate, podCIDR from node IPAM', async () => {
    // The join command `up` started its nodes with, as a node of another host would use it.
    const joinLine = readFileSync(join(dir, 'join-command'), 'utf8');
    const tokenId = /--token ([a-z0-9]{6})\./.exec(joinLine)?.[1];
    expect(tokenId).toBeDefined();
    expect(joinLine).toContain(`--ca-file ${join(dir, 'pki', 'ca.crt')}`);
    const caCert = new X509Certificate(readFileSync(join(dir, 'pki', 'ca.crt')));

    const csrs = JSON.parse((await kubectl('get', 'csr', '-o', 'json')).stdout) as {
      items: {
        spec: { username: string; signerName: string };
        status?: { certificate?: string; conditions?: { type: string }[] };
      }[];
    };
    const subjects: string[] = [];
    for (const csr of csrs.items) {
      expect(csr.spec.username).toBe(`system:bootstrap:${tokenId}`);
      expect(csr.spec.signerName).toBe('kubernetes.io/kube-apiserver-client-kubelet');
      expect(csr.status?.conditions?.map((c) => c.type)).toEqual(['Approved']);
      const cert = new X509Certificate(
        Buffer.from(csr.status?.certificate ?? '', 'base64').toString(),
      );
      expect(cert.checkIssued(caCert) && cert.verify(caCert.publicKey)).toBe(true);
      subjects.push(cert.subject.split('\n')[0]!);
    }
    expect(subjects.sort()).toEqual(['CN=system:node:node-1', 'CN=system:node:node-2']);

    const nodes = JSON.parse((await kubectl('get', 'nodes', '-o', 'json')).stdout) as {
      items: { metadata: { name: string }; spec: { podCIDR?: string } }[];
    };
    const apiRequests = readFileSync(join(dir, 'traces', 'apiserver.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { k: string; verb?: string; path?: string; user?: string });
    const prefix = cluster.config!.podNetwork.clusterCIDR.split('.').slice(0, 2).join('.');
    for (const node of ['node-1', 'node-2']) {
      // The node keeps the certificate the CA signed for it, and used it (mutual TLS, no
      // bearer token): the API server saw its kubelet register its Node as system:node:NAME.
      const nodeDir = join(dir, 'nodes', node);
      const stored = new X509Certificate(
        readFileSync(join(nodeDir, 'pki', 'kubelet-client-current.pem')),
      );
      expect(stored.subject.split('\n')[0]).toBe(`CN=system:node:${node}`);
      expect(stored.checkIssued(caCert)).toBe(true);
      expect(apiRequests).toContainEqual(
        expect.objectContaining({
          k: 'api.request',
          verb: 'POST',
          path: '/api/v1/nodes',
          user: `system:node:${node}`,
        }),
      );
      // Its podCIDR is node IPAM's, in the cluster CIDR, and its kubelet took it from there.
      const podCIDR = nodes.items.find((n) => n.metadata.name === node)?.spec.podCIDR ?? '';
      expect(podCIDR.startsWith(`${prefix}.`)).toBe(true);
      const trace = readFileSync(join(nodeDir, 'traces', `${node}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { k: string; podCIDR?: string });
      expect(trace.find((r) => r.k === 'kubelet.pod-cidr')?.podCIDR).toBe(podCIDR);
    }
    const ranges = nodes.items.map((n) => n.spec.podCIDR);
    expect(new Set(ranges).size).toBe(2);
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
  describeJoin(cluster);

  // Last: it kills a store member and a node.
  it('serves a ClusterIP from pods on both nodes, and survives a store member killed', async () => {
    const manifest = join(dir, 'spread.yaml');
    writeFileSync(manifest, SPREAD);
    const applied = await kubectl('apply', '-f', manifest);
    expect(applied.code, applied.stderr).toBe(0);
    const pods = await until('four Running pods', 60_000, async () => {
      const r = await kubectl('get', 'pods', '-l', 'app=spread', '-o', 'json');
      const list = JSON.parse(r.stdout) as PodList;
      const running = list.items.filter((p) => p.status?.phase === 'Running' && p.status.podIP);
      return running.length === 4 ? running : undefined;
    });
    const nodeOf = new Map(pods.map((p) => [p.status!.podIP!, p.spec!.nodeName!]));
    expect(new Set(nodeOf.values())).toEqual(new Set(['node-1', 'node-2']));

    // Each node agent routes the other node's pod range via its InternalIP, from the Nodes.
    const nodes = JSON.parse((await kubectl('get', 'nodes', '-o', 'json')).stdout) as {
      items: {
        metadata: { name: string };
        spec: { podCIDR: string };
        status: { addresses: { type: string; address: string }[] };
      }[];
    };
    const routeTo = (name: string): string => {
      const n = nodes.items.find((i) => i.metadata.name === name)!;
      const ip = n.status.addresses.find((a) => a.type === 'InternalIP')!.address;
      return `${n.spec.podCIDR} via ${ip}`;
    };
    const netns1 = cluster.config!.nodeNetns['node-1']!;
    const netns2 = cluster.config!.nodeNetns['node-2']!;
    // (The joiner's and the ghost's routes of join-checks.ts go once their Nodes are deleted.)
    await until('one route in each node, to the other', 30_000, async () =>
      JSON.stringify([await podRoutes(netns1), await podRoutes(netns2)]) ===
      JSON.stringify([[routeTo('node-2')], [routeTo('node-1')]])
        ? true
        : undefined,
    );
    // A pod on node-1 reaches a pod on node-2 at its pod IP, no Service between them.
    const client = pods.find((p) => p.spec?.nodeName === 'node-1')!;
    const target = pods.find((p) => p.spec?.nodeName === 'node-2')!.status!.podIP!;
    const direct = await kubectl(
      'exec',
      client.metadata.name,
      '--',
      'sh',
      '-c',
      `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${target} 8080`,
    );
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout.trim().split('\n').at(-1)).toBe(target);

    const clusterIP = (
      await kubectl('get', 'service', 'spread', '-o', 'jsonpath={.spec.clusterIP}')
    ).stdout.trim();
    const netns = cluster.config!.nodeNetns['node-2']!;
    const answeredBy = new Set<string>();
    await until('answers from pods on both nodes', 40_000, async () => {
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
      const node = nodeOf.get(r.stdout.trim());
      if (r.code === 0 && node !== undefined) answeredBy.add(node);
      return answeredBy.size === 2 ? true : undefined;
    });

    // The NodePort of node-1's address, asked from node-2's namespace.
    const nodePort = (
      await kubectl('get', 'service', 'spread', '-o', 'jsonpath={.spec.ports[0].nodePort}')
    ).stdout.trim();
    const node1 = (
      await kubectl('get', 'node', 'node-1', '-o', 'jsonpath={.status.addresses[0].address}')
    ).stdout.trim();
    const viaNodePort = await run('ip', [
      'netns',
      'exec',
      netns,
      'curl',
      '-s',
      '--max-time',
      '3',
      `http://${node1}:${nodePort}/`,
    ]);
    expect(viaNodePort.code, viaNodePort.stderr).toBe(0);
    expect(nodeOf.has(viaNodePort.stdout.trim())).toBe(true);

    const report = await realClusterStatus(dir);
    const member = report.processes.find((p) => p.name === 'etcd-2')!;
    expect(member.alive).toBe(true);
    process.kill(member.pid!, 'SIGKILL');
    await until('a write after etcd-2 was killed', 30_000, async () => {
      const r = await kubectl('create', 'configmap', 'after-kill', '--from-literal=k=v');
      return r.code === 0 ? true : undefined;
    });
    const got = await kubectl('get', 'configmap', 'after-kill', '-o', 'jsonpath={.data.k}');
    expect(got.stdout).toBe('v');
    const lines: string[] = [];
    expect(await realStatusCommand({ dir }, (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toMatch(/etcd-2\s+store\s+\d+\s+dead/);

    // A node agent killed outright leaves its containerd, shims, containers and mounts
    // running: down must remove them too (checked in afterAll).
    const agent = report.processes.find((p) => p.name === 'node-2')!;
    process.kill(agent.pid!, 'SIGKILL');
    // node-2 leaves the cluster (kubectl delete node, as after a drain): node-1 drops its route.
    const deleted = await kubectl('delete', 'node', 'node-2');
    expect(deleted.code, deleted.stderr).toBe(0);
    await until('node-1 without a route to node-2', 30_000, async () =>
      (await podRoutes(netns1)).length === 0 ? true : undefined,
    );
  });
});
