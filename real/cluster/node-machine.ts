/**
 * A real node's machine, built in the node agent's process (which runs inside the node's
 * network namespace): its own containerd with the busybox image, the Runtime port on it with
 * pods on the node's pod bridge, the Netfilter port on this namespace's iptables, and probes
 * from this namespace, with forwarding on. `close` removes the pods, the daemon and its state, and the bridge.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import type { NodeMachine } from '../../core/cluster/assembly.ts';
import { startContainerd, type Containerd } from '../containerd/daemon.ts';
import { importBusyboxImage } from '../image/import.ts';
import { HostNetfilter } from '../netfilter/host-netfilter.ts';
import { NETNS_DIR, PodNetwork } from '../network/pod-network.ts';
import { runCommand } from '../os/command.ts';
import { ContainerdRuntime } from '../runtime/containerd-runtime.ts';
import { HostProbeNetwork } from '../runtime/probe-network.ts';

/** The forwarding switch of this process's network namespace. */
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

export interface NodeMachineOptions {
  readonly containerdDir: string;
  readonly containerdNamespace: string;
  readonly podsDir: string;
  readonly podBridge: string;
  readonly podPrefix: string;
}

export interface RealNodeMachine {
  readonly machine: NodeMachine;
  readonly containerd: Containerd;
  close(): Promise<void>;
}

export async function startNodeMachine(options: NodeMachineOptions): Promise<RealNodeMachine> {
  // As the CNI bridge plugin does for its gateway (and kubeadm's preflight demands): pods
  // reach other nodes' pods, and Services, only through this namespace's forwarding.
  writeFileSync(IP_FORWARD, '1');
  const network = new PodNetwork({ bridge: options.podBridge, prefix: options.podPrefix });
  const containerd = await startContainerd({
    dir: options.containerdDir,
    namespace: options.containerdNamespace,
  });
  let runtime: ContainerdRuntime | undefined;
  const close = async (): Promise<void> => {
    if (runtime !== undefined) {
      const sandboxes = await runtime.listPodSandboxes();
      for (const s of sandboxes.ok ? sandboxes.value : []) await runtime.removePodSandbox(s.id);
      runtime.close();
    }
    await containerd.stop();
    for (const name of readdirSafe(NETNS_DIR)) {
      if (name.startsWith(options.podPrefix)) await runCommand('ip', ['netns', 'delete', name]);
    }
    await network.tearDown();
  };
  try {
    const imported = await importBusyboxImage(containerd.ctr);
    if (!imported.ok) throw new Error(imported.message);
    runtime = await ContainerdRuntime.start({
      ctr: containerd.ctr,
      network,
      dir: options.podsDir,
    });
  } catch (e) {
    await close();
    throw e;
  }
  return {
    machine: { runtime, netfilter: new HostNetfilter(), probes: new HostProbeNetwork() },
    containerd,
    close,
  };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
