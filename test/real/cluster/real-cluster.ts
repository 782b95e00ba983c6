/**
 * The set-up the `ksim real up` suites share: why they cannot run here, a cluster directory
 * with `up` and kubectl on its admin kubeconfig, and a `down` that checks nothing of the
 * cluster is left on the host (namespaces, bridge, processes, mounts, cgroups).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  clusterPaths,
  nodeNames,
  readClusterConfig,
  type RealClusterConfig,
} from '../../../real/cluster/cluster-config.ts';
import { joinedNodeRuntimeNames } from '../../../real/cluster/joined-node.ts';
import { POD_ROUTE_PROTOCOL } from '../../../real/cluster/pod-routes.ts';
import { NETNS_DIR } from '../../../real/network/pod-network.ts';
import { realNetfilterUnavailable } from '../netfilter/host.ts';
import { freePort, ksim, KUBECTL, run, type Result } from './ksim.ts';

/** Why a real cluster cannot run on this machine, or undefined. */
export function realClusterUnavailable(): string | undefined {
  return (
    realNetfilterUnavailable() ?? (existsSync(KUBECTL) ? undefined : `no kubectl at ${KUBECTL}`)
  );
}

export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 500));
  }
}

export class RealCluster {
  readonly dir: string;
  config: RealClusterConfig | undefined;

  constructor(prefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  /** `ksim real up` on a free port with `args`; the result, with the config read back. */
  async up(args: readonly string[] = []): Promise<Result> {
    const port = await freePort();
    const up = await ksim(['real', 'up', '--dir', this.dir, '--port', String(port), ...args]);
    this.config = readClusterConfig(this.dir);
    return up;
  }

  /** Each node's containerd namespace and pod-namespace prefix (joined-node.ts). */
  nodeRuntimes(): { containerdNamespace: string; podPrefix: string }[] {
    const c = this.config;
    if (c === undefined) return [];
    return nodeNames(c).map((n) => joinedNodeRuntimeNames(clusterPaths(this.dir).node(n), n));
  }

  /** The containerd socket of node `name`. */
  containerdSocket(name: string): string {
    return join(clusterPaths(this.dir).node(name), 'c', 'containerd.sock');
  }

  kubectl(...args: string[]): Promise<Result> {
    return run(KUBECTL, args, {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: this.dir,
        KUBECONFIG: join(this.dir, 'admin.kubeconfig'),
      },
    });
  }

  /**
   * `ksim real down`, then checks (after the directory is removed, so a failure still cleans
   * up) that no namespace, bridge, process, mount or cgroup of the cluster is left.
   */
  async down(): Promise<void> {
    // Under load (2 cores, many agents) a down takes most of a minute: room to finish.
    const down = await ksim(['real', 'down', '--dir', this.dir], 150_000);
    const c = this.config;
    const runtimes = c === undefined ? [] : this.nodeRuntimes();
    const left = readdirSafe(NETNS_DIR).filter(
      (n) =>
        (c !== undefined && n.includes(c.tag)) || runtimes.some((r) => n.startsWith(r.podPrefix)),
    );
    const ps = await run('ps', ['-eo', 'args']);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    const cgroups = runtimes.flatMap((r) => leftCgroups(r.containerdNamespace));
    rmSync(this.dir, { recursive: true, force: true });
    expect(down.code, down.stderr).toBe(0);
    expect(mounts).not.toContain(this.dir);
    expect(cgroups).toEqual([]);
    expect(left).toEqual([]);
    if (c !== undefined) {
      const links = await run('ip', ['-o', 'link', 'show']);
      expect(links.stdout).not.toContain(c.bridge);
    }
    expect(ps.stdout.split('\n').filter((l) => l.includes(this.dir))).toEqual([]);
  }
}

/** cgroup directories named after the cluster's containerd namespaces (v1 and v2 layouts). */
export function leftCgroups(prefix: string): string[] {
  const root = '/sys/fs/cgroup';
  const dirs = [root, ...readdirSafe(root).map((c) => join(root, c))];
  return dirs.flatMap((d) =>
    readdirSafe(d)
      .filter((n) => n.startsWith(prefix))
      .map((n) => join(d, n)),
  );
}

export function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** The routes a node agent made in namespace `netns` (pod-routes.ts), each `DEST via GW`. */
export async function podRoutes(netns: string): Promise<string[]> {
  const r = await run('ip', ['-n', netns, '-4', 'route', 'show', 'proto', `${POD_ROUTE_PROTOCOL}`]);
  if (r.code !== 0) throw new Error(`ip route show in ${netns}: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(' ').slice(0, 3).join(' '));
}
