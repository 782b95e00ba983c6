/**
 * The connection table of one machine (nf_conntrack): the first packet of a flow walks the
 * rules; its verdict is remembered, and the later packets of the flow get the same translation
 * without seeing the nat table again, so a connection keeps its backend when the rules change
 * under it (as on a real node, where only new connections follow new rules).
 *
 * Entries expire as the kernel's do (TCP established 5 days, UDP 120 s after the last packet)
 * or when the caller closes the flow; the table holds at most `maxEntries` (nf_conntrack_max),
 * and a new flow that finds it full is dropped, as the kernel drops it. kube-proxy deletes
 * entries that its rule changes made stale (conntrack -D), as on a real node.
 */
import type { ConntrackFilter } from '../../core/ports/netfilter.ts';
import type { Packet, Verdict } from './evaluate.ts';

/** nf_conntrack_max on a node with a few GiB of memory. */
export const DEFAULT_CONNTRACK_MAX = 262_144;
/** nf_conntrack_tcp_timeout_established. */
export const TCP_ESTABLISHED_TIMEOUT_US = 432_000 * 1_000_000;
/** nf_conntrack_udp_timeout_stream. */
export const UDP_STREAM_TIMEOUT_US = 120 * 1_000_000;

export interface Flow {
  readonly protocol: Packet['protocol'];
  readonly src: string;
  readonly sport: number;
  readonly dst: string;
  readonly dport: number;
}

interface Entry {
  readonly flow: Flow;
  readonly verdict: Verdict;
  expiresUs: number;
}

export function flowKey(f: Flow): string {
  return `${f.protocol} ${f.src}:${f.sport} ${f.dst}:${f.dport}`;
}

export class ConnectionTable {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number = DEFAULT_CONNTRACK_MAX) {}

  get size(): number {
    return this.entries.size;
  }

  /** The remembered verdict of an established flow, refreshing its timeout. */
  lookup(flow: Flow, nowUs: number): Verdict | undefined {
    const key = flowKey(flow);
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresUs <= nowUs) {
      this.entries.delete(key);
      return undefined;
    }
    e.expiresUs = nowUs + timeoutUs(flow);
    return e.verdict;
  }

  /** Remembers an accepted first packet; false when the table is full. */
  insert(flow: Flow, verdict: Verdict, nowUs: number): boolean {
    if (this.entries.size >= this.maxEntries) this.expire(nowUs);
    if (this.entries.size >= this.maxEntries) return false;
    this.entries.set(flowKey(flow), { flow, verdict, expiresUs: nowUs + timeoutUs(flow) });
    return true;
  }

  close(flow: Flow): void {
    this.entries.delete(flowKey(flow));
  }

  /** Deletes the entries `filter` matches (conntrack -D); how many there were. */
  delete(filter: ConntrackFilter): number {
    let n = 0;
    for (const [k, e] of this.entries) {
      if (!matches(e, filter)) continue;
      this.entries.delete(k);
      n++;
    }
    return n;
  }

  private expire(nowUs: number): void {
    for (const [k, e] of this.entries) if (e.expiresUs <= nowUs) this.entries.delete(k);
  }
}

function matches(e: Entry, f: ConntrackFilter): boolean {
  if (e.flow.protocol !== f.protocol.toLowerCase()) return false;
  if (f.originalDst !== undefined && e.flow.dst !== f.originalDst) return false;
  if (f.originalDstPort !== undefined && e.flow.dport !== f.originalDstPort) return false;
  if (f.dnatTo === undefined) return true;
  return e.verdict.kind === 'accept' && e.verdict.dnat && e.verdict.packet.dst === f.dnatTo;
}

function timeoutUs(flow: Flow): number {
  return flow.protocol === 'tcp' || flow.protocol === 'sctp'
    ? TCP_ESTABLISHED_TIMEOUT_US
    : UDP_STREAM_TIMEOUT_US;
}
