/**
 * `ksim real up | status | down --dir D`: a whole cluster as real processes on this host.
 *
 * `up` is `ksim real control-plane` plus `ksim real node`s on one host, through the same
 * functions. It decides the cluster once (D/cluster.json: size, addresses, network), builds
 * the node namespaces on a bridge (real/cluster/node-network.ts) — the network several hosts
 * would share — and brings up the control plane listening on the bridge's address
 * (real-control-plane-start.ts): store members (none with `--store etcd://...`: the API server
 * then keeps its objects in that etcd), API server with the HTTPS front, scheduler,
 * controller manager, metrics-server, each a detached `ksim real process`, and the bootstrap
 * token and join objects. Then each node is a detached `ksim real node` inside its namespace,
 * started with the join command (D/join-command) as a user would start one on another host:
 * TLS bootstrap through a CertificateSigningRequest, a podCIDR from node IPAM, routes to the
 * other nodes' pod ranges. `up` returns when every node is Ready. Processes, not one
 * process: the cluster outlives `up`, and `status`/`down` find each by its pid file.
 * Logs go to D/logs, traces to D/traces and D/nodes/NAME/traces.
 *
 * `down` stops the nodes (SIGTERM: a node removes its pods, routes and containerd; SIGKILL
 * after a grace period), then the control plane, then removes whatever a killed process left:
 * containerd's shims and containers, runc state and cgroups, pod and node namespaces, the
 * bridge, and the cluster's state in D. Logs and traces stay.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { MAX_STORE_MEMBERS } from '../../core/cluster/assembly.ts';
import {
  clusterPaths,
  readClusterConfig,
  type RealClusterConfig,
} from '../../real/cluster/cluster-config.ts';
import { isClusterProcess, readPid } from '../../real/cluster/cluster-processes.ts';
import {
  clusterStatus,
  planRealCluster,
  startClusterProcess,
  STOP_GRACE_MS,
  tearDownCluster,
  waitUntilUp,
  type ClusterStatus,
} from '../../real/cluster/lifecycle.ts';
import { setUpNodeNetwork } from '../../real/cluster/node-network.ts';
import {
  EtcdKv,
  parseEtcdStore,
  readEtcdTls,
  type EtcdTarget,
  type EtcdTlsFiles,
} from '../../real/etcd/etcd-kv.ts';
import { checkRealHost, type HostNeeds } from './real-host-check.ts';
import { CliError, EXIT_INTERNAL, EXIT_OK, EXIT_VERDICT, fsReason } from './errors.ts';
import { table } from './format.ts';
import { BIN, startControlPlane } from './real-control-plane-start.ts';

export const MAX_REAL_NODES = 16;
export const DEFAULT_HTTPS_PORT = 6443;

const HOST_NEEDS: HostNeeds = {
  command: 'ksim real up',
  rootFor: 'network namespaces, containerd, iptables',
  binaries: ['containerd', 'ctr', 'runc', 'ip', 'iptables-restore', 'nsenter', 'openssl'],
  debianPackages: ['containerd', 'runc', 'iproute2', 'iptables', 'util-linux', 'openssl'],
};

/** `--store` and kube-apiserver's --etcd-* files, as `up` and `control-plane` take them. */
export interface EtcdStoreOptions {
  readonly store?: string;
  readonly etcdCafile?: string;
  readonly etcdCertfile?: string;
  readonly etcdKeyfile?: string;
}

export interface RealUpOptions extends EtcdStoreOptions {
  readonly dir: string;
  readonly nodes?: number;
  readonly storeMembers?: number;
  /**
   * `etcd://HOST:PORT[,HOST:PORT...]` (or `etcds://` for TLS): run the API server on this
   * etcd, no store members.
   */
  readonly store?: string;
  /** kube-apiserver's --etcd-cafile, --etcd-certfile, --etcd-keyfile (with `etcds://`). */
  readonly etcdCafile?: string;
  readonly etcdCertfile?: string;
  readonly etcdKeyfile?: string;
  readonly port?: number;
}

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
  const etcd = etcdTarget(options);
  if (typeof etcd === 'string') throw new CliError(etcd);
  if (etcd !== undefined && options.storeMembers !== undefined)
    throw new CliError('--store-members and --store exclude each other: etcd has its own members');
  checkRealHost(HOST_NEEDS);
  if (etcd !== undefined) await checkEtcd(etcd);
  refuseExisting(dir);
  await checkPortFree(port);
  try {
    mkdirSync(dir, { recursive: true });
    for (const sub of ['pki', 'logs', 'traces', 'run', 'data'])
      mkdirSync(`${dir}/${sub}`, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot make the cluster directory ${dir}: ${fsReason(e)}`);
  }
  const config = await planRealCluster(dir, nodes, members, port, etcd);
  if (config === undefined)
    throw new CliError('no free address range for the cluster: every 172.16-31 /16 is routed');
  const paths = clusterPaths(dir);
  const children = new Map<string, ChildProcess>();
  let api: string;
  try {
    // First: the file also makes this cluster's claim on its address range hold.
    writeFileSync(paths.config, `${JSON.stringify(config, null, 2)}\n`);
    await setUpNodeNetwork(config);
    const join = await startControlPlane(dir, config, children);
    api = join.server;
    // Each node joins as a node of another host does: `ksim real node` in its namespace.
    for (const p of config.processes)
      if (p.role === 'node') children.set(p.name, startClusterProcess(BIN, dir, config, p, join));
    await waitUntilUp(dir, config, children);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // Through their handles first: a child that has not exec'd yet is not recognisable by pid.
    await stopChildren([...children.values()]);
    await tearDownCluster(dir, config);
    throw new CliError(
      `the cluster did not come up, and what was started is removed: ${message}`,
      EXIT_INTERNAL,
    );
  }
  const store =
    etcd === undefined
      ? `${members} store member${members === 1 ? '' : 's'}`
      : `on etcd at ${etcd.endpoints.join(',')}${etcd.tls === undefined ? '' : ' (TLS)'}`;
  out(`cluster up in ${dir}: ${store}, ${nodes} node${nodes === 1 ? '' : 's'}`);
  out(`API at ${api}`);
  out(`kubeconfig: ${paths.kubeconfig}`);
  out(`try: kubectl --kubeconfig ${paths.kubeconfig} get nodes`);
  out(`stop: ksim real down --dir ${dir}`);
  return EXIT_OK;
}

/**
 * `--store` and the --etcd-* files; the files' paths made absolute (every process of the
 * cluster reads them, from its own working directory). Undefined without `--store`.
 */
export function etcdTarget(options: EtcdStoreOptions): EtcdTarget | string | undefined {
  const files: EtcdTlsFiles = {
    ...(options.etcdCafile === undefined ? {} : { caFile: resolve(options.etcdCafile) }),
    ...(options.etcdCertfile === undefined ? {} : { certFile: resolve(options.etcdCertfile) }),
    ...(options.etcdKeyfile === undefined ? {} : { keyFile: resolve(options.etcdKeyfile) }),
  };
  if (options.store === undefined)
    return Object.keys(files).length === 0 ? undefined : '--etcd-* files need --store etcds://...';
  return parseEtcdStore(options.store, files);
}

/**
 * Refuses an etcd that does not answer a read (or whose TLS files cannot be read or do not
 * verify), before anything of the cluster is made.
 */
export async function checkEtcd(etcd: EtcdTarget): Promise<void> {
  let tls;
  try {
    tls = etcd.tls === undefined ? undefined : readEtcdTls(etcd.tls);
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message : String(e));
  }
  const { endpoints } = etcd;
  const kv = new EtcdKv({
    endpoints,
    ...(tls === undefined ? {} : { tls }),
    requestTimeoutMs: 3_000,
    readRetries: 1,
  });
  try {
    const r = await kv.do({ kind: 'range', key: '/', rangeEnd: '\0', countOnly: true });
    if (r.kind !== 'range')
      throw new CliError(`--store: etcd at ${endpoints.join(',')} does not answer: ${r.reason}`);
  } finally {
    kv.close();
  }
}

/** SIGTERM, then SIGKILL after the grace period, to children this process started. */
export async function stopChildren(children: readonly ChildProcess[]): Promise<void> {
  const running = children.filter(
    (c) => c.pid !== undefined && c.exitCode === null && c.signalCode === null,
  );
  const exited = running.map((c) => new Promise<void>((ok) => c.once('exit', () => ok())));
  for (const c of running) c.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((ok) => {
    timer = setTimeout(() => ok('timeout'), STOP_GRACE_MS);
  });
  if ((await Promise.race([Promise.all(exited), graceOver])) === 'timeout') {
    for (const c of running) c.kill('SIGKILL');
  }
  clearTimeout(timer);
}

export function refuseExisting(dir: string): void {
  let config: RealClusterConfig | undefined;
  try {
    config = readClusterConfig(dir);
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

export function checkPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        new CliError(
          `cannot use port ${port} on ${host}: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.message}`,
        ),
      ),
    );
    server.listen(port, host, () => server.close(() => ok()));
  });
}

/** Each process of the cluster in `dir` (the library function behind `ksim real status`). */
export function realClusterStatus(dirOption: string): Promise<ClusterStatus> {
  const dir = resolve(dirOption);
  return clusterStatus(dir, readConfig(dir));
}

export async function realStatusCommand(
  options: { readonly dir: string; readonly json?: boolean },
  out: (s: string) => void,
): Promise<number> {
  const status = await realClusterStatus(options.dir);
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

function readConfig(dir: string): RealClusterConfig {
  let config: RealClusterConfig | undefined;
  try {
    config = readClusterConfig(dir);
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
  const stopped = await tearDownCluster(dir, config);
  out(
    `cluster in ${dir} is down: ${stopped} processes stopped; namespaces, bridge, containerd state and pods removed (logs and traces kept)`,
  );
  return EXIT_OK;
}
