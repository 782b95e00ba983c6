/**
 * One node's real runtime for a test file: a private containerd with the busybox image, a
 * bridge with a fresh name and a pod CIDR, and the runtime on them. `tearDown` removes all of
 * it, and whatever a failed test left: sandboxes, namespaces, veths, the bridge, the daemon's
 * files.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startContainerd, type Containerd } from '../../../real/containerd/daemon.ts';
import { importBusyboxImage } from '../../../real/image/import.ts';
import { NETNS_DIR, PodNetwork } from '../../../real/network/pod-network.ts';
import { runCommand } from '../../../real/os/command.ts';
import { ContainerdRuntime } from '../../../real/runtime/containerd-runtime.ts';

export interface RuntimeFixture {
  /** The current runtime (a new one after `restart`). */
  readonly runtime: ContainerdRuntime;
  readonly daemon: Containerd;
  readonly network: PodNetwork;
  readonly podCIDR: string;
  /** Closes the runtime and starts another on the same containerd and directory, as a node
   * agent's restart does. */
  restart(): Promise<ContainerdRuntime>;
  tearDown(): Promise<void>;
}

export async function startRuntimeFixture(nowUs?: () => number): Promise<RuntimeFixture> {
  const tag = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'ksim-runtime-'));
  const podCIDR = await freePodCIDR();
  const prefix = `kt${tag}`;
  let network = new PodNetwork({ bridge: `ktbr${tag}`, prefix });
  let daemon: Containerd | undefined;
  let runtime: ContainerdRuntime | undefined;
  const startRuntime = async (d: Containerd): Promise<ContainerdRuntime> => {
    const r = await ContainerdRuntime.start({
      ctr: d.ctr,
      network,
      dir: join(dir, 'pods'),
      ...(nowUs === undefined ? {} : { nowUs }),
    });
    const configured = await r.updateRuntimeConfig({ podCIDR });
    if (!configured.ok) throw new Error(configured.message);
    return r;
  };
  const tearDown = async (): Promise<void> => {
    if (runtime !== undefined) {
      const sandboxes = await runtime.listPodSandboxes();
      for (const s of sandboxes.ok ? sandboxes.value : []) await runtime.removePodSandbox(s.id);
      runtime.close();
    }
    await daemon?.stop();
    for (const name of readdirSafe(NETNS_DIR)) {
      if (name.startsWith(prefix)) await runCommand('ip', ['netns', 'delete', name]);
    }
    await network.tearDown();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    daemon = await startContainerd({ dir: join(dir, 'containerd') });
    const imported = await importBusyboxImage(daemon.ctr);
    if (!imported.ok) throw new Error(imported.message);
    runtime = await startRuntime(daemon);
    const d = daemon;
    return {
      get runtime() {
        return runtime!;
      },
      daemon: d,
      get network() {
        return network;
      },
      podCIDR,
      restart: async () => {
        runtime?.close();
        runtime = undefined;
        // A new process has a new network object: it knows the bridge only by name.
        network = new PodNetwork(network.options);
        runtime = await startRuntime(d);
        return runtime;
      },
      tearDown,
    };
  } catch (e) {
    await tearDown();
    throw e;
  }
}

/**
 * 10.250.0.0/16 is kept for tests; each fixture takes a /24 no route of this namespace uses
 * yet, so test files running side by side get bridges on different networks.
 */
async function freePodCIDR(): Promise<string> {
  const routes = (await runCommand('ip', ['-4', 'route', 'show'])).stdout;
  for (;;) {
    const cidr = `10.250.${randomBytes(1)[0] ?? 0}.0/24`;
    if (!routes.includes(cidr)) return cidr;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
