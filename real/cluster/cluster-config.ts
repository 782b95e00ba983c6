/**
 * A real cluster's plan on disk (`<dir>/cluster.json`): what `ksim real up` or
 * `ksim real control-plane` decided once — its size, its addresses, its network — so every
 * process it starts, `status` and `down` read the same facts. The control plane's processes
 * come from the one cluster assembly (core/cluster): `realClusterSpec` turns this file into the
 * ClusterSpec the simulator would run; `up`'s nodes are `ksim real node` processes that join it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterSpec } from '../../core/cluster/assembly.ts';
import type { StoreClient } from '../../core/store/kv-client.ts';
import type { CertificateSigner } from '../../core/controllers/certificates/csr-signing-controller.ts';
import { nodeInternalIP, nodePodCIDR, type PodNetwork } from '../../core/cluster/pod-network.ts';
import type { EtcdTlsFiles } from '../etcd/etcd-kv.ts';
import { parseHostPort, type AddressBook } from '../host/address-book.ts';

export const CLUSTER_FILE = 'cluster.json';
/** The API server's default service-cluster-ip-range (core/apiserver/server.ts). */
export const SERVICE_CIDR = '10.96.0.0/12';
/** The pod bridge inside every node's namespace (node namespaces never share it). */
export const NODE_POD_BRIDGE = 'cbr0';

export interface RealClusterConfig {
  readonly version: 1;
  /** Six hex digits naming everything of this cluster outside its directory. */
  readonly tag: string;
  readonly storeMembers: number;
  /**
   * `--store etcd://...`: the client endpoints (`host:port`) of an etcd the API server uses
   * instead of the built-in store; the cluster then starts no store member.
   */
  readonly etcd?: readonly string[];
  /** `--store etcds://...`: TLS to that etcd, with the --etcd-* files (absolute paths). */
  readonly etcdTls?: EtcdTlsFiles;
  /** `up`'s nodes `node-1..N`, each a `ksim real node` in its namespace (none: control-plane). */
  readonly nodes: number;
  /** The HTTPS front's port, on the control plane's listen address. */
  readonly httpsPort: number;
  readonly podNetwork: PodNetwork;
  /** The host's bridge joining the node namespaces, holding `bridgeAddress/bridgePrefixLength`. */
  readonly bridge: string;
  readonly bridgeAddress: string;
  readonly bridgePrefixLength: number;
  /** Every process's transport address, `name -> host:port`. */
  readonly book: Readonly<Record<string, string>>;
  /** Node name -> the `ip netns` name of its namespace. */
  readonly nodeNetns: Readonly<Record<string, string>>;
  /** The plan's processes, in start order. */
  readonly processes: readonly ClusterProcess[];
  /**
   * A control plane nodes join over the network with a bootstrap token (`ksim real
   * control-plane`, and `up` on its bridge address: its nodes join the same way). The API
   * server (transport and HTTPS front) listens on `listen`, the CA's key signs every
   * credential (cluster-ca.ts), the CSR approver and signer and node IPAM run. (Both commands
   * set it; a file without it is of an older ksim.)
   */
  readonly controlPlane?: {
    readonly listen: string;
    /**
     * `--member NAME --peers ...`: the store's members run on several hosts, each control
     * plane running one (this one `member`) beside its own API server, scheduler and
     * controller manager; the scheduler and controller manager are leader-elected across them.
     */
    readonly member?: string;
    /**
     * `--kubelet-certificate-authority`: the CA file (PEM) the API server verifies joined
     * kubelets' serving certificates with; with it, it dials their kubelet port over TLS and
     * checks the certificate names the Node's InternalIP. Without it, plain framed TCP.
     */
    readonly kubeletCertificateAuthority?: string;
  };
  /** With `member`: every member's name, in Raft-id order (their addresses are in `book`). */
  readonly storeNames?: readonly string[];
}

export interface ClusterProcess {
  readonly name: string;
  readonly role: string;
}

/**
 * The control plane the assembly plans: M store members, API server, scheduler, controller
 * manager, metrics-server. Nodes are never planned here: each joins as `ksim real node` does
 * (its own plan of the assembly, `nodePlan`), `up`'s nodes too.
 * `rootCA`: the API server's CA bundle, which the controller manager's root CA publisher puts in
 * every namespace (absent while `up` only plans the processes). `storeClient`: the API server's
 * store client when the cluster runs on etcd (the planned store members are then not started).
 * `clusterSigning`: what signs the kubelets' certificate requests, in a control plane that
 * nodes join (the cluster CA: cluster-ca.ts).
 */
export function realClusterSpec(
  config: RealClusterConfig,
  rootCA?: string,
  storeClient?: () => StoreClient,
  clusterSigning?: CertificateSigner,
): ClusterSpec<undefined> {
  const joinable = config.controlPlane !== undefined;
  const access = joinable ? { access: { enableBootstrapTokenAuth: true } } : {};
  const store = storeClient === undefined ? {} : { storeClient };
  const apiServer = { ...store, ...access };
  // Several control planes serve one store: one scheduler and one controller manager act, as
  // upstream's --leader-elect (on by default) has it.
  const elected = config.controlPlane?.member === undefined ? {} : { leaderElection: true };
  const controllerManager = {
    ...elected,
    ...(rootCA === undefined ? {} : { rootCA }),
    // kubeadm's controller manager: --allocate-node-cidrs with the cluster CIDR, and the
    // cluster CA signing the kubelets' client certificate requests.
    ...(joinable ? { allocateNodeCIDRs: config.podNetwork } : {}),
    ...(joinable && clusterSigning !== undefined ? { clusterSigning } : {}),
  };
  const names = config.storeNames === undefined ? {} : { names: config.storeNames };
  return {
    store: { members: config.storeMembers, ...names },
    ...(Object.keys(apiServer).length === 0 ? {} : { apiServer }),
    ...(Object.keys(elected).length === 0 ? {} : { scheduler: elected }),
    podNetwork: config.podNetwork,
    nodePools: [],
    ...(Object.keys(controllerManager).length === 0 ? {} : { controllerManager }),
  };
}

export function nodeNames(config: Pick<RealClusterConfig, 'nodes'>): string[] {
  return Array.from({ length: config.nodes }, (_, i) => `node-${i + 1}`);
}

/** Node `index` (from 0): its pod range and its InternalIP, as the assembly derives them. */
export function nodeAddresses(
  net: PodNetwork,
  index: number,
): { readonly podCIDR: string; readonly internalIP: string } {
  const podCIDR = nodePodCIDR(net, index);
  return { podCIDR, internalIP: nodeInternalIP(net, index) };
}

/** Where things live in a cluster's directory. */
export function clusterPaths(dir: string) {
  return {
    config: join(dir, CLUSTER_FILE),
    signingKey: join(dir, 'pki', 'signing.key'),
    ca: join(dir, 'pki', 'ca.crt'),
    caKey: join(dir, 'pki', 'ca.key'),
    cert: join(dir, 'pki', 'apiserver.crt'),
    key: join(dir, 'pki', 'apiserver.key'),
    kubeconfig: join(dir, 'admin.kubeconfig'),
    joinCommand: join(dir, 'join-command'),
    log: (name: string) => join(dir, 'logs', `${name}.log`),
    trace: (name: string) => join(dir, 'traces', `${name}.jsonl`),
    data: (name: string) => join(dir, 'data', name),
    pid: (name: string) => join(dir, 'run', `${name}.pid`),
    ready: (name: string) => join(dir, 'run', `${name}.ready`),
    /**
     * A node's directory, its `ksim real node --dir` (joined-node.ts); short, as containerd's
     * socket path below it must fit a sockaddr_un (108 bytes).
     */
    node: (name: string) => join(dir, 'nodes', name),
  };
}

export function readClusterConfig(dir: string): RealClusterConfig | undefined {
  let text: string;
  try {
    text = readFileSync(clusterPaths(dir).config, 'utf8');
  } catch {
    return undefined;
  }
  const config = JSON.parse(text) as RealClusterConfig;
  if (config.version !== 1) throw new Error(`${CLUSTER_FILE}: unknown version ${config.version}`);
  return config;
}

export function addressBook(config: RealClusterConfig): AddressBook {
  const book: AddressBook = new Map();
  for (const [name, text] of Object.entries(config.book)) {
    const address = parseHostPort(text);
    if (typeof address === 'string') throw new Error(`${CLUSTER_FILE}: ${name}: ${address}`);
    book.set(name, address);
  }
  return book;
}
