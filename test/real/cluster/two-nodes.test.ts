/**
 * `ksim real up --nodes 2 --store-members 3` with kubectl: four busybox httpd pods spread over
 * both node namespaces, and a ClusterIP that, asked from node-2's namespace, is answered by
 * pods on both nodes (kube-proxy's DNAT, then the route to the other node's pod range over the
 * cluster bridge), and node-1's NodePort answers node-2 too. Each node agent keeps exactly one
 * route, to the other node's pod range via its InternalIP (pod-routes.ts); a pod on node-1
 * reaches a pod on node-2 at its pod IP; when node-2 is deleted, node-1's route goes. A store member killed with
 * SIGKILL does not stop the API: the other two still form a quorum. A node agent killed with
 * SIGKILL leaves containers running, and down removes them all the same.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClusterStatus, realStatusCommand } from '../../../sim/cli/real-cluster-command.ts';
import { run } from './ksim.ts';
import { podRoutes, RealCluster, realClusterUnavailable, until } from './real-cluster.ts';

const unavailable = realClusterUnavailable();
if (unavailable !== undefined) console.warn(`real cluster test skipped: ${unavailable}`);

// Each pod answers with its own address (busybox ip; the image has no downward API to lean on).
const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 4
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
        command: ["sh", "-c", "set -- $(ip -4 -o addr show dev eth0) && echo \${4%/*} > /var/www/index.html && exec httpd -f -p 8080 -h /var/www"]
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`;

interface PodList {
  items: {
    metadata: { name: string };
    spec?: { nodeName?: string };
    status?: { phase?: string; podIP?: string };
  }[];
}

describe.skipIf(unavailable !== undefined)(
  'ksim real up with two nodes and three store members (as root)',
  () => {
    const cluster = new RealCluster('ksim-up2-');
    const dir = cluster.dir;
    const kubectl = (...args: string[]) => cluster.kubectl(...args);

    beforeAll(async () => {
      const up = await cluster.up(['--nodes', '2', '--store-members', '3']);
      expect(up.code, up.stderr).toBe(0);
    }, 180_000);

    afterAll(() => cluster.down(), 90_000);

    it('serves a ClusterIP from pods on both nodes, and survives a store member killed', async () => {
      const manifest = join(dir, 'web.yaml');
      writeFileSync(manifest, MANIFEST);
      const applied = await kubectl('apply', '-f', manifest);
      expect(applied.code, applied.stderr).toBe(0);
      const pods = await until('four Running pods', 60_000, async () => {
        const r = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json');
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
      expect(await podRoutes(netns1)).toEqual([routeTo('node-2')]);
      expect(await podRoutes(cluster.config!.nodeNetns['node-2']!)).toEqual([routeTo('node-1')]);
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
        await kubectl('get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}')
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
        await kubectl('get', 'service', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}')
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
  },
);
