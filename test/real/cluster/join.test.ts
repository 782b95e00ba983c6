/**
 * A cluster from separate pieces on one machine: `ksim real control-plane` on a bridge address
 * of the host, and `ksim real node` in a network namespace of its own joined to that bridge by
 * a veth, as a second host on the same network would be. `ksim real status` reports the
 * control plane's five processes ready, and its join command is kept in its directory. The
 * node holds only the CA certificate and the bootstrap token: the test observes its
 * CertificateSigningRequest approved and signed — an X.509 client certificate from the cluster
 * CA for system:node:joiner, kept with its key in the node's pki/ — the API server recording
 * the kubelet as system:node:joiner (mutual TLS, no bearer token), the Node Ready with a podCIDR node IPAM gave it, a pod
 * scheduled there started by its kubelet (the kubelet.container-start record in the node's
 * trace) with an IP from that range, and `kubectl logs`, which the API server fetches from the
 * kubelet at the Node's InternalIP. The node routes another Node's pod range via its InternalIP
 * while that Node exists (pod-routes.ts). The node restarted on its directory, with a token the
 * cluster does not know, goes on with its stored certificate (its kubelet starts the pod's
 * container again; still one CSR). Stopping the node and `ksim real down` then leave nothing
 * but the node's pki/ and trace behind (with the namespace, veth and bridge the test made, removed even when it fails).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NETNS_DIR } from '../../../real/network/pod-network.ts';
import { joinedNodeRuntimeNames, removeNodeLeftovers } from '../../../real/cluster/joined-node.ts';
import { freePort, ksim, KUBECTL, run } from './ksim.ts';
import {
  leftCgroups,
  podRoutes,
  readdirSafe,
  realClusterUnavailable,
  until,
} from './real-cluster.ts';

const unavailable = realClusterUnavailable();
if (unavailable !== undefined) console.warn(`real join test skipped: ${unavailable}`);

const BIN = new URL('../../../sim/cli/bin.mjs', import.meta.url).pathname;
const NODE = 'joiner';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: greeter
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ksim.local/busybox:1
    command: ["sh", "-c", "echo hello from the joined node; exec sleep 3600"]
`;

/** A Node of no host, in the cluster's pod range, at `ip` on the test's bridge. */
const GHOST_NODE = (ip: string) => `apiVersion: v1
kind: Node
metadata:
  name: ghost
spec:
  podCIDR: 10.250.200.0/24
status:
  addresses:
  - type: InternalIP
    address: ${ip}
`;

/** A /24 of 192.168.240-254 the host routes nowhere, for the test's bridge. */
async function freeSubnet(): Promise<string> {
  const routes = (await run('ip', ['-4', 'route', 'show'])).stdout;
  for (let third = 240; third < 255; third++) {
    if (!routes.includes(`192.168.${third}.`)) return `192.168.${third}`;
  }
  throw new Error('no free 192.168.240-254.0/24 on this host');
}

describe.skipIf(unavailable !== undefined)('ksim real control-plane and ksim real node', () => {
  const tag = randomBytes(3).toString('hex');
  const bridge = `kj${tag}`;
  const uplink = `kj${tag}u`;
  const netns = `ksim-join-${tag}`;
  const root = mkdtempSync(join(tmpdir(), 'ksim-join-'));
  const cpDir = join(root, 'cp');
  const nodeDir = join(root, 'n');
  let subnet = '';
  let node: ChildProcess | undefined;
  let nodeOutput = '';
  let joinLine = '';

  const kubectl = (...args: string[]) =>
    run(KUBECTL, args, {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: root,
        KUBECONFIG: join(cpDir, 'admin.kubeconfig'),
      },
    });

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

  /** What the test made on the host, removed whatever state the run left it in. */
  async function removeNetwork(): Promise<void> {
    if (existsSync(`${NETNS_DIR}/${netns}`)) await run('ip', ['netns', 'delete', netns]);
    await run('ip', ['link', 'delete', uplink]);
    await run('ip', ['link', 'delete', bridge]);
  }

  beforeAll(async () => {
    subnet = await freeSubnet();
    const must = async (...args: string[]) => {
      const r = await run('ip', args);
      if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    };
    await must('link', 'add', bridge, 'type', 'bridge');
    await must('addr', 'add', `${subnet}.1/24`, 'dev', bridge);
    await must('link', 'set', bridge, 'up');
    await must('netns', 'add', netns);
    await must('link', 'add', uplink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    await must('link', 'set', uplink, 'master', bridge);
    await must('link', 'set', uplink, 'up');
    await must('-n', netns, 'link', 'set', 'lo', 'up');
    await must('-n', netns, 'addr', 'add', `${subnet}.2/24`, 'dev', 'eth0');
    await must('-n', netns, 'link', 'set', 'eth0', 'up');
  }, 30_000);

  afterAll(async () => {
    await stopNode();
    await removeNodeLeftovers(nodeDir, NODE);
    if (existsSync(join(cpDir, 'cluster.json'))) await ksim(['real', 'down', '--dir', cpDir]);
    await removeNetwork();
    rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('joins a node with a bootstrap token, runs a pod on it, reads its log through the Node address, and removes everything', async () => {
    // The bounds are generous: the machines these run on are shared and often loaded many
    // times over; on a quiet one the whole test takes well under a minute.
    const port = await freePort();
    const up = await ksim(
      [
        'real',
        'control-plane',
        '--data-dir',
        cpDir,
        '--listen',
        `${subnet}.1`,
        '--port',
        String(port),
        '--pod-network-cidr',
        '10.250.0.0/16',
      ],
      300_000,
    );
    expect(up.code, up.stderr + up.stdout).toBe(0);
    joinLine = up.stdout.split('\n').find((l) => l.includes('ksim real node')) ?? '';
    const flag = (name: string): string => {
      const m = new RegExp(`--${name} (\\S+)`).exec(joinLine);
      if (m === null) throw new Error(`the join command names no --${name}: ${up.stdout}`);
      return m[1] as string;
    };
    // The control plane's signing key stays with it: the node gets the CA certificate alone.
    expect(readdirSync(join(cpDir, 'pki')).sort()).toEqual([
      'apiserver.crt',
      'apiserver.key',
      'ca.crt',
      'ca.key',
    ]);
    expect(readFileSync(join(cpDir, 'join-command'), 'utf8')).toBe(`${joinLine.trim()}\n`);
    const status = await ksim(['real', 'status', '--dir', cpDir, '--json']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const processes = (
      JSON.parse(status.stdout) as { processes: { role: string; ready: boolean }[] }
    ).processes;
    expect(processes.map((p) => [p.role, p.ready])).toEqual([
      ['store', true],
      ['apiserver', true],
      ['scheduler', true],
      ['controller-manager', true],
      ['metrics-server', true],
    ]);
    const caFile = join(root, 'ca.crt');
    writeFileSync(caFile, readFileSync(flag('ca-file')));

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
    expect(ready.status?.addresses).toContainEqual({ type: 'InternalIP', address: `${subnet}.2` });
    const podCIDR = ready.spec?.podCIDR ?? '';
    expect(podCIDR).toMatch(/^10\.250\.\d+\.0\/24$/);

    // The request the node filed with its token, approved and signed by the controller manager.
    const csrs = await kubectl('get', 'csr', '-o', 'json');
    const csr = (
      JSON.parse(csrs.stdout) as {
        items: {
          spec: { username: string; signerName: string };
          status?: { certificate?: string; conditions?: { type: string }[] };
        }[];
      }
    ).items;
    expect(csr).toHaveLength(1);
    expect(csr[0]!.spec.username).toBe(`system:bootstrap:${flag('token').split('.')[0]}`);
    expect(csr[0]!.spec.signerName).toBe('kubernetes.io/kube-apiserver-client-kubelet');
    expect(csr[0]!.status?.conditions?.map((c) => c.type)).toEqual(['Approved']);
    // The certificate is X.509 from the cluster CA for the node's subject, a client
    // certificate backdated five minutes as upstream's signer does ...
    const issuedPem = Buffer.from(csr[0]!.status?.certificate ?? '', 'base64').toString();
    const cert = new X509Certificate(issuedPem);
    const caCert = new X509Certificate(readFileSync(caFile));
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
    const apiRequests = () =>
      readFileSync(join(cpDir, 'traces', 'apiserver.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              k: string;
              verb?: string;
              path?: string;
              code?: number;
              user?: string;
            },
        )
        .filter((r) => r.k === 'api.request');
    expect(apiRequests()).toContainEqual(
      expect.objectContaining({
        verb: 'POST',
        path: '/api/v1/nodes',
        code: 201,
        user: `system:node:${NODE}`,
      }),
    );

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

    // Another Node (an object alone: no host behind it) gets a route in the joined node's
    // namespace to its pod range via its InternalIP; deleted, its route goes; made again, the
    // route is back, and the node removes it when it stops.
    const ghostFile = join(root, 'ghost.yaml');
    writeFileSync(ghostFile, GHOST_NODE(`${subnet}.3`));
    const ghostRoute = `10.250.200.0/24 via ${subnet}.3`;
    const routesAre = (want: string[]) => async () =>
      JSON.stringify(await podRoutes(netns)) === JSON.stringify(want) ? true : undefined;
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
    const after = JSON.parse((await kubectl('get', 'csr', '-o', 'json')).stdout) as {
      items: unknown[];
    };
    expect(after.items).toHaveLength(1);
    const csrCreates = apiRequests().filter(
      (r) =>
        r.verb === 'POST' && r.path === '/apis/certificates.k8s.io/v1/certificatesigningrequests',
    );
    expect(csrCreates).toHaveLength(1);

    // Removal: the node cleans its machine up on SIGTERM (keeping its credential, as a
    // kubelet keeps its pki), `down` the control plane.
    expect(await stopNode()).toBe(0);
    expect(await podRoutes(netns)).toEqual([]);
    expect(readdirSafe(nodeDir)).toEqual(['pki', 'traces']);
    const runtime = joinedNodeRuntimeNames(nodeDir, NODE);
    const podNamespaces = readdirSafe(NETNS_DIR).filter((n) => n.startsWith(runtime.podPrefix));
    expect(leftCgroups(runtime.containerdNamespace)).toEqual([]);
    const down = await ksim(['real', 'down', '--dir', cpDir]);
    expect(down.code, down.stderr).toBe(0);
    await removeNetwork();
    expect(podNamespaces).toEqual([]);
    expect(readdirSafe(NETNS_DIR)).not.toContain(netns);
    const links = (await run('ip', ['-o', 'link', 'show'])).stdout;
    expect(links).not.toContain(bridge);
    const ps = (await run('ps', ['-eo', 'args'])).stdout;
    expect(ps.split('\n').filter((l) => l.includes(root))).toEqual([]);
    expect(readdirSafe(cpDir).sort()).toEqual(['logs', 'traces']);
  }, 900_000);
});
