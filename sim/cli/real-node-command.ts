/**
 * `ksim real node --server URL --token T --ca-file F --name N`: a node joining a control plane
 * (`ksim real control-plane`) from this host, as `kubeadm join` does, in the network namespace
 * it is started in. It holds no key of the control plane, only the CA certificate:
 *
 * 1. discovery: kube-public/cluster-info, read over HTTPS (verified with the CA) with the
 *    bootstrap token, names the API server's transport address and the cluster CIDR;
 * 2. TLS bootstrap (core/kubelet/tls-bootstrap.ts): it makes a key pair and, with the token,
 *    files a CertificateSigningRequest (PKCS#10) for CN system:node:N, O system:nodes, signer
 *    kubernetes.io/kube-apiserver-client-kubelet, which the controller manager's csrapproving
 *    approves and csrsigning signs with the CA's key into an X.509 certificate; from then on
 *    the kubelet reaches the API server over mutual TLS with that certificate;
 * 3. with the token it asks for a token of kube-system/kube-proxy for its kube-proxy;
 *    the certificate, its key and what the join learnt stay in DIR/pki, so a restarted node
 *    goes on with them while the certificate is valid instead of joining again;
 * 4. it starts its machine (its own containerd, pods on the cbr0 bridge, iptables here) and the
 *    node plan of the one cluster assembly: the kubelet registers the Node with its InternalIP,
 *    takes its podCIDR from node IPAM, and serves logs and exec on the kubelet port, where the
 *    API server reaches it through the Node's address; kube-proxy programs this namespace;
 * 5. it keeps a route to every other Node's pod range via that Node's InternalIP (pod-routes.ts).
 *
 * It runs until SIGTERM or SIGINT, then removes its routes, pods, containerd and pod bridge.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { resolve } from 'node:path';
import { isDNS1123Subdomain } from '../../core/api/content-checks.ts';
import type { ConfigMap } from '../../core/api/kinds/config-map.ts';
import { BOOTSTRAP_TOKEN_PATTERN } from '../../core/apiserver/authn/bootstrap-token.ts';
import type { ClientIdentity } from '../../core/apiserver/authn/client-credential.ts';
import {
  credentialClient,
  nodeIdentity,
  nodePlan,
  type ClusterHost,
  type NodeMachine,
} from '../../core/cluster/assembly.ts';
import {
  API_SERVER,
  KUBE_PROXY_IDENTITY,
  nodeClientIdentity,
} from '../../core/cluster/identities.ts';
import {
  CLUSTER_INFO,
  CLUSTER_INFO_API_TRANSPORT,
  CLUSTER_INFO_CLUSTER_CIDR,
  KUBE_PROXY_SERVICE_ACCOUNT,
} from '../../core/cluster/join.ts';
import { KUBELET_PORT } from '../../core/kubelet/config.ts';
import { CertificateManager } from '../../core/kubelet/certificate-manager.ts';
import {
  kubeletClientRequest,
  kubeletServingRequest,
  requestNodeCredential,
} from '../../core/kubelet/tls-bootstrap.ts';
import { FileCertificateKeeper } from '../../real/cluster/kubelet-certificates.ts';
import { caCertificateHash, caVerifier } from '../../real/cluster/cluster-ca.ts';
import { NODE_POD_BRIDGE } from '../../real/cluster/cluster-config.ts';
import { commandLine, readPid } from '../../real/cluster/cluster-processes.ts';
import {
  joinedNodeRuntimeNames,
  nodePaths,
  removeNodeLeftovers,
} from '../../real/cluster/joined-node.ts';
import { httpsRequest } from '../../real/cluster/lifecycle.ts';
import { startNodeMachine } from '../../real/cluster/node-machine.ts';
import { PodRouteAgent } from '../../real/cluster/pod-routes.ts';
import { parseHostPort, type AddressBook, type HostPort } from '../../real/host/address-book.ts';
import { hostProcess } from '../../real/host/host-process.ts';
import { DEFAULT_TCP_TRANSPORT, TcpTransport } from '../../real/host/tcp-transport.ts';
import { makeKeyAndRequest } from '../../real/http/certificates.ts';
import {
  certificateProblem,
  readNodeCredential,
  writeNodeCredential,
  type NodeCredential,
} from '../../real/cluster/node-credential.ts';
import { runCommand } from '../../real/os/command.ts';
import { KSIM_VERSION } from '../version.ts';
import { checkRealHost, type HostNeeds } from './real-host-check.ts';
import { CliError, fsReason } from './errors.ts';

export interface RealNodeOptions {
  /** The API server's HTTPS URL, as the control plane printed it. */
  readonly server: string;
  /** A bootstrap token `<id>.<secret>`. */
  readonly token: string;
  /** The cluster CA's certificate (PEM). */
  readonly caFile: string;
  /** `sha256:<hex>` of the CA's public key: the CA file is refused unless it matches. */
  readonly caCertHash?: string;
  readonly name: string;
  /** The node's state: containerd, pods, trace (default /var/lib/ksim-node/NAME). */
  readonly dir?: string;
  /** The node's InternalIP (default: this host's source address towards the API server). */
  readonly nodeIp?: string;
  /**
   * The kubelet's --rotate-server-certificates (serverTLSBootstrap): it asks for a serving
   * certificate from the cluster CA (signer kubernetes.io/kubelet-serving, which an admin
   * approves) and serves TLS with it on its kubelet port once issued.
   */
  readonly rotateServerCertificates?: boolean;
}

/** How long the node waits for its certificate request to be approved and signed. */
const CSR_TIMEOUT_US = 120_000_000;
const CSR_POLL_US = 250_000;
/** kube-proxy's token: a year, as it is not rotated while the node runs. */
const PROXY_TOKEN_SECONDS = 365 * 24 * 3600;

const HOST_NEEDS: HostNeeds = {
  command: 'ksim real node',
  rootFor: 'containerd, network namespaces, iptables',
  binaries: ['containerd', 'ctr', 'runc', 'ip', 'iptables-restore'],
  debianPackages: ['containerd', 'runc', 'iproute2', 'iptables'],
};

interface Discovered {
  readonly apiTransport: HostPort;
  readonly clusterCIDR: string;
}

export async function realNodeCommand(
  options: RealNodeOptions,
  out: (s: string) => void,
): Promise<number> {
  const { name, token } = options;
  const nameProblems = isDNS1123Subdomain(name);
  if (nameProblems.length > 0)
    throw new CliError(
      `--name ${JSON.stringify(name)} is not a valid node name: ${nameProblems.join('; ')}`,
    );
  if (!BOOTSTRAP_TOKEN_PATTERN.test(token))
    throw new CliError('--token must be a bootstrap token [a-z0-9]{6}.[a-z0-9]{16}');
  const server = parseServer(options.server);
  const ca = readCa(options.caFile, options.caCertHash);
  if (options.nodeIp !== undefined && !isIPv4(options.nodeIp))
    throw new CliError(`--node-ip must be an IPv4 address, got ${options.nodeIp}`);
  checkRealHost(HOST_NEEDS);
  const dir = resolve(options.dir ?? `/var/lib/ksim-node/${name}`);
  const paths = nodePaths(dir, name);
  const running = readPid(paths.pid);
  if (running !== undefined && commandLine(running)?.includes('node') === true)
    throw new CliError(`a node is already running in ${dir} (pid ${running})`);
  await removeNodeLeftovers(dir, name);
  const stored = readNodeCredential(dir, name, ca, Date.now());
  if (stored.kind === 'unusable')
    out(`node ${name}: its stored certificate is not used (${stored.reason}); joining again`);
  const reused = stored.kind === 'usable' ? stored.credential : undefined;
  const discovered = reused ?? (await discover(server, ca, token));
  const nodeIp = options.nodeIp ?? (await sourceAddressTowards(discovered.apiTransport.host));
  try {
    for (const sub of ['data', 'traces', 'pods']) mkdirSync(`${dir}/${sub}`, { recursive: true });
    writeFileSync(paths.pid, String(process.pid));
  } catch (e) {
    throw new CliError(`cannot make the node's directory ${dir}: ${fsReason(e)}`);
  }
  const book: AddressBook = new Map([
    [API_SERVER, discovered.apiTransport],
    [name, { host: nodeIp, port: KUBELET_PORT }],
  ]);
  // The API server is reached over TLS verified with the CA: with the token while
  // bootstrapping, then with the kubelet's client certificate (mutual TLS).
  let clientCert: { readonly cert: string; readonly key: string } | undefined = reused;
  const transport = new TcpTransport(name, book, {
    ...DEFAULT_TCP_TRANSPORT,
    tls: {
      client: (to) =>
        to === API_SERVER
          ? {
              ca,
              ...(clientCert === undefined ? {} : { cert: clientCert.cert, key: clientCert.key }),
            }
          : undefined,
    },
  });
  await transport.start();
  const hp = hostProcess({
    name,
    dataDir: paths.data,
    transport,
    trace: { path: paths.trace, level: 'info', ksimVersion: KSIM_VERSION },
  });
  const stop = async (): Promise<void> => {
    rmSync(paths.ready, { force: true });
    await transport.close();
    await hp.close();
  };
  let joined: NodeCredential;
  try {
    joined = reused ?? (await bootstrapNode(hp.ports, name, token, ca, discovered));
    if (reused === undefined) writeNodeCredential(dir, joined, Date.now());
  } catch (e) {
    await stop();
    rmSync(paths.pid, { force: true });
    throw new CliError(
      `node ${name} could not join: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  // The client certificate from now on is the certificate manager's, which rotates it: each
  // one it installs closes the connections to the API server, so new ones present it (as
  // upstream's kubelet closes its connections when its client certificate rotates).
  const clientKeeper = new FileCertificateKeeper({
    dir,
    pair: 'kubelet-client',
    nodeName: name,
    ca,
    nowMs: Date.now,
    use: (pair) => {
      clientCert = pair;
      transport.closeConnections(API_SERVER);
    },
  });
  if (clientKeeper.current() === undefined) {
    await stop();
    rmSync(paths.pid, { force: true });
    throw new CliError(`node ${name}: its certificate in ${dir}/pki is not usable`);
  }
  const credentials: ReadonlyMap<string, string | undefined> = new Map([
    // No bearer token: the client certificate on the TLS connection is the kubelet's identity.
    [nodeClientIdentity(name).user, undefined],
    [KUBE_PROXY_IDENTITY.user, joined.proxyToken],
  ]);
  const names = joinedNodeRuntimeNames(dir, name);
  const node = await startNodeMachine({
    containerdDir: paths.containerd,
    containerdNamespace: names.containerdNamespace,
    podsDir: paths.pods,
    podBridge: NODE_POD_BRIDGE,
    podPrefix: names.podPrefix,
  });
  const machine: NodeMachine = node.machine;
  const host: ClusterHost<undefined> = {
    signer: caVerifier(ca),
    machine: () => machine,
    nodeCredential: (identity: ClientIdentity) => {
      if (!credentials.has(identity.user))
        throw new Error(`node ${name} holds no credential of ${identity.user}`);
      return credentials.get(identity.user);
    },
  };
  // The podCIDR is left empty: the kubelet takes it from its Node once node IPAM sets it.
  nodePlan(nodeIdentity(name, '', nodeIp), {}, host, discovered.clusterCIDR).start(hp.ports);
  const managers = [
    new CertificateManager(
      hp.ports,
      credentialClient(hp.ports, undefined),
      name,
      kubeletClientRequest(name),
      clientKeeper,
    ),
  ];
  if (options.rotateServerCertificates === true)
    managers.push(
      new CertificateManager(
        hp.ports,
        credentialClient(hp.ports, undefined),
        name,
        kubeletServingRequest(name),
        new FileCertificateKeeper({
          dir,
          pair: 'kubelet-server',
          nodeName: name,
          ca,
          altNames: { dnsNames: [name], ipAddresses: [nodeIp] },
          nowMs: Date.now,
          use: (pair) => transport.setServerTls({ ...pair, ca }),
        }),
      ),
    );
  for (const m of managers) m.start();
  const routes = new PodRouteAgent(
    hp.ports,
    credentialClient(hp.ports, credentials.get(KUBE_PROXY_IDENTITY.user)!),
    name,
  );
  writeFileSync(paths.ready, JSON.stringify({ pid: process.pid, nodeIp }));
  out(
    `node ${name} ${reused === undefined ? 'joined' : 'rejoined with its stored certificate'} ${options.server} at ${nodeIp} (kubelet port ${KUBELET_PORT})  seed ${hp.seed}`,
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  for (const m of managers) m.stop();
  await routes.stop();
  // The clock stops first: no kubelet timer restarts a container the tear-down is killing.
  await stop();
  await node.close();
  for (const made of [paths.data, paths.containerd, paths.pods, paths.pid])
    rmSync(made, { recursive: true, force: true });
  out(`node ${name} stopped; its pods, containerd and state removed (trace kept in ${dir}/traces)`);
  return 0;
}

function parseServer(text: string): HostPort {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--server must be an https:// URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'https:' || url.pathname !== '/' || url.search !== '')
    throw new CliError(`--server must be https://HOST:PORT, got ${JSON.stringify(text)}`);
  const port = url.port === '' ? 443 : Number(url.port);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

function readCa(path: string, hash: string | undefined): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`--ca-file ${path}: ${fsReason(e)}`);
  }
  let actual: string;
  try {
    actual = caCertificateHash(pem);
  } catch (e) {
    throw new CliError(
      `--ca-file ${path} is not a PEM certificate: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (hash !== undefined && hash !== actual)
    throw new CliError(
      `--ca-file ${path}: its public key hash is ${actual}, not the expected ${hash}`,
    );
  return pem;
}

/** kube-public/cluster-info through the HTTPS front, as the bootstrap token's holder. */
async function discover(server: HostPort, ca: string, token: string): Promise<Discovered> {
  const where = `https://${server.host}:${server.port}`;
  const r = await httpsRequest(
    { ...server, ca, authorization: `Bearer ${token}` },
    'GET',
    `/api/v1/namespaces/${CLUSTER_INFO.namespace}/configmaps/${CLUSTER_INFO.name}`,
  );
  if (r === undefined)
    throw new CliError(`no answer from ${where} (is it up, and does --ca-file hold its CA?)`);
  if (r.status === 401) throw new CliError(`${where} refused the bootstrap token (401)`);
  if (r.status !== 200)
    throw new CliError(
      `${where}: cannot read ${CLUSTER_INFO.namespace}/${CLUSTER_INFO.name}: ${r.status} ${r.body}`,
    );
  const data = (JSON.parse(r.body) as ConfigMap).data ?? {};
  const transport = parseHostPort(data[CLUSTER_INFO_API_TRANSPORT] ?? '');
  const clusterCIDR = data[CLUSTER_INFO_CLUSTER_CIDR];
  if (typeof transport === 'string' || clusterCIDR === undefined)
    throw new CliError(
      `${where}: cluster-info names no API transport or cluster CIDR (not a ksim control plane?)`,
    );
  return { apiTransport: transport, clusterCIDR };
}

/** The address this host sends from towards `ip` (the kubelet's default --node-ip). */
async function sourceAddressTowards(ip: string): Promise<string> {
  const r = await runCommand('ip', ['-4', '-o', 'route', 'get', ip]);
  const m = / src (\d+\.\d+\.\d+\.\d+)/.exec(r.stdout);
  if (m === null) throw new CliError(`no route from this host to ${ip}; give --node-ip`);
  return m[1] as string;
}

/**
 * TLS bootstrap with the token: a key pair and a PKCS#10 request for the kubelet, the
 * certificate the controller manager signs for it, and a token of kube-system/kube-proxy for
 * kube-proxy (a Role lets the bootstrap token's group ask for that one account's: join.ts).
 */
async function bootstrapNode(
  ports: Parameters<typeof requestNodeCredential>[0],
  name: string,
  token: string,
  ca: string,
  discovered: Discovered,
): Promise<NodeCredential> {
  const bootstrap = credentialClient(ports, token);
  let key = '';
  const issued = await requestNodeCredential(ports, bootstrap, name, {
    pollUs: CSR_POLL_US,
    timeoutUs: CSR_TIMEOUT_US,
    request: (subject) => {
      const made = makeKeyAndRequest({
        user: subject.commonName,
        groups: subject.organizations,
      });
      key = made.key;
      return Buffer.from(made.request).toString('base64');
    },
  });
  if (!issued.ok) throw new Error(issued.message);
  const problem = certificateProblem(issued.certificate, key, name, ca, Date.now());
  if (problem !== undefined) throw new Error(`the issued certificate: ${problem}`);
  const { namespace, name: account } = KUBE_PROXY_SERVICE_ACCOUNT;
  const r = await bootstrap.request<{ status?: { token?: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`,
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: [], expirationSeconds: PROXY_TOKEN_SECONDS },
      },
    },
  );
  const proxyToken = r.ok ? r.value.status?.token : undefined;
  if (proxyToken === undefined)
    throw new Error(
      `cannot get a token of ${namespace}/${account} for kube-proxy: ${r.ok ? 'no token in the answer' : `${r.status} ${r.error.message ?? ''}`}`,
    );
  return { ...discovered, cert: issued.certificate, key, proxyToken };
}
