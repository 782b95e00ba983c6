/**
 * A node of another host joining a running cluster (kubectl-up.test.ts runs these on its `ksim
 * real up` cluster, whose control plane is `ksim real control-plane`'s, so the suite starts
 * one cluster for both): `ksim real node` in a network namespace of the test's own, joined by a
 * veth to the cluster's bridge as a second host on the same network would be, started with the
 * command in D/join-command and a copy of the CA file. The node holds only the CA certificate
 * and the bootstrap token: the test observes its CertificateSigningRequest approved and signed —
 * an X.509 client certificate from the cluster CA for system:node:joiner, kept with its key in
 * the node's pki/ — the API server recording the kubelet as system:node:joiner (mutual TLS, no
 * bearer token), the Node Ready with a podCIDR node IPAM gave it, a pod placed there started by
 * its kubelet (the kubelet.container-start record in the node's trace) with an IP from that
 * range, and `kubectl logs`, which the API server fetches from the kubelet at the Node's
 * InternalIP. The node routes another Node's pod range via its InternalIP while that Node
 * exists (pod-routes.ts). The node restarted on its directory, with a token the cluster does
 * not know, goes on with its stored certificate (its kubelet starts the pod's container again;
 * no second CSR). Stopped, the node leaves nothing but its pki/ and trace behind; the
 * namespace and veth the test made are removed even when it fails, and its Nodes deleted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinedNodeRuntimeNames, removeNodeLeftovers } from '../../../real/cluster/joined-node.ts';
import { NETNS_DIR } from '../../../real/network/pod-network.ts';
import { run } from './ksim.ts';
import { leftCgroups, podRoutes, readdirSafe, type RealCluster, until } from './real-cluster.ts';

const BIN = new URL('../../../sim/cli/bin.mjs', import.meta.url).pathname;
const NODE = 'joiner';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: greeter
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ksim.local/busybox:1
    command: ["sh", "-c", "echo hello from the joined node; exec sleep 3600"]
`;

/** A Node of no host, with pod range `podCIDR`, at `ip` on the cluster's bridge. */
const GHOST_NODE = (podCIDR: string, ip: string) => `apiVersion: v1
kind: Node
metadata:
  name: ghost
spec:
  podCIDR: ${podCIDR}
status:
  addresses:
  - type: InternalIP
    address: ${ip}
`;

interface ApiRequest {
  k: string;
  verb?: string;
  path?: string;
  code?: number;
  user?: string;
}

/** The checks, as a describe block inside the suite that brought `cluster` up. */
export function describeJoin(cluster: RealCluster): void {
  describe('a node of another host joins with D/join-command', () => {
    const root = mkdtempSync(join(tmpdir(), 'ksim-join-'));
    const nodeDir = join(root, 'n');
    let netns = '';
    let uplink = '';
    let node: ChildProcess | undefined;
    let nodeOutput = '';
    const kubectl = (...args: string[]) => cluster.kubectl(...args);

    /** `step`, whose failure carries what the node printed. */
    async function withNodeOutput<T>(step: Promise<T>): Promise<T> {
      try {
        return await step;
      } catch (e) {
        throw new Error(
          `${e instanceof Error ? e.message : String(e)}; ksim real node: ${nodeOutput}`,
        );
      }
    }

    async function stopNode(): Promise<number | null> {
      const child = node;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null)
        return child?.exitCode ?? null;
      const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    }

    /** The joiner's address on the cluster's bridge: beyond the nodes' (x.y.i.2, i <= 16). */
    const address = (last: number): string => {
      const [a, b] = cluster.config!.bridgeAddress.split('.');
      return `${a}.${b}.200.${last}`;
    };

    beforeAll(async () => {
      const c = cluster.config!;
      netns = `ksim-join-${c.tag}`;
      uplink = `kj${c.tag}u`;
      const must = async (...args: string[]) => {
        const r = await run('ip', args);
        if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
      };
      await must('netns', 'add', netns);
      await must('link', 'add', uplink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
      await must('link', 'set', uplink, 'master', c.bridge);
      await must('link', 'set', uplink, 'up');
      await must('-n', netns, 'link', 'set', 'lo', 'up');
      await must(
        '-n',
        netns,
        'addr',
        'add',
        `${address(2)}/${c.bridgePrefixLength}`,
        'dev',
        'eth0',
      );
      await must('-n', netns, 'link', 'set', 'eth0', 'up');
    }, 30_000);

    afterAll(async () => {
      await stopNode();
      await removeNodeLeftovers(nodeDir, NODE);
      // The cluster's other checks see its own nodes only.
      await kubectl('delete', 'pod', 'greeter', '--ignore-not-found', '--wait=false');
      await kubectl('delete', 'node', NODE, 'ghost', '--ignore-not-found');
      if (existsSync(`${NETNS_DIR}/${netns}`)) await run('ip', ['netns', 'delete', netns]);
      await run('ip', ['link', 'delete', uplink]);
      rmSync(root, { recursive: true, force: true });
    }, 120_000);

    it('joins with a bootstrap token, runs a pod, reads its log through the Node address, restarts on its certificate, and removes what it made', async () => {
      const dir = cluster.dir;
      const joinLine = readFileSync(join(dir, 'join-command'), 'utf8');
      const flag = (name: string): string => {
        const m = new RegExp(`--${name} (\\S+)`).exec(joinLine);
        if (m === null) throw new Error(`the join command names no --${name}: ${joinLine}`);
        return m[1] as string;
      };
      // The node gets the CA certificate alone.
      const caFile = join(root, 'ca.crt');
      writeFileSync(caFile, readFileSync(flag('ca-file')));
      const apiRequests = (): ApiRequest[] =>
        readFileSync(join(dir, 'traces', 'apiserver.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as ApiRequest)
          .filter((r) => r.k === 'api.request');
      const csrCreates = () =>
        apiRequests().filter(
          (r) =>
            r.verb === 'POST' &&
            r.path === '/apis/certificates.k8s.io/v1/certificatesigningrequests',
        ).length;

      const args = [
        BIN,
        'real',
        'node',
        '--server',
        flag('server'),
        '--token',
        flag('token'),
        '--ca-file',
        caFile,
        '--ca-cert-hash',
        flag('ca-cert-hash'),
        '--name',
        NODE,
        '--dir',
        nodeDir,
      ];
      const startNode = (): void => {
        node = spawn('nsenter', [`--net=${NETNS_DIR}/${netns}`, '--', process.execPath, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        node.stdout?.on('data', (d: Buffer) => (nodeOutput += d.toString()));
        node.stderr?.on('data', (d: Buffer) => (nodeOutput += d.toString()));
      };
      startNode();

      const ready = await withNodeOutput(
        until(`node ${NODE} Ready`, 180_000, async () => {
          if (node?.exitCode !== null) throw new Error(`ksim real node exited: ${nodeOutput}`);
          const r = await kubectl('get', 'node', NODE, '-o', 'json');
          if (r.code !== 0) return undefined;
          const n = JSON.parse(r.stdout) as {
            spec?: { podCIDR?: string };
            status?: {
              addresses?: { type: string; address: string }[];
              conditions?: { type: string; status: string }[];
            };
          };
          const isReady = n.status?.conditions?.some(
            (c) => c.type === 'Ready' && c.status === 'True',
          );
          // Ready and node IPAM's range can reach the Node in either order: wait for both.
          return isReady === true && n.spec?.podCIDR !== undefined ? n : undefined;
        }),
      );
      expect(ready.status?.addresses).toContainEqual({ type: 'InternalIP', address: address(2) });
      const podCIDR = ready.spec?.podCIDR ?? '';
      const clusterPrefix = cluster.config!.podNetwork.clusterCIDR.split('.').slice(0, 2);
      expect(podCIDR.split('.').slice(0, 2)).toEqual(clusterPrefix);

      // The request the node filed with its token, approved and signed by the controller manager.
      const csrs = await kubectl('get', 'csr', '-o', 'json');
      const caCert = new X509Certificate(readFileSync(caFile));
      const mine = (
        JSON.parse(csrs.stdout) as {
          items: {
            spec: { username: string; signerName: string };
            status?: { certificate?: string; conditions?: { type: string }[] };
          }[];
        }
      ).items.filter((c) => {
        const pem = Buffer.from(c.status?.certificate ?? '', 'base64').toString();
        return pem !== '' && new X509Certificate(pem).subject.includes(`system:node:${NODE}`);
      });
      expect(mine).toHaveLength(1);
      const csr = mine[0]!;
      expect(csr.spec.username).toBe(`system:bootstrap:${flag('token').split('.')[0]}`);
      expect(csr.spec.signerName).toBe('kubernetes.io/kube-apiserver-client-kubelet');
      expect(csr.status?.conditions?.map((c) => c.type)).toEqual(['Approved']);
      // The certificate is X.509 from the cluster CA for the node's subject, a client
      // certificate backdated five minutes as upstream's signer does ...
      const cert = new X509Certificate(
        Buffer.from(csr.status?.certificate ?? '', 'base64').toString(),
      );
      expect(cert.subject.split('\n')).toEqual([`CN=system:node:${NODE}`, 'O=system:nodes']);
      expect(cert.checkIssued(caCert) && cert.verify(caCert.publicKey)).toBe(true);
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // extendedKeyUsage clientAuth
      expect(cert.ca).toBe(false);
      // A year asked (upstream's default duration), capped at the CA's own expiry: the CA the
      // control plane made minutes ago is itself a year's.
      expect(cert.validTo).toBe(caCert.validTo);
      expect(Date.parse(cert.validFrom)).toBeLessThan(Date.parse(caCert.validFrom));
      // ... kept with its key by the node ...
      const stored = readFileSync(join(nodeDir, 'pki', 'kubelet-client-current.pem'), 'utf8');
      expect(stored.startsWith(cert.toString())).toBe(true);
      expect(cert.checkPrivateKey(createPrivateKey(stored))).toBe(true);
      // ... and the API server saw the kubelet as system:node:joiner (no bearer token: the
      // certificate on the mutual-TLS connection), registering its own Node.
      expect(apiRequests()).toContainEqual(
        expect.objectContaining({
          verb: 'POST',
          path: '/api/v1/nodes',
          code: 201,
          user: `system:node:${NODE}`,
        }),
      );
      const csrsBeforeRestart = csrCreates();

      const podFile = join(root, 'pod.yaml');
      writeFileSync(podFile, POD);
      const applied = await kubectl('apply', '-f', podFile);
      expect(applied.code, applied.stderr).toBe(0);
      const pod = await until('the pod Running', 180_000, async () => {
        const r = await kubectl('get', 'pod', 'greeter', '-o', 'json');
        const p = JSON.parse(r.stdout || '{}') as {
          spec?: { nodeName?: string };
          status?: { phase?: string; podIP?: string };
        };
        return p.status?.phase === 'Running' ? p : undefined;
      });
      expect(pod.spec?.nodeName).toBe(NODE);
      const prefix = podCIDR.split('.').slice(0, 3).join('.');
      expect(pod.status?.podIP?.startsWith(`${prefix}.`)).toBe(true);
      const nodeTrace = () =>
        readFileSync(join(nodeDir, 'traces', `${NODE}.jsonl`), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { k: string; pod?: string; podCIDR?: string });
      const containerStarts = () =>
        nodeTrace()
          .filter((r) => r.k === 'kubelet.container-start')
          .map((r) => r.pod);
      expect(containerStarts()).toEqual(['default/greeter']);
      expect(nodeTrace().find((r) => r.k === 'kubelet.pod-cidr')?.podCIDR).toBe(podCIDR);

      const logs = await until('the container log', 60_000, async () => {
        const r = await kubectl('logs', 'greeter');
        return r.code === 0 && r.stdout.includes('hello') ? r.stdout : undefined;
      });
      expect(logs).toBe('hello from the joined node\n');

      // The joiner routes the cluster's own nodes' pod ranges; another Node (an object alone: no
      // host behind it) gets a route to its pod range via its InternalIP; deleted, its route
      // goes; made again, the route is back, and the node removes it when it stops.
      const ghostCIDR = `${clusterPrefix.join('.')}.200.0/24`;
      const ghostFile = join(root, 'ghost.yaml');
      writeFileSync(ghostFile, GHOST_NODE(ghostCIDR, address(3)));
      const ghostRoute = `${ghostCIDR} via ${address(3)}`;
      const ghostRoutes = async () =>
        (await podRoutes(netns)).filter((r) => r.startsWith(`${ghostCIDR} `));
      const routesAre = (want: string[]) => async () =>
        JSON.stringify(await ghostRoutes()) === JSON.stringify(want) ? true : undefined;
      expect((await kubectl('create', '-f', ghostFile)).code).toBe(0);
      await until('the route to the other node', 30_000, routesAre([ghostRoute]));
      expect((await kubectl('delete', 'node', 'ghost')).code).toBe(0);
      await until('no route once it is deleted', 30_000, routesAre([]));
      expect((await kubectl('create', '-f', ghostFile)).code).toBe(0);
      await until('the route back', 30_000, routesAre([ghostRoute]));

      // A restart goes on with the stored certificate: given a token the cluster does not know,
      // the node files no second request and its kubelet starts the pod's container again.
      expect(await stopNode()).toBe(0);
      expect(await podRoutes(netns)).toEqual([]);
      expect(readdirSafe(nodeDir)).toEqual(['pki', 'traces']);
      const tokenAt = args.indexOf('--token') + 1;
      args[tokenAt] = 'zzzzzz.zzzzzzzzzzzzzzzz';
      startNode();
      await withNodeOutput(
        until('the pod started again after the restart', 180_000, async () => {
          if (node?.exitCode !== null) throw new Error(`ksim real node exited: ${nodeOutput}`);
          return containerStarts().length === 2 ? true : undefined;
        }),
      );
      expect(nodeOutput).toContain(`node ${NODE} rejoined with its stored certificate`);
      expect(csrCreates()).toBe(csrsBeforeRestart);

      // Removal: the node cleans its machine up on SIGTERM, keeping its credential, as a
      // kubelet keeps its pki.
      expect(await stopNode()).toBe(0);
      expect(await podRoutes(netns)).toEqual([]);
      expect(readdirSafe(nodeDir)).toEqual(['pki', 'traces']);
      const runtime = joinedNodeRuntimeNames(nodeDir, NODE);
      expect(readdirSafe(NETNS_DIR).filter((n) => n.startsWith(runtime.podPrefix))).toEqual([]);
      expect(leftCgroups(runtime.containerdNamespace)).toEqual([]);
      const ps = (await run('ps', ['-eo', 'args'])).stdout;
      expect(ps.split('\n').filter((l) => l.includes(nodeDir))).toEqual([]);
    }, 900_000);
  });
}
