/**
 * `ksim real control-plane --data-dir D --listen ADDR`: a control plane that nodes of other
 * hosts join, as `kubeadm init` makes one. It plans the control plane's processes with the one
 * cluster assembly (no node) and brings them up as `ksim real up` does, through the same
 * function (real-control-plane-start.ts): a CA whose key signs every credential of the cluster
 * (real/cluster/cluster-ca.ts), the API server's certificate for ADDR, each process detached
 * (`ksim real process`), and kubeadm's bootstrap-token objects once the API answers. It prints
 * the `ksim real node` command line that joins a node.
 * `ksim real status|down --dir D` report and remove it as they do a cluster of `up`.
 *
 * With `--member NAME --peers name=host:port,...` the store's members run on several hosts:
 * each control plane runs one member (NAME, at its --peers address) and its own API server,
 * scheduler, controller manager and metrics-server, the scheduler and controller manager
 * leader-elected across hosts; together the members form one Raft group over the transport.
 * The control planes share one CA: copy the first one's D/pki/ca.crt and ca.key into the
 * others' directories before starting them (as kubeadm's docs copy /etc/kubernetes/pki/ca.*);
 * a control plane uses a CA it finds there instead of making one. Start them together: none
 * answers until a majority of the members runs.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { resolve } from 'node:path';
import { isDNS1123Label } from '../../core/api/content-checks.ts';
import { MAX_STORE_MEMBERS } from '../../core/cluster/assembly.ts';
import { checkPodNetwork } from '../../core/cluster/pod-network.ts';
import { clusterPaths } from '../../real/cluster/cluster-config.ts';
import {
  planRealControlPlane,
  tearDownCluster,
  type NodeJoin,
} from '../../real/cluster/lifecycle.ts';
import { parseAddressBook, type AddressBook } from '../../real/host/address-book.ts';
import { CliError, EXIT_INTERNAL, EXIT_OK, fsReason } from './errors.ts';
import { joinCommandLine, startControlPlane } from './real-control-plane-start.ts';
import {
  checkEtcd,
  checkPortFree,
  DEFAULT_HTTPS_PORT,
  etcdTarget,
  refuseExisting,
  stopChildren,
  type EtcdStoreOptions,
} from './real-cluster-command.ts';

/** kubeadm's default --pod-network-cidr is none; ksim's default cluster CIDR, /24 per node. */
export const DEFAULT_CONTROL_PLANE_POD_NETWORK = '10.244.0.0/16';
const NODE_CIDR_MASK_SIZE = 24;

export interface RealControlPlaneOptions extends EtcdStoreOptions {
  readonly dataDir: string;
  /** The IPv4 address nodes reach the API server at (HTTPS and the components' transport). */
  readonly listen: string;
  readonly port?: number;
  readonly storeMembers?: number;
  readonly podNetworkCidr?: string;
  /** With `peers`: the store member this control plane runs. */
  readonly member?: string;
  /** `name=host:port,...`: every store member, on this host and others, the same on each. */
  readonly peers?: string;
  /**
   * The API server's --kubelet-certificate-authority: kubelets are dialled over TLS and their
   * serving certificates verified with this CA file (it may be this control plane's own
   * `pki/ca.crt`, written as it starts).
   */
  readonly kubeletCertificateAuthority?: string;
}

export async function realControlPlaneCommand(
  options: RealControlPlaneOptions,
  out: (s: string) => void,
): Promise<number> {
  const dir = resolve(options.dataDir);
  const port = options.port ?? DEFAULT_HTTPS_PORT;
  const members = options.storeMembers ?? 1;
  if (!isIPv4(options.listen))
    throw new CliError(`--listen must be an IPv4 address of this host, got ${options.listen}`);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new CliError(`--port must be a port number (1-65535), got ${port}`);
  if (!Number.isInteger(members) || members < 1 || members > MAX_STORE_MEMBERS)
    throw new CliError(
      `--store-members must be an integer from 1 to ${MAX_STORE_MEMBERS}, got ${members}`,
    );
  const podNetwork = {
    clusterCIDR: options.podNetworkCidr ?? DEFAULT_CONTROL_PLANE_POD_NETWORK,
    nodeCIDRMaskSize: NODE_CIDR_MASK_SIZE,
  };
  const net = checkPodNetwork(podNetwork);
  if (!net.ok) throw new CliError(`--pod-network-cidr: ${net.message}`);
  const etcd = etcdTarget(options);
  if (typeof etcd === 'string') throw new CliError(etcd);
  if (etcd !== undefined && options.storeMembers !== undefined)
    throw new CliError('--store-members and --store exclude each other: etcd has its own members');
  const peers = storePeersOption(options);
  if (peers !== undefined && (etcd !== undefined || options.storeMembers !== undefined))
    throw new CliError('--peers names the store members: it excludes --store and --store-members');
  if (etcd !== undefined) await checkEtcd(etcd);
  refuseExisting(dir);
  await checkPortFree(port, options.listen);
  try {
    for (const sub of ['pki', 'logs', 'traces', 'run', 'data'])
      mkdirSync(`${dir}/${sub}`, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot make the control plane's directory ${dir}: ${fsReason(e)}`);
  }
  const planned = await planRealControlPlane({
    members,
    port,
    listen: options.listen,
    podNetwork,
    ...(etcd === undefined ? {} : { etcd }),
    ...(peers === undefined ? {} : { peers }),
  });
  const kubeletCa =
    options.kubeletCertificateAuthority === undefined
      ? undefined
      : resolve(options.kubeletCertificateAuthority);
  const config =
    kubeletCa === undefined || planned.controlPlane === undefined
      ? planned
      : {
          ...planned,
          controlPlane: { ...planned.controlPlane, kubeletCertificateAuthority: kubeletCa },
        };
  const paths = clusterPaths(dir);
  const sharedCa = readSharedCa(dir);
  const children = new Map<string, ChildProcess>();
  let join: NodeJoin;
  try {
    writeFileSync(paths.config, `${JSON.stringify(config, null, 2)}\n`);
    join = await startControlPlane(dir, config, children, sharedCa);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await stopChildren([...children.values()]);
    await tearDownCluster(dir, config);
    throw new CliError(
      `the control plane did not come up, and what was started is removed: ${message}`,
      EXIT_INTERNAL,
    );
  }
  const store =
    peers !== undefined
      ? `store member ${peers.member} of ${[...peers.book.keys()].join(', ')}`
      : etcd === undefined
        ? `${members} store member${members === 1 ? '' : 's'}`
        : `on etcd at ${etcd.endpoints.join(',')}`;
  out(`control plane up in ${dir}: ${store}, pods in ${podNetwork.clusterCIDR}`);
  out(`API at ${join.server}`);
  out(`kubeconfig: ${paths.kubeconfig}`);
  out(`CA: ${paths.ca} (${join.caCertHash})`);
  out(`join a node (as root, on a host that reaches ${options.listen}; copy the CA file there):`);
  out(`  ${joinCommandLine(join)}`);
  out(`stop: ksim real down --dir ${dir}`);
  return EXIT_OK;
}

/** `--member` and `--peers`, both or neither; undefined without them. */
function storePeersOption(
  options: RealControlPlaneOptions,
): { member: string; book: AddressBook } | undefined {
  const { member, peers } = options;
  if (member === undefined && peers === undefined) return undefined;
  if (member === undefined || peers === undefined)
    throw new CliError(
      '--member and --peers go together: --member names the store member this control plane runs, --peers every member',
    );
  const book = parseAddressBook(peers);
  if (typeof book === 'string') throw new CliError(`--peers: ${book}`);
  if (!book.has(member))
    throw new CliError(`--member ${member} is not among --peers (${[...book.keys()].join(', ')})`);
  if (book.size > MAX_STORE_MEMBERS)
    throw new CliError(`--peers names ${book.size} members; at most ${MAX_STORE_MEMBERS}`);
  const bad = [...book.keys()].filter((n) => isDNS1123Label(n).length > 0);
  if (bad.length > 0)
    throw new CliError(`--peers: member names must be DNS labels: ${bad.join(', ')}`);
  return { member, book };
}

/**
 * The cluster CA a control plane shares with the others of its store, when D/pki holds one
 * (ca.crt and ca.key, copied from the first control plane as kubeadm's docs copy
 * /etc/kubernetes/pki/ca.*): credentials any of them signs then verify on all.
 */
function readSharedCa(dir: string): { ca: string; caKey: string } | undefined {
  const paths = clusterPaths(dir);
  if (!existsSync(paths.ca) && !existsSync(paths.caKey)) return undefined;
  try {
    return { ca: readFileSync(paths.ca, 'utf8'), caKey: readFileSync(paths.caKey, 'utf8') };
  } catch (e) {
    throw new CliError(
      `${dir}/pki holds part of a CA (ca.crt and ca.key go together): ${fsReason(e)}`,
    );
  }
}
