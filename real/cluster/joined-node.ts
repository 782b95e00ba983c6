/**
 * A node that joined a control plane (`ksim real node`, and each node of `ksim real up`, which
 * starts exactly that command): where its files live, the names its runtime uses on the host,
 * and the removal of what it leaves when it is killed instead of stopped.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeNamespaceState, unmountUnder } from '../containerd/daemon.ts';
import { NETNS_DIR } from '../network/pod-network.ts';
import { runCommand } from '../os/command.ts';
import { processesWith, signal } from './cluster-processes.ts';

/** Where the node's files live; short, as containerd's socket path must fit 108 bytes. */
export function nodePaths(dir: string, name: string) {
  return {
    pid: `${dir}/node.pid`,
    ready: `${dir}/node.ready`,
    data: `${dir}/data`,
    containerd: `${dir}/c`,
    pods: `${dir}/pods`,
    trace: `${dir}/traces/${name}.jsonl`,
  };
}

/**
 * The node's containerd namespace and pod-namespace prefix: unique on the host per node
 * directory (`dir` absolute), so two clusters' `node-1`s on one host never share them.
 */
export function joinedNodeRuntimeNames(dir: string, name: string) {
  const h = createHash('sha256').update(`${dir}\0${name}`).digest('hex').slice(0, 6);
  return { containerdNamespace: `ksim-n${h}-${name}`, podPrefix: `kn${h}p` };
}

/**
 * Removes what a node stopped with SIGKILL left (a clean stop removes it itself): its
 * containerd and shims, their containers' runc state and cgroups, mounts under its containerd
 * directory, and its pods' network namespaces. A node runs it before it starts, too.
 */
export async function removeNodeLeftovers(dir: string, name: string): Promise<void> {
  const paths = nodePaths(dir, name);
  const names = joinedNodeRuntimeNames(dir, name);
  for (const pid of processesWith('--config', join(paths.containerd, 'config.toml')))
    signal(pid, 'SIGKILL');
  for (const shim of processesWith('-namespace', names.containerdNamespace))
    signal(shim, 'SIGKILL');
  removeNamespaceState(names.containerdNamespace);
  await unmountUnder(paths.containerd);
  for (const ns of readdirSafe(NETNS_DIR))
    if (ns.startsWith(names.podPrefix)) await runCommand('ip', ['netns', 'delete', ns]);
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
