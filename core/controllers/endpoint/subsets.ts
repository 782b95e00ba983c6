/**
 * The subsets of an Endpoints object (pkg/controller/endpoint/endpoints_controller.go
 * addEndpointSubset and truncateEndpoints; pkg/api/v1/endpoints/util.go RepackSubsets): one
 * subset per address for every port it serves, then repacked into the canonical form, where
 * addresses that serve the same set of ports share one subset.
 */
import type { Endpoints } from '../../api/kinds/endpoints.ts';

export type Subset = NonNullable<Endpoints['subsets']>[number];
export type Address = NonNullable<Subset['addresses']>[number];
export type Port = NonNullable<Subset['ports']>[number];

/** maxCapacity: addresses past it are truncated, and the Endpoints say so. */
export const MAX_ENDPOINTS_CAPACITY = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

/** addEndpointSubset: the address, ready or not, for one port (none for a port-less headless). */
export function endpointSubset(address: Address, port: Port | undefined, ready: boolean): Subset {
  const ports = port === undefined ? [] : [port];
  return ready ? { addresses: [address], ports } : { notReadyAddresses: [address], ports };
}

const addressKey = (a: Address): string => `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
const portKey = (p: Port): string =>
  JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);

/** A port-less subset (a headless Service without ports) keeps its addresses under this. */
const NO_PORT: Port = { port: -1 };

/**
 * RepackSubsets: addresses de-duplicated by IP and target UID, "not ready" winning over
 * "ready" for the same port, then grouped by the set of ports they serve. Upstream orders the
 * subsets and their ports by a hash of their Go representation; here they are ordered by their
 * content (the order carries no meaning, and comparisons use this canonical form).
 */
export function repackSubsets(subsets: readonly Subset[]): Subset[] {
  const addresses = new Map<string, Address>();
  const ports = new Map<string, Port>();
  /** port key -> address key -> ready */
  const readinessByPort = new Map<string, Map<string, boolean>>();
  const note = (a: Address, port: Port, ready: boolean): void => {
    const ak = addressKey(a);
    if (!addresses.has(ak)) addresses.set(ak, a);
    const pk = portKey(port);
    ports.set(pk, port);
    let set = readinessByPort.get(pk);
    if (set === undefined) readinessByPort.set(pk, (set = new Map()));
    if (set.get(ak) !== false) set.set(ak, ready);
  };
  for (const s of subsets) {
    const sp = s.ports === undefined || s.ports.length === 0 ? [NO_PORT] : s.ports;
    for (const port of sp) {
      for (const a of s.addresses ?? []) note(a, port, true);
      for (const a of s.notReadyAddresses ?? []) note(a, port, false);
    }
  }
  // Addresses (with their readiness) -> the ports they serve.
  const groups = new Map<string, { members: Map<string, boolean>; ports: Port[] }>();
  for (const [pk, members] of readinessByPort) {
    const gk = JSON.stringify([...members].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let g = groups.get(gk);
    if (g === undefined) groups.set(gk, (g = { members, ports: [] }));
    g.ports.push(ports.get(pk) as Port);
  }
  const out: Subset[] = [];
  for (const { members, ports: groupPorts } of groups.values()) {
    const ready: Address[] = [];
    const notReady: Address[] = [];
    for (const [ak, isReady] of members) (isReady ? ready : notReady).push(addresses.get(ak)!);
    const realPorts = groupPorts.filter((p) => p !== NO_PORT).sort(byPort);
    out.push({
      ...(ready.length === 0 ? {} : { addresses: ready.sort(byAddress) }),
      ...(notReady.length === 0 ? {} : { notReadyAddresses: notReady.sort(byAddress) }),
      ...(realPorts.length === 0 ? {} : { ports: realPorts }),
    });
  }
  return out.sort((a, b) => compare(JSON.stringify(a), JSON.stringify(b)));
}

/**
 * truncateEndpoints: at most MAX_ENDPOINTS_CAPACITY addresses, not-ready ones dropped first;
 * each subset keeps its proportional share, rounded up. Returns undefined when nothing is cut.
 */
export function truncateSubsets(subsets: readonly Subset[]): Subset[] | undefined {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= MAX_ENDPOINTS_CAPACITY) return undefined;
  const truncateReady = totalReady > MAX_ENDPOINTS_CAPACITY;
  const max = truncateReady ? MAX_ENDPOINTS_CAPACITY : MAX_ENDPOINTS_CAPACITY - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = max;
  return subsets.map((s) => {
    const inSubset = (truncateReady ? s.addresses?.length : s.notReadyAddresses?.length) ?? 0;
    const toBeAdded = Math.min(Math.ceil((inSubset / numTotal) * max), canBeAdded);
    if (truncateReady) {
      const kept = (s.addresses ?? []).slice(0, toBeAdded);
      canBeAdded -= kept.length;
      return { ...s, addresses: kept, notReadyAddresses: [] };
    }
    const kept = (s.notReadyAddresses ?? []).slice(0, toBeAdded);
    canBeAdded -= kept.length;
    return { ...s, notReadyAddresses: kept };
  });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** LessEndpointAddress: by IP, then target UID. */
function byAddress(a: Address, b: Address): number {
  return compare(a.ip, b.ip) || compare(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
}

function byPort(a: Port, b: Port): number {
  return compare(portKey(a), portKey(b));
}
