/**
 * Where a node's rules send a new connection: the question service traffic asks of kube-proxy's
 * rules. A connection from a pod on the node enters at PREROUTING (from the pod's veth), one from
 * a process on the node itself at OUTPUT; both go through conntrack, so the later packets of a
 * flow (same source port) keep the backend the first one got.
 */
import type { SimNetfilter } from '../netfilter.ts';
import type { IpProtocol } from './rule.ts';

export interface ServiceConnection {
  readonly src: string;
  readonly dst: string;
  readonly dport: number;
  readonly protocol: Exclude<IpProtocol, 'icmp'>;
  /** The client's port; a fresh ephemeral port (a new connection) when absent. */
  readonly sport?: number;
  /** Where the client runs: in a pod on the node, or on the node itself (host network). */
  readonly from: 'pod' | 'host';
}

export type Route =
  /** Translated to a backend (a Service endpoint). */
  | {
      readonly kind: 'dnat';
      readonly ip: string;
      readonly port: number;
      /** The source was masqueraded to the node's address (KUBE-MARK-MASQ). */
      readonly masqueraded: boolean;
      /** A later packet of a known flow, which kept the first one's backend. */
      readonly established: boolean;
      readonly sport: number;
    }
  /** Not a Service address: the packet goes on untranslated. */
  | { readonly kind: 'direct'; readonly sport: number }
  | { readonly kind: 'reject'; readonly chain: string; readonly rejectWith: string }
  | { readonly kind: 'drop'; readonly chain: string }
  /** The node's conntrack table is full. */
  | { readonly kind: 'table-full' };

export function routeConnection(nf: SimNetfilter, c: ServiceConnection): Route {
  const sport = c.sport ?? nf.ephemeralPort();
  const flow = { protocol: c.protocol, src: c.src, sport, dst: c.dst, dport: c.dport };
  const conn = nf.connect(flow, c.from === 'pod' ? 'PREROUTING' : 'OUTPUT');
  if (conn.kind === 'table-full') return conn;
  const v = conn.verdict;
  switch (v.kind) {
    case 'accept':
      return v.dnat
        ? {
            kind: 'dnat',
            ip: v.packet.dst,
            port: v.packet.dport ?? c.dport,
            masqueraded: v.snat,
            established: conn.kind === 'established',
            sport,
          }
        : { kind: 'direct', sport };
    case 'reject':
      return {
        kind: 'reject',
        chain: v.chain,
        rejectWith: v.rejectWith ?? 'icmp-port-unreachable',
      };
    case 'drop':
      return { kind: 'drop', chain: v.chain };
  }
}
