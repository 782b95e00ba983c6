/**
 * Where a control plane's processes reach the kubelets of nodes that joined it: not a static
 * table (a node joins whenever it likes, from any host) but each Node's status, as upstream's
 * API server dials a kubelet (pkg/kubelet/client: the node's preferred address type, InternalIP
 * first, and status.daemonEndpoints.kubeletEndpoint.Port). The book answers the transport's
 * lookups from the static entries first, then from the Nodes it last listed; it lists them
 * again every second, so a node is reachable about a second after it registers or moves.
 */
import type { Node } from '../../core/api/node-types.ts';
import type { ApiClient } from '../../core/client/api-client.ts';
import { KUBELET_PORT } from '../../core/kubelet/config.ts';
import type { AddressBook, HostPort } from '../host/address-book.ts';

export const NODE_ADDRESS_REFRESH_MS = 1_000;

/** The kubelet's address a Node reports, or undefined when it reports no InternalIP yet. */
export function kubeletAddress(node: Node): HostPort | undefined {
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  if (ip === undefined || ip === '') return undefined;
  return { host: ip, port: node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? KUBELET_PORT };
}

export class NodeAddressBook extends Map<string, HostPort> implements AddressBook {
  private nodes = new Map<string, HostPort>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(entries: Iterable<readonly [string, HostPort]>) {
    super(entries);
  }

  override get(name: string): HostPort | undefined {
    return super.get(name) ?? this.nodes.get(name);
  }

  /** Whether `name` is a Node's kubelet the book found (not one of its static entries). */
  isNode(name: string): boolean {
    return !super.has(name) && this.nodes.has(name);
  }

  /** Lists Nodes through `api` now and every NODE_ADDRESS_REFRESH_MS until `stop`. */
  follow(api: ApiClient): void {
    const refresh = async (): Promise<void> => {
      const r = await api.list('Node', undefined);
      if (r.ok) {
        const next = new Map<string, HostPort>();
        for (const node of r.value.items) {
          const address = kubeletAddress(node);
          if (address !== undefined) next.set(node.metadata.name ?? '', address);
        }
        this.nodes = next;
      }
      // A failed list keeps the last addresses: the API may be briefly unavailable.
      if (!this.stopped) this.timer = setTimeout(() => void refresh(), NODE_ADDRESS_REFRESH_MS);
    };
    void refresh();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
