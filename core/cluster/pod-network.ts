/**
 * The cluster's pod network and the per-node pod ranges carved from it, as kube-controller-
 * manager's node IPAM does with --cluster-cidr and --node-cidr-mask-size: node `i` gets the
 * i-th block of the mask size, in address order.
 */
import { formatIPv4, parseCidr } from '../kubelet/pod-ip.ts';

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

export function podNetworkFullMessage(net: PodNetwork, nodes: number, room: number): string {
  return (
    `${nodes} nodes do not fit the pod network ${net.clusterCIDR} with a /${net.nodeCIDRMaskSize} per node ` +
    `(room for ${room}): give podNetwork a larger clusterCIDR or a longer nodeCIDRMaskSize`
  );
}
