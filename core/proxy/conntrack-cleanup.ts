/**
 * Which conntrack entries kube-proxy deletes after a sync (pkg/proxy/conntrack/cleanup.go and
 * the endpoints change tracker's detectStaleConntrackEntries): for UDP, a flow's later packets
 * follow its conntrack entry, not the rules, so an entry pointing at a removed endpoint or a
 * removed ClusterIP would blackhole the flow until it times out.
 *
 * - A ClusterIP no longer served (its Service gone, or a different ClusterIP now): every entry
 *   to it (ClearEntriesForIP).
 * - A ready endpoint that is gone or no longer ready: entries to the ClusterIP DNAT'ed to it,
 *   and to the NodePort DNAT'ed to it (ClearEntriesForNAT, ClearEntriesForPortNAT).
 * - A service port that had no ready endpoint and now has one: entries to its ClusterIP and
 *   NodePort, which the REJECT rule left behind (ClearEntriesForIP, ClearEntriesForPort).
 */
import type { ConntrackFilter } from '../ports/netfilter.ts';
import type { EndpointInfo } from './endpoints.ts';
import { servicePortKey, type ServicePortInfo } from './service-port.ts';

/** What a UDP service port looked like at a sync, for the next one to compare with. */
export interface TrackedPort {
  readonly clusterIP: string;
  readonly nodePort: number;
  /** IPs of its ready endpoints. */
  readonly ready: ReadonlySet<string>;
}

export type ConntrackState = ReadonlyMap<string, TrackedPort>;

export function conntrackState(
  ports: readonly ServicePortInfo[],
  endpoints: ReadonlyMap<string, readonly EndpointInfo[]>,
): ConntrackState {
  const out = new Map<string, TrackedPort>();
  for (const p of ports) {
    if (p.protocol !== 'udp') continue;
    const key = servicePortKey(p.name, p.protocol);
    const ready = new Set((endpoints.get(key) ?? []).filter((e) => e.ready).map((e) => e.ip));
    out.set(key, { clusterIP: p.clusterIP, nodePort: p.nodePort, ready });
  }
  return out;
}

/** The deletions that take `before` to `after`, in a stable order, without repeats. */
export function staleConntrack(before: ConntrackState, after: ConntrackState): ConntrackFilter[] {
  const out = new Map<string, ConntrackFilter>();
  const add = (f: Omit<ConntrackFilter, 'protocol'>): void => {
    const filter: ConntrackFilter = { protocol: 'UDP', ...f };
    out.set(JSON.stringify(filter), filter);
  };
  const served = new Set([...after.values()].map((p) => p.clusterIP));
  for (const [key, old] of before) {
    const now = after.get(key);
    if (!served.has(old.clusterIP)) add({ originalDst: old.clusterIP });
    for (const ip of old.ready) {
      if (now?.ready.has(ip) === true) continue;
      add({ originalDst: old.clusterIP, dnatTo: ip });
      if (old.nodePort > 0) add({ originalDstPort: old.nodePort, dnatTo: ip });
    }
  }
  for (const [key, now] of after) {
    if (now.ready.size === 0 || (before.get(key)?.ready.size ?? 0) > 0) continue;
    add({ originalDst: now.clusterIP });
    if (now.nodePort > 0) add({ originalDstPort: now.nodePort });
  }
  return [...out.values()];
}
