/**
 * `ksim real up | status | down --dir D`: a whole cluster as real processes on this host.
 *
 * `up` decides the cluster once (D/cluster.json: size, addresses, network), makes its
 * certificates, signing key and admin kubeconfig, builds the node namespaces on a bridge
 * (real/cluster/node-network.ts), then starts one detached `ksim real process` per process of
 * the plan the simulator would run — store members, API server (with the HTTPS front on
 * 127.0.0.1), scheduler, controller manager, metrics-server, and one node agent (kubelet on its
 * own containerd + kube-proxy on its namespace's iptables) inside each node namespace — and
 * waits until the API answers and every node is Ready. Logs and traces go to D/logs and
 * D/traces. Components reach the API server over the framed-TCP transport (API_PROTOCOL), the
 * way they reach it in simulation, so no core code learns HTTP; kubectl and other clients use
 * the HTTPS front.
 *
 * `down` stops the processes (SIGTERM: a node agent removes its pods and containerd; SIGKILL
 * after a grace period), then removes whatever a killed process left: containerd's shims and
 * containers, runc state and cgroups, pod and node namespaces, the bridge, and the cluster's
 * state in D. Logs and traces stay.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as https from 'node:https';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { issueClientCredential } from '../../core/apiserver/authn/client-credential.ts';
import { planCluster, MAX_STORE_MEMBERS } from '../../core/cluster/assembly.ts';
import { ADMIN_IDENTITY } from '../../core/cluster/identities.ts';
import {
  clusterPaths,
  nodeAddresses,
  nodeNames,
  nodeRuntimeNames,
  readClusterConfig,
  realClusterSpec,
  type RealClusterConfig,
} from '../../real/cluster/cluster-config.ts';
import {
  isClusterProcess,
  processesWith,
  readPid,
  signal,
} from '../../real/cluster/cluster-processes.ts';
import {
  hostRoutes,
  setUpNodeNetwork,
  tearDownNodeNetwork,
} from '../../real/cluster/node-network.ts';
import { readSigner, writeSigningKey } from '../../real/cluster/signer.ts';
import { removeNamespaceState, unmountUnder } from '../../real/containerd/daemon.ts';
import { makeServingCertificates } from '../../real/http/certificates.ts';
import { NETNS_DIR } from '../../real/network/pod-network.ts';
import { CliError, EXIT_INTERNAL, EXIT_OK, EXIT_VERDICT, fsReason } from './errors.ts';
import { table } from './format.ts';
import { kubeconfig } from './serve-command.ts';

const BIN = new URL('./bin.mjs', import.meta.url).pathname;

export const MAX_REAL_NODES = 16;
export const DEFAULT_HTTPS_PORT = 6443;
/** Where a node agent listens inside its namespace (the kubelet's port upstream). */
const NODE_PORT = 10250;
const UP_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 20_000;
const POLL_MS = 200;

const NEEDED_BINARIES = [
  'containerd',
  'ctr',
  'runc',
  'ip',
  'iptables-restore',
  'nsenter',
  'openssl',
];

export interface RealUpOptions {
  readonly dir: string;
  readonly nodes?: number;
  readonly storeMembers?: number;
  readonly port?: number;
}

interface ProcessEntry {
  readonly name: string;
  readonly role: string;
}

type Config = RealClusterConfig & { readonly processes: readonly ProcessEntry[] };

export async function realUpCommand(
  options: RealUpOptions,
  out: (s: string) => void,
): Promise<number> {
  const dir = resolve(options.dir);
  const nodes = options.nodes ?? 1;
  const members = options.storeMembers ?? 1;
  const port = options.port ?? DEFAULT_HTTPS_PORT;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_REAL_NODES)
    throw new CliError(`--nodes must be an integer from 1 to ${MAX_REAL_NODES}, got ${nodes}`);
  if (!Number.isInteger(members) || members < 1 || members > MAX_STORE_MEMBERS)
    throw new CliError(
      `--store-members must be an integer from 1 to ${MAX_STORE_MEMBERS}, got ${members}`,
    );
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new CliError(`--port must be a port number (1-65535), got ${port}`);
  checkHost();
  refuseExisting(dir);
  await checkPortFree(port);
  try {
    mkdirSync(dir, { recursive: true });
    for (const sub of ['pki', 'logs', 'traces', 'run', 'data'])
      mkdirSync(`${dir}/${sub}`, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot make the cluster directory ${dir}: ${fsReason(e)}`);
  }
  const config = await decideCluster(nodes, members, port);
  const paths = clusterPaths(dir);
  try {
    writeSigningKey(paths.signingKey);
    const certificates = makeServingCertificates();
    writeFileSync(paths.ca, certificates.ca);
    writeFileSync(paths.cert, certificates.cert);
    writeFileSync(paths.key, certificates.key, { mode: 0o600 });
    const token = issueClientCredential(
      readSigner(paths.signingKey, `ksim-${config.tag}`),
      ADMIN_IDENTITY,
    );
    writeFileSync(
      paths.kubeconfig,
      kubeconfig(`https://127.0.0.1:${port}`, certificates.ca, token),
      {
        mode: 0o600,
      },
    );
    writeFileSync(paths.config, `${JSON.stringify(config, null, 2)}\n`);
    await setUpNodeNetwork(config);
    for (const p of config.processes) startProcess(dir, config, p);
    await waitUntilUp(dir, config);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await tearDown(dir, config);
    throw new CliError(
      `the cluster did not come up, and what was started is removed: ${message}`,
      EXIT_INTERNAL,
    );
  }
  out(
    `cluster up in ${dir}: ${members} store member${members === 1 ? '' : 's'}, ${nodes} node${nodes === 1 ? '' : 's'}`,
  );
  out(`API at https://127.0.0.1:${port}`);
  out(`kubeconfig: ${paths.kubeconfig}`);
  out(`try: kubectl --kubeconfig ${paths.kubeconfig} get nodes`);
  out(`stop: ksim real down --dir ${dir}`);
  return EXIT_OK;
}

function checkHost(): void {
  if (process.platform !== 'linux') throw new CliError('ksim real up runs on Linux');
  if (process.getuid?.() !== 0)
    throw new CliError('ksim real up needs root (network namespaces, containerd, iptables)');
  const path = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  const missing = NEEDED_BINARIES.filter((b) => !path.some((d) => existsSync(`${d}/${b}`)));
  if (missing.length > 0)
    throw new CliError(
      `missing commands: ${missing.join(', ')} (Debian: apt-get install containerd runc iproute2 iptables util-linux openssl)`,
    );
}

function refuseExisting(dir: string): void {
  let config: Config | undefined;
  try {
    config = readClusterConfig(dir) as Config | undefined;
  } catch (e) {
    throw new CliError(
      `${clusterPaths(dir).config}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (config === undefined) return;
  const paths = clusterPaths(dir);
  const running = config.processes.filter((p) => isClusterProcess(readPid(paths.pid(p.name)), dir));
  if (running.length > 0)
    throw new CliError(
      `a cluster is already running in ${dir} (${running.length} processes); ksim real down --dir ${dir} stops it`,
    );
  throw new CliError(
    `${dir} holds a stopped cluster's state; ksim real down --dir ${dir} removes it first`,
  );
}

function checkPortFree(port: number): Promise<void> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        new CliError(
          `cannot use port ${port} on 127.0.0.1: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => ok()));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/**
 * Picks the cluster's names and addresses: pods in 10.B.0.0/16 (a /24 per node), node
 * InternalIPs 172.(16+B%16).i.2 as the assembly derives them, and the bridge at .255.1 of that
 * /16 — with B such that the host routes neither range already (another cluster, Docker).
 */
async function decideCluster(nodes: number, members: number, port: number): Promise<Config> {
  const routes = await hostRoutes();
  let b: number | undefined;
  for (const candidate of shuffled(range(200, 256))) {
    const net = `172.${16 + (candidate & 15)}.`;
    if (!routes.includes(net) && !routes.includes(`10.${candidate}.`)) {
      b = candidate;
      break;
    }
  }
  if (b === undefined)
    throw new CliError('no free address range for the cluster: every 172.16-31 /16 is routed');
  const tag = randomBytes(3).toString('hex');
  const podNetwork = { clusterCIDR: `10.${b}.0.0/16`, nodeCIDRMaskSize: 24 };
  const bridgeAddress = `172.${16 + (b & 15)}.255.1`;
  const base = {
    version: 1 as const,
    tag,
    storeMembers: members,
    nodes,
    httpsPort: port,
    podNetwork,
  };
  const names = nodeNames({ nodes });
  const plan = planCluster(
    realClusterSpec({
      ...base,
      bridge: '',
      bridgeAddress,
      bridgePrefixLength: 16,
      book: {},
      nodeNetns: {},
    }),
    {
      signer: { algorithm: 'none', keyId: 'plan', sign: () => '', verify: () => false },
      machine: () => {
        throw new Error('planning only');
      },
    },
  );
  const book: Record<string, string> = {};
  for (const p of plan.processes) {
    if (p.role === 'node') {
      book[p.name] = `${nodeAddresses(podNetwork, names.indexOf(p.name)).internalIP}:${NODE_PORT}`;
    } else {
      // The API server listens on the bridge, where node agents reach it; the rest on loopback.
      const host = p.role === 'apiserver' ? bridgeAddress : '127.0.0.1';
      book[p.name] = `${host}:${await freePort()}`;
    }
  }
  return {
    ...base,
    bridge: `kb${tag}`,
    bridgeAddress,
    bridgePrefixLength: 16,
    book,
    nodeNetns: Object.fromEntries(names.map((n) => [n, `ksim-${tag}-${n}`])),
    processes: plan.processes.map((p) => ({ name: p.name, role: p.role })),
  };
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

function startProcess(dir: string, config: Config, p: ProcessEntry): void {
  const paths = clusterPaths(dir);
  const args = [BIN, 'real', 'process', '--dir', dir, '--name', p.name];
  const netns = config.nodeNetns[p.name];
  // nsenter switches only the network namespace (ip netns exec would also remount /sys,
  // hiding the cgroup tree runc needs) and then execs, so the pid stays the process's.
  const [file, argv] =
    netns === undefined
      ? [process.execPath, args]
      : ['nsenter', [`--net=${NETNS_DIR}/${netns}`, '--', process.execPath, ...args]];
  const log = openSync(paths.log(p.name), 'a');
  const child = spawn(file, argv, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  writeFileSync(paths.pid(p.name), String(child.pid));
}

async function waitUntilUp(dir: string, config: Config): Promise<void> {
  const paths = clusterPaths(dir);
  const deadline = Date.now() + UP_TIMEOUT_MS;
  const failure = (why: string): Error => new Error(`${why}\n${logTails(dir, config)}`);
  for (;;) {
    const dead = config.processes.filter((p) => !isClusterProcess(readPid(paths.pid(p.name)), dir));
    if (dead.length > 0) throw failure(`${dead.map((p) => p.name).join(', ')} exited`);
    if (config.processes.every((p) => existsSync(paths.ready(p.name)))) break;
    if (Date.now() > deadline) throw failure('processes not ready in time');
    await sleep(POLL_MS);
  }
  for (;;) {
    const readyNodes = await readyNodeCount(dir, config);
    if (readyNodes === config.nodes) return;
    if (Date.now() > deadline)
      throw failure(`${readyNodes ?? 0} of ${config.nodes} nodes Ready in time`);
    await sleep(POLL_MS * 2);
  }
}

/** GET on the cluster's API as its admin; undefined when it does not answer. */
export function apiGet(
  dir: string,
  config: RealClusterConfig,
  path: string,
): Promise<{ status: number; body: string } | undefined> {
  const paths = clusterPaths(dir);
  let ca: string;
  let token: string;
  try {
    ca = readFileSync(paths.ca, 'utf8');
    token = issueClientCredential(
      readSigner(paths.signingKey, `ksim-${config.tag}`),
      ADMIN_IDENTITY,
    );
  } catch {
    return Promise.resolve(undefined);
  }
  return new Promise((done) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port: config.httpsPort,
        path,
        ca,
        headers: { Authorization: `Bearer ${token}` },
        timeout: 3_000,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
        res.on('error', () => done(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(undefined));
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

function logTails(dir: string, config: Config): string {
  const paths = clusterPaths(dir);
  return config.processes
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

export async function clusterStatus(dirOption: string): Promise<ClusterStatus> {
  const dir = resolve(dirOption);
  const config = readConfig(dir);
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
      ready: alive && existsSync(paths.ready(p.name)),
    };
  });
  const readyz = await apiGet(dir, config, '/readyz');
  return {
    dir,
    api: { url: `https://127.0.0.1:${config.httpsPort}`, ready: readyz?.status === 200 },
    processes,
  };
}

export async function realStatusCommand(
  options: { readonly dir: string; readonly json?: boolean },
  out: (s: string) => void,
): Promise<number> {
  const status = await clusterStatus(options.dir);
  const healthy = status.api.ready && status.processes.every((p) => p.alive && p.ready);
  if (options.json === true) {
    out(JSON.stringify({ ...status, healthy }, null, 2));
  } else {
    out(
      table(
        ['PROCESS', 'ROLE', 'PID', 'STATE', 'ADDRESS', 'READY'],
        status.processes.map((p) => [
          p.name,
          p.role,
          p.pid === null ? '-' : String(p.pid),
          p.alive ? 'alive' : 'dead',
          p.address,
          p.ready ? 'yes' : 'no',
        ]),
      ),
    );
    out(`API ${status.api.url}: ${status.api.ready ? 'ready' : 'not answering'}`);
  }
  return healthy ? EXIT_OK : EXIT_VERDICT;
}

function readConfig(dir: string): Config {
  let config: Config | undefined;
  try {
    config = readClusterConfig(dir) as Config | undefined;
  } catch (e) {
    throw new CliError(
      `${clusterPaths(dir).config}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (config === undefined)
    throw new CliError(`no cluster in ${dir} (ksim real up --dir ${dir} makes one)`);
  return config;
}

export async function realDownCommand(
  options: { readonly dir: string },
  out: (s: string) => void,
): Promise<number> {
  const dir = resolve(options.dir);
  const config = readConfig(dir);
  const stopped = await tearDown(dir, config);
  out(
    `cluster in ${dir} is down: ${stopped} processes stopped; namespaces, bridge, containerd state and pods removed (logs and traces kept)`,
  );
  return EXIT_OK;
}

/**
 * Stops every process and removes everything the cluster made outside D/logs and D/traces.
 * Node agents stop first, so each removes its own pods while it can; then the control plane.
 */
async function tearDown(dir: string, config: Config): Promise<number> {
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
  // What a killed node agent could not remove: its containerd, the shims, the containers.
  for (const node of nodeNames(config)) {
    const { containerdNamespace } = nodeRuntimeNames(config, node);
    const daemon = readPid(paths.containerdPid(node));
    if (
      daemon !== undefined &&
      (readFileSafe(`/proc/${daemon}/cmdline`) ?? '').includes(paths.containerd(node))
    )
      signal(daemon, 'SIGKILL');
    for (const shim of processesWith('-namespace', containerdNamespace)) signal(shim, 'SIGKILL');
    removeNamespaceState(containerdNamespace);
    await unmountUnder(paths.containerd(node));
  }
  await tearDownNodeNetwork(config);
  for (const node of nodeNames(config)) {
    // A second pass: cgroups whose processes were still dying on the first.
    removeNamespaceState(nodeRuntimeNames(config, node).containerdNamespace);
  }
  for (const sub of ['c', 'pods', 'data', 'run', 'pki'])
    rmSync(`${dir}/${sub}`, { recursive: true, force: true });
  rmSync(paths.kubeconfig, { force: true });
  rmSync(paths.config, { force: true });
  return stopped;
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
