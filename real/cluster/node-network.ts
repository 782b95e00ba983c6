/**
 * The network a real cluster's nodes live on, all on one host: each node is its own network
 * namespace, joined to a bridge in the host's namespace by a veth pair whose inner end (`eth0`)
 * holds the node's InternalIP; the bridge holds an address in the same subnet, where the API
 * server listens for the node agents. Inside a node namespace: a route for the service range (locally made packets are routed before
 * OUTPUT's DNAT rewrites a ClusterIP, so the range needs a route). The node agent makes the
 * rest itself, as it does on a host of its own (`ksim real node`): its pod bridge (cbr0),
 * forwarding, and the routes to the other nodes' pod ranges, from their Node objects
 * (pod-routes.ts).
 * Nothing here touches the host's own addresses, routes or iptables beyond the bridge.
 */
import { existsSync } from 'node:fs';
import { NETNS_DIR } from '../network/pod-network.ts';
import { mustRun, runCommand } from '../os/command.ts';
import {
  nodeAddresses,
  nodeNames,
  SERVICE_CIDR,
  type RealClusterConfig,
} from './cluster-config.ts';

export function uplinkName(config: RealClusterConfig, index: number): string {
  return `ku${config.tag}${index + 1}`;
}

export async function setUpNodeNetwork(config: RealClusterConfig): Promise<void> {
  const bridge = config.bridge;
  await mustRun('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await mustRun('ip', [
    'addr',
    'add',
    `${config.bridgeAddress}/${config.bridgePrefixLength}`,
    'dev',
    bridge,
  ]);
  await mustRun('ip', ['link', 'set', bridge, 'up']);
  const names = nodeNames(config);
  for (const [i, node] of names.entries()) {
    const netns = config.nodeNetns[node]!;
    const { internalIP } = nodeAddresses(config.podNetwork, i);
    const uplink = uplinkName(config, i);
    const inNode = (args: readonly string[]): Promise<string> =>
      mustRun('ip', ['-n', netns, ...args]);
    await mustRun('ip', ['netns', 'add', netns]);
    await mustRun('ip', [
      'link',
      'add',
      uplink,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      netns,
    ]);
    await mustRun('ip', ['link', 'set', uplink, 'master', bridge]);
    await mustRun('ip', ['link', 'set', uplink, 'up']);
    await inNode(['link', 'set', 'lo', 'up']);
    await inNode(['addr', 'add', `${internalIP}/${config.bridgePrefixLength}`, 'dev', 'eth0']);
    await inNode(['link', 'set', 'eth0', 'up']);
    await inNode(['route', 'add', SERVICE_CIDR, 'via', config.bridgeAddress]);
    // Replies of a pod reached through a ClusterIP from a pod on the same bridge must pass
    // the node's conntrack to be un-DNATed (per namespace since Linux 5.3; best effort before).
    await runCommand('ip', [
      'netns',
      'exec',
      netns,
      'sysctl',
      '-qw',
      'net.bridge.bridge-nf-call-iptables=1',
    ]);
  }
}

/**
 * Removes the node namespaces (their veths, pod bridges and iptables rules go with them) and
 * the bridge; a node's pod namespaces are its own to remove (joined-node.ts). Idempotent:
 * whatever is already gone is skipped.
 */
export async function tearDownNodeNetwork(config: RealClusterConfig): Promise<void> {
  for (const [i, node] of nodeNames(config).entries()) {
    const netns = config.nodeNetns[node]!;
    if (existsSync(`${NETNS_DIR}/${netns}`)) await runCommand('ip', ['netns', 'delete', netns]);
    await runCommand('ip', ['link', 'delete', uplinkName(config, i)]);
  }
  // A control plane alone (`ksim real control-plane`) has no bridge of its own.
  if (config.bridge !== '') await runCommand('ip', ['link', 'delete', config.bridge]);
}

/** Whether the host's routes leave room for a cluster using these prefixes. */
export async function hostRoutes(): Promise<string> {
  return (await runCommand('ip', ['-4', 'route', 'show'])).stdout;
}
