/**
 * The cluster's pod network and the per-node pod ranges carved from it, as kube-controller-
 * manager's node IPAM does with --cluster-cidr and --node-cidr-mask-size: node `i` gets the
 * i-th block of the mask size, in address order.
 */
import { formatIPv4, parseCidr, type Cidr } from '../kubelet/pod-ip.ts';

export interface PodNetwork {
  /** --cluster-cidr, an IPv4 CIDR. */
  readonly clusterCIDR: string;
  /** --node-cidr-mask-size: the prefix length of each node's range (upstream default 24). */
  readonly nodeCIDRMaskSize: number;
}

export const DEFAULT_POD_NETWORK: PodNetwork = {
  clusterCIDR: '10.244.0.0/14',
  nodeCIDRMaskSize: 24,
};

export type PodNetworkCheck =
  | { readonly ok: true; readonly base: number; readonly nodes: number }
  | { readonly ok: false; readonly message: string };

/** How many node ranges the network holds, or what is wrong with it. */
export function checkPodNetwork(net: PodNetwork): PodNetworkCheck {
  const cidr = parseCidr(net.clusterCIDR);
  if (cidr === undefined) {
    return {
      ok: false,
      message: `clusterCIDR ${JSON.stringify(net.clusterCIDR)} is not an IPv4 CIDR`,
    };
  }
  const mask = net.nodeCIDRMaskSize;
  if (!Number.isInteger(mask) || mask < cidr.prefixLength || mask > 30) {
    return {
      ok: false,
      message: `nodeCIDRMaskSize ${mask} must be an integer from the cluster prefix length (${cidr.prefixLength}) to 30`,
    };
  }
  return { ok: true, base: cidr.base, nodes: 2 ** (mask - cidr.prefixLength) };
}

/** The pod range of node number `index` (from 0); throws when the network has no room left. */
export function nodePodCIDR(net: PodNetwork, index: number): string {
  const check = checkPodNetwork(net);
  if (!check.ok) throw new Error(`pod network: ${check.message}`);
  if (index >= check.nodes) throw new Error(podNetworkFullMessage(net, index + 1, check.nodes));
  return `${formatIPv4(check.base + index * 2 ** (32 - net.nodeCIDRMaskSize))}/${net.nodeCIDRMaskSize}`;
}

/**
 * Node `index`'s InternalIP, unique for every node the pod network holds. Nodes live in
 * 172.16.0.0/12, one /24 slot each at host .2, starting at the slot of the cluster CIDR's first
 * /24 (10.244.0.0/14 puts node 0 at 172.20.0.2, node 1 at 172.20.1.2); past the /12's 4,096
 * slots the numbering wraps to host .3, .4, ..., so 5,000 nodes keep distinct addresses.
 */
export function nodeInternalIP(net: PodNetwork, index: number): string {
  const check = checkPodNetwork(net);
  if (!check.ok) throw new Error(`pod network: ${check.message}`);
  const room = nodeAddressRoom(check.base);
  if (!Number.isInteger(index) || index < 0 || index >= room) {
    throw new Error(nodeAddressesFullMessage(net, index + 1, room));
  }
  const slot = firstNodeSlot(check.base) + index;
  const host = FIRST_NODE_HOST + Math.floor(slot / NODE_SLOTS);
  return formatIPv4(NODE_NETWORK_BASE + (slot % NODE_SLOTS) * 256 + host);
}

/** Where node addresses come from: 4,096 /24 slots. */
const NODE_NETWORK = '172.16.0.0/12';
const NODE_NETWORK_BASE = 172 * 2 ** 24 + 16 * 2 ** 16;
const NODE_SLOTS = 4096;
/** .1 is each slot's gateway; .255 its broadcast address. */
const FIRST_NODE_HOST = 2;
const LAST_NODE_HOST = 254;

function firstNodeSlot(clusterBase: number): number {
  return (clusterBase >>> 8) % NODE_SLOTS;
}

/** How many nodes get distinct InternalIPs on a pod network starting at `clusterBase`. */
function nodeAddressRoom(clusterBase: number): number {
  return NODE_SLOTS * (LAST_NODE_HOST - FIRST_NODE_HOST + 1) - firstNodeSlot(clusterBase);
}

/** The cluster's nodes get distinct InternalIPs, or what is wrong (for the scenario check). */
export function nodeAddressesProblem(net: PodNetwork, nodes: number): string | undefined {
  const check = checkPodNetwork(net);
  if (!check.ok) return undefined; // reported as the pod network's own problem
  const room = nodeAddressRoom(check.base);
  return nodes > room ? nodeAddressesFullMessage(net, nodes, room) : undefined;
}

function nodeAddressesFullMessage(net: PodNetwork, nodes: number, room: number): string {
  return (
    `${nodes} nodes do not fit the node addresses ${NODE_NETWORK} (room for ${room} ` +
    `from the pod network ${net.clusterCIDR}'s first slot)`
  );
}

/**
 * Where the pod network collides with another range of the cluster: the Services' cluster IPs
 * (--service-cluster-ip-range, as kubeadm refuses a podSubnet overlapping the serviceSubnet) or
 * the nodes' own addresses. Either would give two things one address.
 */
export function podNetworkOverlaps(net: PodNetwork, serviceRange: string): string[] {
  const pods = parseCidr(net.clusterCIDR);
  if (pods === undefined) return []; // reported as the pod network's own problem
  const others: [string, string][] = [
    [`the service range ${serviceRange} (serviceNetwork.clusterIPRange)`, serviceRange],
    [`the node addresses ${NODE_NETWORK}`, NODE_NETWORK],
  ];
  const problems: string[] = [];
  for (const [what, range] of others) {
    const other = parseCidr(range);
    if (other !== undefined && cidrsOverlap(pods, other)) {
      problems.push(
        `clusterCIDR ${net.clusterCIDR} overlaps ${what}: pick a pod network clear of it`,
      );
    }
  }
  return problems;
}

function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const end = (c: Cidr): number => c.base + 2 ** (32 - c.prefixLength);
  return a.base < end(b) && b.base < end(a);
}

export function podNetworkFullMessage(net: PodNetwork, nodes: number, room: number): string {
  return (
    `${nodes} nodes do not fit the pod network ${net.clusterCIDR} with a /${net.nodeCIDRMaskSize} per node ` +
    `(room for ${room}): give podNetwork a larger clusterCIDR or a longer nodeCIDRMaskSize`
  );
}
