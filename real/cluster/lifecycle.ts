/**
 * A real cluster's life on this host, for `ksim real up | status | down`: deciding its
 * addresses, starting its processes detached, waiting until it serves, reporting each
 * process, and removing everything it made. `dir` is always an absolute path: processes find
 * their cluster by it, and `down` recognises them by it in their command lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as https from 'node:https';
import { createServer } from 'node:net';
import { issueClientCredential } from '../../core/apiserver/authn/client-credential.ts';
import { planCluster } from '../../core/cluster/assembly.ts';
import { ADMIN_IDENTITY } from '../../core/cluster/identities.ts';
import { assert } from '../../core/util/assert.ts';
import { removeNamespaceState } from '../containerd/daemon.ts';
import { KUBELET_PORT } from '../../core/kubelet/config.ts';
import { NETNS_DIR } from '../network/pod-network.ts';
import type { EtcdTarget } from '../etcd/etcd-kv.ts';
import type { PodNetwork } from '../../core/cluster/pod-network.ts';
import { formatHostPort, type AddressBook } from '../host/address-book.ts';
import {
  clusterPaths,
  nodeAddresses,
  nodeNames,
  realClusterSpec,
  type ClusterProcess,
  type RealClusterConfig,
} from './cluster-config.ts';
import { isClusterProcess, readPid, signal } from './cluster-processes.ts';
import { joinedNodeRuntimeNames, nodePaths, removeNodeLeftovers } from './joined-node.ts';
import { hostRoutes, tearDownNodeNetwork } from './node-network.ts';
import { clusterSigner } from './cluster-ca.ts';

/** Where a node agent listens inside its namespace (the kubelet's port, as upstream). */
const NODE_PORT = KUBELET_PORT;
const UP_TIMEOUT_MS = 120_000;
/** How long a process may take to stop on SIGTERM before it is killed. */
export const STOP_GRACE_MS = 20_000;
const POLL_MS = 200;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/**
 * Picks `up`'s names and addresses: a control plane as `ksim real control-plane` plans it,
 * listening on the bridge at 172.(16+B%16).255.1, pods in 10.B.0.0/16 (a /24 per node, node
 * IPAM hands them out), node InternalIPs 172.(16+B%16).i.2 as the assembly derives them — with
 * B such that the host routes neither range already (another cluster, Docker) and no other
 * cluster has claimed it (two `up`s at once see the same routes). Undefined when every such
 * range is taken.
 */
export async function planRealCluster(
  dir: string,
  nodes: number,
  members: number,
  port: number,
  etcd?: EtcdTarget,
): Promise<RealClusterConfig | undefined> {
  const routes = await hostRoutes();
  let b: number | undefined;
  for (const candidate of shuffled(range(200, 256))) {
    const net = `172.${16 + (candidate & 15)}.`;
    if (routes.includes(net) || routes.includes(`10.${candidate}.`)) continue;
    if (claimRange(16 + (candidate & 15), dir)) {
      b = candidate;
      break;
    }
  }
  if (b === undefined) return undefined;
  const podNetwork = { clusterCIDR: `10.${b}.0.0/16`, nodeCIDRMaskSize: 24 };
  const bridgeAddress = `172.${16 + (b & 15)}.255.1`;
  // The control plane listens on the bridge, where the node namespaces reach it.
  const controlPlane = await planRealControlPlane({
    members,
    port,
    listen: bridgeAddress,
    podNetwork,
    ...(etcd === undefined ? {} : { etcd }),
  });
  const { tag } = controlPlane;
  const names = nodeNames({ nodes });
  const book: Record<string, string> = { ...controlPlane.book };
  for (const [i, name] of names.entries())
    book[name] = `${nodeAddresses(podNetwork, i).internalIP}:${NODE_PORT}`;
  return {
    ...controlPlane,
    nodes,
    bridge: `kb${tag}`,
    bridgeAddress,
    bridgePrefixLength: 16,
    book,
    nodeNetns: Object.fromEntries(names.map((n) => [n, `ksim-${tag}-${n}`])),
    processes: [
      ...controlPlane.processes,
      ...names.map((name): ClusterProcess => ({ name, role: 'node' })),
    ],
  };
}

/**
 * The control plane's processes the assembly plans for `config` (its book and process list
 * still empty); on etcd the plan's store members are not started: the API server talks to
 * etcd itself.
 */
function plannedProcesses(config: RealClusterConfig): ClusterProcess[] {
  const plan = planCluster(realClusterSpec(config), {
    signer: { algorithm: 'none', keyId: 'plan', sign: () => '', verify: () => false },
    machine: () => {
      throw new Error('planning only');
    },
  });
  const member = config.controlPlane?.member;
  return plan.processes
    .filter((p) => config.etcd === undefined || p.role !== 'store')
    .filter((p) => member === undefined || p.role !== 'store' || p.name === member)
    .map((p) => ({ name: p.name, role: p.role }));
}

/**
 * A control plane alone (`ksim real control-plane`): store members (none on etcd), API server,
 * scheduler, controller manager and metrics-server, no node. The API server's transport and
 * HTTPS front listen on `listen`, where nodes of any host reach them; the rest on loopback.
 */
export async function planRealControlPlane(options: {
  readonly members: number;
  readonly port: number;
  readonly listen: string;
  readonly podNetwork: PodNetwork;
  readonly etcd?: EtcdTarget;
  /**
   * `--member NAME --peers name=host:port,...`: the store's members on several hosts; this
   * control plane runs `member` at its address in `peers`.
   */
  readonly peers?: { readonly member: string; readonly book: AddressBook };
}): Promise<RealClusterConfig> {
  const { etcd, peers } = options;
  const base: RealClusterConfig = {
    version: 1,
    tag: randomBytes(3).toString('hex'),
    storeMembers: peers === undefined ? options.members : peers.book.size,
    ...(peers === undefined ? {} : { storeNames: [...peers.book.keys()] }),
    ...(etcd === undefined ? {} : { etcd: etcd.endpoints }),
    ...(etcd?.tls === undefined ? {} : { etcdTls: etcd.tls }),
    nodes: 0,
    httpsPort: options.port,
    podNetwork: options.podNetwork,
    bridge: '',
    bridgeAddress: options.listen,
    bridgePrefixLength: 0,
    book: {},
    nodeNetns: {},
    processes: [],
    controlPlane: {
      listen: options.listen,
      ...(peers === undefined ? {} : { member: peers.member }),
    },
  };
  const processes = plannedProcesses(base);
  const book: Record<string, string> = {};
  for (const [name, address] of peers?.book ?? []) book[name] = formatHostPort(address);
  for (const p of processes) {
    if (book[p.name] !== undefined) continue;
    const host = p.role === 'apiserver' ? options.listen : '127.0.0.1';
    book[p.name] = `${host}:${await freePort()}`;
  }
  return { ...base, book, processes };
}

/**
 * Host-wide claims of the 172.N.0.0/16 ranges, one file per range naming the cluster directory
 * that holds it; a claim whose directory has no cluster any more is stale and taken over.
 */
export const RANGE_CLAIMS_DIR = '/run/ksim-real/ranges';

function claimRange(second: number, dir: string): boolean {
  try {
    mkdirSync(RANGE_CLAIMS_DIR, { recursive: true });
  } catch (e) {
    // Not root: no cluster can start here anyway; planning goes by the routes alone.
    if ((e as NodeJS.ErrnoException).code === 'EACCES') return true;
    throw e;
  }
  const path = `${RANGE_CLAIMS_DIR}/172.${second}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, dir, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readFileSafe(path);
    if (holder === undefined || holder === dir || existsSync(clusterPaths(holder).config)) {
      return holder === dir;
    }
    rmSync(path, { force: true });
  }
  return false;
}

export function releaseRange(config: RealClusterConfig, dir: string): void {
  const path = `${RANGE_CLAIMS_DIR}/172.${config.bridgeAddress.split('.')[1]}`;
  if (readFileSafe(path) === dir) rmSync(path, { force: true });
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomBytes(1)[0]! % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** What a node joins the control plane with: `ksim real node`'s flags, as D/join-command has them. */
export interface NodeJoin {
  readonly server: string;
  readonly token: string;
  readonly caFile: string;
  readonly caCertHash: string;
}

/**
 * Starts process `p` detached, its output in its log and its pid in D/run: a control-plane
 * process as `ksim real process` (the command `bin` runs), a node as `ksim real node` joining
 * with `join` inside its namespace — the command a node of another host runs. The child is
 * returned so its starter can tell when it exits (its command line names the cluster only once
 * nsenter has exec'd, so the pid alone cannot tell a starting process from a dead one).
 */
export function startClusterProcess(
  bin: string,
  dir: string,
  config: RealClusterConfig,
  p: ClusterProcess,
  join?: NodeJoin,
): ChildProcess {
  const paths = clusterPaths(dir);
  const args = p.role === 'node' ? nodeArgs(dir, config, p.name, join) : processArgs(dir, p);
  const netns = config.nodeNetns[p.name];
  // nsenter switches only the network namespace (ip netns exec would also remount /sys,
  // hiding the cgroup tree runc needs) and then execs, so the pid stays the process's.
  const [file, argv] =
    netns === undefined
      ? [process.execPath, [bin, ...args]]
      : ['nsenter', [`--net=${NETNS_DIR}/${netns}`, '--', process.execPath, bin, ...args]];
  const log = openSync(paths.log(p.name), 'a');
  const child = spawn(file, argv, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  // A command that could not start has no pid; waitUntilUp reports it as exited.
  child.on('error', () => {});
  child.unref();
  writeFileSync(paths.pid(p.name), String(child.pid));
  return child;
}

function processArgs(dir: string, p: ClusterProcess): string[] {
  return ['real', 'process', '--dir', dir, '--name', p.name];
}

function nodeArgs(
  dir: string,
  config: RealClusterConfig,
  name: string,
  join: NodeJoin | undefined,
): string[] {
  assert(join !== undefined, `node ${name} starts with the control plane's join command`);
  const index = nodeNames(config).indexOf(name);
  return [
    'real',
    'node',
    '--server',
    join.server,
    '--token',
    join.token,
    '--ca-file',
    join.caFile,
    '--ca-cert-hash',
    join.caCertHash,
    '--name',
    name,
    '--dir',
    clusterPaths(dir).node(name),
    '--node-ip',
    nodeAddresses(config.podNetwork, index).internalIP,
  ];
}

/** The file process `p` writes when it is up (a node's in its own directory). */
export function readyFile(dir: string, p: ClusterProcess): string {
  const paths = clusterPaths(dir);
  return p.role === 'node' ? nodePaths(paths.node(p.name), p.name).ready : paths.ready(p.name);
}

/**
 * Waits until every process in `children` wrote its ready file, then until the API lists each
 * node among them Ready; throws, with the tail of their logs, when one exits or the time is up.
 */
export async function waitUntilUp(
  dir: string,
  config: RealClusterConfig,
  children: ReadonlyMap<string, ChildProcess>,
  timeoutMs: number = UP_TIMEOUT_MS,
): Promise<void> {
  const started = config.processes.filter((p) => children.has(p.name));
  const nodes = started.filter((p) => p.role === 'node').length;
  const deadline = Date.now() + timeoutMs;
  const failure = (why: string): Error => new Error(`${why}\n${logTails(dir, started)}`);
  const exited = (name: string): boolean => {
    const child = children.get(name);
    if (child === undefined || child.pid === undefined) return true;
    return child.exitCode !== null || child.signalCode !== null;
  };
  for (;;) {
    const dead = started.filter((p) => exited(p.name));
    if (dead.length > 0) throw failure(`${dead.map((p) => p.name).join(', ')} exited`);
    if (started.every((p) => existsSync(readyFile(dir, p)))) break;
    if (Date.now() > deadline) throw failure('processes not ready in time');
    await sleep(POLL_MS);
  }
  for (;;) {
    const readyNodes = await readyNodeCount(dir, config);
    if (readyNodes === nodes) return;
    if (Date.now() > deadline) throw failure(`${readyNodes ?? 0} of ${nodes} nodes Ready in time`);
    await sleep(POLL_MS * 2);
  }
}

/** The HTTPS front's host: the control plane's listen address, else loopback. */
export function apiHost(config: RealClusterConfig): string {
  return config.controlPlane?.listen ?? '127.0.0.1';
}

/** GET on the cluster's API as its admin; undefined when it does not answer. */
export function apiGet(
  dir: string,
  config: RealClusterConfig,
  path: string,
): Promise<{ status: number; body: string } | undefined> {
  return apiRequest(dir, config, 'GET', path);
}

/** A request to the cluster's API as its admin; undefined when it does not answer. */
export function apiRequest(
  dir: string,
  config: RealClusterConfig,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: string } | undefined> {
  const paths = clusterPaths(dir);
  let ca: string;
  let token: string;
  try {
    ca = readFileSync(paths.ca, 'utf8');
    token = issueClientCredential(clusterSigner(dir, config), ADMIN_IDENTITY);
  } catch {
    return Promise.resolve(undefined);
  }
  return httpsRequest(
    { host: apiHost(config), port: config.httpsPort, ca, authorization: `Bearer ${token}` },
    method,
    path,
    body,
  );
}

/** One HTTPS request, trusting only `ca`; undefined when the server does not answer. */
export function httpsRequest(
  server: {
    readonly host: string;
    readonly port: number;
    readonly ca: string;
    readonly authorization: string;
  },
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: string } | undefined> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((done) => {
    const req = https.request(
      {
        host: server.host,
        port: server.port,
        method,
        path,
        ca: server.ca,
        headers: {
          Authorization: server.authorization,
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        timeout: 3_000,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
        res.on('error', () => done(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(undefined));
    req.end(payload);
  });
}

async function readyNodeCount(dir: string, config: RealClusterConfig): Promise<number | undefined> {
  const r = await apiGet(dir, config, '/api/v1/nodes');
  if (r === undefined || r.status !== 200) return undefined;
  const list = JSON.parse(r.body) as {
    items: { status?: { conditions?: { type: string; status: string }[] } }[];
  };
  return list.items.filter((n) =>
    n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}

function logTails(dir: string, processes: readonly ClusterProcess[]): string {
  const paths = clusterPaths(dir);
  return processes
    .map((p) => {
      let text = '';
      try {
        text = readFileSync(paths.log(p.name), 'utf8');
      } catch {
        text = '(no log)';
      }
      const tail = text.trim().split('\n').slice(-6).join('\n  ');
      return `--- ${p.name} (${paths.log(p.name)}):\n  ${tail}`;
    })
    .join('\n');
}

export interface ProcessStatus {
  readonly name: string;
  readonly role: string;
  readonly pid: number | null;
  readonly alive: boolean;
  readonly address: string;
  readonly ready: boolean;
}

export interface ClusterStatus {
  readonly dir: string;
  readonly api: { readonly url: string; readonly ready: boolean };
  readonly processes: readonly ProcessStatus[];
}

export async function clusterStatus(
  dir: string,
  config: RealClusterConfig,
): Promise<ClusterStatus> {
  const paths = clusterPaths(dir);
  const processes = config.processes.map((p): ProcessStatus => {
    const pid = readPid(paths.pid(p.name)) ?? null;
    const alive = isClusterProcess(pid ?? undefined, dir);
    return {
      name: p.name,
      role: p.role,
      pid,
      alive,
      address: config.book[p.name] ?? '',
      ready: alive && existsSync(readyFile(dir, p)),
    };
  });
  const readyz = await apiGet(dir, config, '/readyz');
  return {
    dir,
    api: { url: `https://${apiHost(config)}:${config.httpsPort}`, ready: readyz?.status === 200 },
    processes,
  };
}

/**
 * Stops every process and removes everything the cluster made outside D/logs, D/traces and
 * the nodes' traces (D/nodes/NAME/traces). Nodes stop first, so each removes its own pods and
 * routes while it can; then the control plane.
 */
export async function tearDownCluster(dir: string, config: RealClusterConfig): Promise<number> {
  const paths = clusterPaths(dir);
  const nodes = config.processes.filter((p) => p.role === 'node');
  const rest = config.processes.filter((p) => p.role !== 'node').reverse();
  let stopped = 0;
  for (const group of [nodes, rest]) {
    const pids = group
      .map((p) => readPid(paths.pid(p.name)))
      .filter((pid): pid is number => isClusterProcess(pid, dir));
    for (const pid of pids) signal(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    while (pids.some((pid) => isClusterProcess(pid, dir)) && Date.now() < deadline)
      await sleep(POLL_MS);
    for (const pid of pids) if (isClusterProcess(pid, dir)) signal(pid, 'SIGKILL');
    stopped += pids.length;
  }
  // What a killed node could not remove: its containerd, the shims, the containers, pods.
  for (const node of nodeNames(config)) await removeNodeLeftovers(paths.node(node), node);
  await tearDownNodeNetwork(config);
  for (const node of nodeNames(config)) {
    // A second pass: cgroups whose processes were still dying on the first.
    removeNamespaceState(joinedNodeRuntimeNames(paths.node(node), node).containerdNamespace);
    // A node's trace stays, as the control plane's do.
    for (const entry of readdirSafe(paths.node(node)))
      if (entry !== 'traces')
        rmSync(`${paths.node(node)}/${entry}`, { recursive: true, force: true });
  }
  for (const sub of ['data', 'run', 'pki'])
    rmSync(`${dir}/${sub}`, { recursive: true, force: true });
  rmSync(paths.kubeconfig, { force: true });
  rmSync(paths.joinCommand, { force: true });
  rmSync(paths.config, { force: true });
  releaseRange(config, dir);
  return stopped;
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}
