/**
 * Routes between nodes' pod ranges, as flannel's host-gw backend (or kubenet with the cloud
 * route controller) makes them: in the node's network namespace, one route per other Node,
 * `<its podCIDR> via <its InternalIP>`, from the Node objects it watches. A pod's packet to a
 * pod of another node leaves through the node's own routing table to that node, which hands it
 * to its pod bridge; the reply takes the mirror route back. Like host-gw, it needs the nodes
 * on one link (a gateway the kernel cannot reach directly is refused, and reported).
 *
 * The routes carry their own protocol number, so the agent finds exactly the routes it made
 * (also those a killed predecessor left) and removes them when a Node leaves or its range
 * moves, and all of them when it stops; it touches no other route.
 *
 * It reads Nodes as kube-proxy does (system:node-proxier may list and watch them; upstream's
 * Node authorizer lets a kubelet read only its own Node), as kube-router runs its pod routes
 * and its service proxy under one identity.
 */
import type { Node } from '../../core/api/node-types.ts';
import type { ApiClient } from '../../core/client/api-client.ts';
import { Informer } from '../../core/client/informer.ts';
import type { ProcessPorts } from '../../core/ports/process.ts';
import { runCommand, type CommandResult } from '../os/command.ts';

/**
 * The `proto` of every route the agent makes (iproute2's rt_protos leaves 0-4 to the kernel
 * and names a few daemons' numbers; this one is no daemon's).
 */
export const POD_ROUTE_PROTOCOL = 107;
const SYNC_POLL_US = 100_000;
/** A sync whose route commands failed is tried again this much later (no Node may change). */
const RETRY_US = 10_000_000;

export interface PodRoute {
  /** Another node's pod range. */
  readonly destination: string;
  /** That node's InternalIP. */
  readonly gateway: string;
}

/** Runs `ip` with these arguments in the agent's namespace. */
export type IpCommand = (args: readonly string[]) => Promise<CommandResult>;

export const hostIp: IpCommand = (args) => runCommand('ip', args, { timeoutMs: 10_000 });

/**
 * The routes node `self` needs: one per other Node that has a pod range and an InternalIP,
 * sorted by destination. Nodes without either (not yet given a range by node IPAM, not yet
 * reporting their address) get none until they do.
 */
export function desiredPodRoutes(nodes: readonly Node[], self: string): PodRoute[] {
  const routes: PodRoute[] = [];
  for (const node of nodes) {
    if (node.metadata.name === self) continue;
    const destination = node.spec?.podCIDR ?? '';
    const gateway = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '';
    if (destination === '' || gateway === '') continue;
    routes.push({ destination, gateway });
  }
  return routes.sort((a, b) => (a.destination < b.destination ? -1 : 1));
}

/** The agent's routes `ip -4 route show proto N` prints, one `DEST via GW dev ...` a line. */
export function parsePodRoutes(text: string): PodRoute[] {
  const routes: PodRoute[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+) via (\S+)/.exec(line.trim());
    if (m !== null) routes.push({ destination: m[1] as string, gateway: m[2] as string });
  }
  return routes;
}

export class PodRouteAgent {
  private readonly nodes: Informer<'Node'>;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** The last failure of a route command, until a sync succeeds (for the node's log). */
  private lastProblem = '';

  constructor(
    private readonly ports: ProcessPorts,
    api: ApiClient,
    private readonly nodeName: string,
    private readonly ip: IpCommand = hostIp,
    private readonly report: (message: string) => void = (m) =>
      process.stderr.write(`pod routes: ${m}\n`),
  ) {
    this.nodes = new Informer(ports, api, 'Node');
    const changed = (): void => this.requestSync();
    this.nodes.addEventHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
    this.nodes.start();
    // Once listed, a sync even if no Node is there: it removes what a killed agent left.
    ports.spawn(async () => {
      while (!this.nodes.hasSynced && !this.stopped) await ports.clock.sleep(SYNC_POLL_US);
      changed();
    });
  }

  /** Syncs now, or once more after the sync under way: every change is seen by a later sync. */
  private requestSync(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.sync(desiredPodRoutes(this.nodes.list(), this.nodeName));
      } while (this.again && !this.stopped);
      this.running = undefined;
    })();
  }

  /** Makes the agent's routes exactly `desired`: replaces each, deletes the rest. */
  private async sync(desired: readonly PodRoute[]): Promise<void> {
    const problems: string[] = [];
    const current = await this.current();
    for (const r of current) {
      if (desired.some((d) => d.destination === r.destination && d.gateway === r.gateway)) continue;
      const del = await this.ip([
        '-4',
        'route',
        'delete',
        r.destination,
        'proto',
        `${POD_ROUTE_PROTOCOL}`,
      ]);
      if (del.code !== 0) problems.push(`delete ${r.destination}: ${del.stderr.trim()}`);
    }
    for (const d of desired) {
      if (current.some((r) => r.destination === d.destination && r.gateway === d.gateway)) continue;
      const add = await this.ip([
        '-4',
        'route',
        'replace',
        d.destination,
        'via',
        d.gateway,
        'proto',
        `${POD_ROUTE_PROTOCOL}`,
      ]);
      if (add.code !== 0) problems.push(`${d.destination} via ${d.gateway}: ${add.stderr.trim()}`);
    }
    const problem = problems.join('; ');
    if (problem !== '' && problem !== this.lastProblem) this.report(problem);
    this.lastProblem = problem;
    if (problem !== '') this.ports.clock.setTimer(RETRY_US, () => this.requestSync());
  }

  private async current(): Promise<PodRoute[]> {
    const r = await this.ip(['-4', 'route', 'show', 'proto', `${POD_ROUTE_PROTOCOL}`]);
    return r.code === 0 ? parsePodRoutes(r.stdout) : [];
  }

  /** Stops watching and removes every route the agent made. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.nodes.stop();
    await this.running;
    await this.sync([]);
  }
}
