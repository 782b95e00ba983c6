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
 * exists (pod-routes.ts). Kubelet certificates: the node (--rotate-server-certificates) files a
 * serving request an admin approves with `kubectl certificate approve`, and the kubelet port
 * then presents the issued certificate. The node restarted on its directory, with a token the
 * cluster does not know, goes on with its stored certificate (its kubelet starts the pod's
 * container again), except that a client certificate near its end, put in place before the
 * restart, is rotated at once through a request approved as selfnodeclient, the new pair in a
 * file of its own behind the moved -current link. Stopped, the node leaves nothing but its pki/ and trace behind; the
 * namespace and veth the test made are removed even when it fails, and its Nodes deleted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinedNodeRuntimeNames, removeNodeLeftovers } from '../../../real/cluster/joined-node.ts';
import { writeCertificatePair } from '../../../real/cluster/node-credential.ts';
import { makeKeyAndRequest, signCertificateRequest } from '../../../real/http/certificates.ts';
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
        '--rotate-server-certificates',
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

      // The node's serving request, filed with its client certificate, left for an admin ...
      type Csr = {
        metadata: { name: string };
        spec: { username: string; signerName: string; usages: string[] };
        status?: { certificate?: string; conditions?: { type: string; message?: string }[] };
      };
      const listCsrs = async (): Promise<Csr[]> =>
        (JSON.parse((await kubectl('get', 'csr', '-o', 'json')).stdout) as { items: Csr[] }).items;
      const serving = await until('the serving request', 60_000, async () =>
        (await listCsrs()).find(
          (c) =>
            c.spec.signerName === 'kubernetes.io/kubelet-serving' &&
            c.spec.username === `system:node:${NODE}`,
        ),
      );
      expect(serving.spec.usages).toEqual(['digital signature', 'server auth']);
      expect(serving.status?.conditions ?? []).toEqual([]);
      // ... and the request it filed with its token, approved and signed by the controller
      // manager.
      const caCert = new X509Certificate(readFileSync(caFile));
      const mine = (await listCsrs()).filter((c) => {
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
      // ... kept with its key by the node, behind a -current link ...
      const currentLink = join(nodeDir, 'pki', 'kubelet-client-current.pem');
      expect(lstatSync(currentLink).isSymbolicLink()).toBe(true);
      expect(readlinkSync(currentLink)).toMatch(/^kubelet-client-\d{4}(-\d\d){5}\.pem$/);
      const stored = readFileSync(currentLink, 'utf8');
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

      // An admin approves the serving request: the kubelet stores the issued certificate and
      // presents it on its port to a TLS client verifying with the CA for the node's address.
      const approve = await kubectl('certificate', 'approve', serving.metadata.name);
      expect(approve.code, approve.stderr).toBe(0);
      const servingLink = join(nodeDir, 'pki', 'kubelet-server-current.pem');
      await withNodeOutput(
        until('the serving certificate stored', 60_000, async () =>
          existsSync(servingLink) ? true : undefined,
        ),
      );
      const servingCert = new X509Certificate(readFileSync(servingLink, 'utf8'));
      expect(readlinkSync(servingLink)).toMatch(/^kubelet-server-\d{4}(-\d\d){5}\.pem$/);
      expect(servingCert.subject.split('\n')).toEqual([`CN=system:node:${NODE}`, 'O=system:nodes']);
      expect(servingCert.subjectAltName).toBe(`DNS:${NODE}, IP Address:${address(2)}`);
      expect(servingCert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // extendedKeyUsage serverAuth
      expect(servingCert.checkIssued(caCert) && servingCert.verify(caCert.publicKey)).toBe(true);
      const presented = await until(
        'the kubelet port serving TLS',
        30_000,
        () =>
          new Promise<string | undefined>((done) => {
            const socket = tlsConnect({ host: address(2), port: 10250, ca: readFileSync(caFile) });
            socket.once('secureConnect', () => {
              const fp = socket.authorized
                ? socket.getPeerX509Certificate()?.fingerprint256
                : undefined;
              socket.destroy();
              done(fp);
            });
            socket.once('error', () => done(undefined));
          }),
      );
      expect(presented).toBe(servingCert.fingerprint256);

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
      // the node files no bootstrap request and its kubelet starts the pod's container again.
      expect(await stopNode()).toBe(0);
      expect(await podRoutes(netns)).toEqual([]);
      expect(readdirSafe(nodeDir)).toEqual(['pki', 'traces']);
      const tokenAt = args.indexOf('--token') + 1;
      args[tokenAt] = 'zzzzzz.zzzzzzzzzzzzzzzz';
      // The node's client certificate replaced by one near its end, as the node would hold after
      // most of a lifetime: the CA's, for the node, from 590 s ago until 60 s from now. Its
      // rotation deadline (70-90 % of its 650 s) has passed: the certificate manager rotates it
      // at once, with a request filed as system:node:joiner.
      const shortMade = makeKeyAndRequest({
        user: `system:node:${NODE}`,
        groups: ['system:nodes'],
      });
      const writtenMs = Date.now();
      const short = signCertificateRequest(
        {
          ca: readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8'),
          caKey: readFileSync(join(dir, 'pki', 'ca.key'), 'utf8'),
        },
        {
          request: shortMade.request,
          usages: ['digital signature', 'client auth'],
          durationSeconds: 350,
        },
        writtenMs - 290_000,
      );
      if (!short.ok) throw new Error(short.message);
      const shortCert = new X509Certificate(short.value);
      writeCertificatePair(nodeDir, 'kubelet-client', short.value, shortMade.key, writtenMs - 1000);
      startNode();
      await withNodeOutput(
        until('the pod started again after the restart', 180_000, async () => {
          if (node?.exitCode !== null) throw new Error(`ksim real node exited: ${nodeOutput}`);
          return containerStarts().length === 2 ? true : undefined;
        }),
      );
      expect(nodeOutput).toContain(`node ${NODE} rejoined with its stored certificate`);
      type Rotate = { k: string; signer?: string; csr?: string; notAfterUs?: number };
      const rotation = await withNodeOutput(
        until('the client certificate rotated', 120_000, async () =>
          (nodeTrace() as Rotate[]).find(
            (r) =>
              r.k === 'kubelet.certificate-rotate' &&
              r.signer === 'kubernetes.io/kube-apiserver-client-kubelet',
          ),
        ),
      );
      // The rotation's request: filed by the node itself, approved as selfnodeclient, signed;
      // the only request since the restart (no second serving request either).
      expect(csrCreates()).toBe(csrsBeforeRestart + 1);
      const rotatedCsr = (await listCsrs()).find((c) => c.metadata.name === rotation.csr);
      expect(rotatedCsr?.spec.username).toBe(`system:node:${NODE}`);
      expect(rotatedCsr?.status?.conditions?.map((c) => c.message)).toEqual([
        'Auto approving self kubelet client certificate after SubjectAccessReview.',
      ]);
      // The new pair in a new file, the current link moved to it, the short one left beside it.
      const rotatedPem = readFileSync(currentLink, 'utf8');
      const rotatedCert = new X509Certificate(rotatedPem);
      expect(rotatedCert.fingerprint256).not.toBe(shortCert.fingerprint256);
      expect(rotatedCert.toString()).toBe(
        new X509Certificate(
          Buffer.from(rotatedCsr?.status?.certificate ?? '', 'base64'),
        ).toString(),
      );
      expect(rotatedCert.checkPrivateKey(createPrivateKey(rotatedPem))).toBe(true);
      expect(rotatedCert.validTo).toBe(caCert.validTo);
      expect(Date.parse(rotatedCert.validTo) * 1000).toBe(rotation.notAfterUs);
      const clientFiles = readdirSync(join(nodeDir, 'pki')).filter((f) =>
        /^kubelet-client-\d/.test(f),
      );
      expect(clientFiles).toHaveLength(3);
      expect(readlinkSync(currentLink)).toBe(clientFiles.sort().at(-1));
      // Once the short certificate has expired the kubelet still reaches the API server: its
      // connections were made again with the new certificate.
      const expiredMs = Date.parse(shortCert.validTo);
      await until('the short certificate expired', 120_000, async () =>
        Date.now() > expiredMs + 1000 ? true : undefined,
      );
      const seenAtExpiry = apiRequests().length;
      await until('the kubelet heard after the expiry', 60_000, async () =>
        apiRequests()
          .slice(seenAtExpiry)
          .some((r) => r.user === `system:node:${NODE}` && (r.code ?? 500) < 400)
          ? true
          : undefined,
      );

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
