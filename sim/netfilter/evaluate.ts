/**
 * What a node's rules do to one packet: the walk of the kernel's hooks through the nat and
 * filter tables, with the matches and targets kube-proxy's iptables mode uses.
 *
 * A packet is the first of its connection (conntrack state NEW) unless it says otherwise. Only a
 * NEW packet sees the nat table: later packets of a connection reuse the first one's
 * translation, which the connection table (conntrack.ts) applies. -m recent lists (session
 * affinity) live in the machine's `RecentLists`, stamped with the machine's clock.
 *
 * The hooks, in order:
 * - PREROUTING (a packet arriving from a pod or another node): nat PREROUTING, then filter INPUT
 *   if the (translated) destination is the node's own, else filter FORWARD and nat POSTROUTING;
 * - OUTPUT (a packet a process on the node sends): nat OUTPUT, filter OUTPUT, nat POSTROUTING.
 */
import type { NetfilterTable } from '../../core/ports/netfilter.ts';
import type { Random } from '../../core/ports/random.ts';
import { assert } from '../../core/util/assert.ts';
import { cidrContains, formatIpv4, parseIpv4 } from './ipv4.ts';
import type { CtState, IpProtocol, Match, Rule } from './rule.ts';
import type { Chain, Ruleset, Table } from './ruleset.ts';

export type Hook = 'PREROUTING' | 'OUTPUT';

export interface Packet {
  readonly src: string;
  readonly dst: string;
  readonly protocol: IpProtocol;
  /** Ports of tcp, udp and sctp packets. */
  readonly sport?: number;
  readonly dport?: number;
  /** The packet's fwmark as it enters the hook (0 unless something marked it). */
  readonly mark?: number;
  /** Its connection's conntrack state; NEW when absent. */
  readonly ctState?: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';
}

export type Verdict =
  | {
      readonly kind: 'accept';
      /** The packet as it leaves: destination DNAT'ed, source masqueraded, mark set. */
      readonly packet: Packet;
      readonly dnat: boolean;
      readonly snat: boolean;
      /** Every chain entered, as "table/CHAIN", in order. */
      readonly path: readonly string[];
    }
  | {
      readonly kind: 'drop' | 'reject';
      readonly table: NetfilterTable;
      readonly chain: string;
      /** For a reject: the ICMP error or TCP reset sent back. */
      readonly rejectWith: string | undefined;
      readonly path: readonly string[];
    };

/** The node's addresses, for -m addrtype LOCAL and MASQUERADE. */
export interface Host {
  readonly localAddresses: readonly string[];
}

/** -m recent's lists: list name -> source address -> last time it was set, in microseconds. */
export type RecentLists = Map<string, Map<number, number>>;

/** What a walk may change besides the packet: the recent lists, as of `nowUs`. */
export interface WalkState {
  readonly recent: RecentLists;
  readonly nowUs: number;
}

const NO_STATE = (): WalkState => ({ recent: new Map(), nowUs: 0 });

/** Mutable packet state during one walk. */
interface Walk {
  src: number;
  dst: number;
  dport: number | undefined;
  sport: number | undefined;
  mark: number;
  readonly protocol: IpProtocol;
  readonly ctStates: Set<CtState>;
  dnat: boolean;
  snat: boolean;
  readonly path: string[];
}

type TableVerdict =
  | { readonly kind: 'accept' }
  | { readonly kind: 'drop'; readonly chain: string }
  | { readonly kind: 'reject'; readonly chain: string; readonly rejectWith: string };

const LOOPBACK = { base: 127 * 2 ** 24, prefixLength: 8 };

export function evaluate(
  ruleset: Ruleset,
  host: Host,
  random: Random,
  packet: Packet,
  hook: Hook,
  state: WalkState = NO_STATE(),
): Verdict {
  const local = new Set(host.localAddresses.map((a) => parseIpv4(a) as number));
  const isLocal = (addr: number) => local.has(addr) || cidrContains(LOOPBACK, addr);
  const src = parseIpv4(packet.src);
  const dst = parseIpv4(packet.dst);
  assert(src !== undefined && dst !== undefined, `packet addresses ${packet.src} -> ${packet.dst}`);
  const w: Walk = {
    src,
    dst,
    dport: packet.dport,
    sport: packet.sport,
    mark: packet.mark ?? 0,
    protocol: packet.protocol,
    ctStates: new Set([packet.ctState ?? 'NEW']),
    dnat: false,
    snat: false,
    path: [],
  };
  const steps: [NetfilterTable, string][] =
    hook === 'PREROUTING'
      ? [['nat', 'PREROUTING']]
      : [
          ['nat', 'OUTPUT'],
          ['filter', 'OUTPUT'],
        ];
  const ctx: Ctx = {
    ruleset,
    random,
    isLocal,
    masqueradeTo: parseIpv4(host.localAddresses[0] ?? ''),
    state,
  };
  for (const [table, chain] of steps) {
    const v = walkTable(ctx, table, chain, w);
    if (v.kind !== 'accept') return stopped(v, table, w);
  }
  if (hook === 'PREROUTING') {
    const toNode = isLocal(w.dst);
    const v = walkTable(ctx, 'filter', toNode ? 'INPUT' : 'FORWARD', w);
    if (v.kind !== 'accept') return stopped(v, 'filter', w);
    if (toNode) return accepted(packet, w);
  }
  const post = walkTable(ctx, 'nat', 'POSTROUTING', w);
  if (post.kind !== 'accept') return stopped(post, 'nat', w);
  return accepted(packet, w);
}

interface Ctx {
  readonly ruleset: Ruleset;
  readonly random: Random;
  isLocal(addr: number): boolean;
  readonly masqueradeTo: number | undefined;
  readonly state: WalkState;
}

function accepted(packet: Packet, w: Walk): Verdict {
  return {
    kind: 'accept',
    packet: {
      ...packet,
      src: formatIpv4(w.src),
      dst: formatIpv4(w.dst),
      ...(w.dport === undefined ? {} : { dport: w.dport }),
      mark: w.mark,
    },
    dnat: w.dnat,
    snat: w.snat,
    path: w.path,
  };
}

function stopped(
  v: Exclude<TableVerdict, { kind: 'accept' }>,
  table: NetfilterTable,
  w: Walk,
): Verdict {
  return {
    kind: v.kind,
    table,
    chain: v.chain,
    rejectWith: v.kind === 'reject' ? v.rejectWith : undefined,
    path: w.path,
  };
}

/**
 * One table at one hook: rules in order, jumps into user chains and back (RETURN or the end
 * of the chain), the built-in chain's policy when nothing decided. Only NEW packets see nat.
 */
function walkTable(ctx: Ctx, tableName: NetfilterTable, builtin: string, w: Walk): TableVerdict {
  if (tableName === 'nat' && !w.ctStates.has('NEW')) return { kind: 'accept' };
  const table = ctx.ruleset.get(tableName) as Table;
  const entry = table.get(builtin) as Chain;
  const stack: { chain: Chain; next: number }[] = [];
  let chain = entry;
  let next = 0;
  w.path.push(`${tableName}/${builtin}`);
  for (;;) {
    const rule = chain.rules[next++];
    if (rule === undefined) {
      const frame = stack.pop();
      if (frame === undefined) return policy(entry);
      ({ chain, next } = frame);
      continue;
    }
    if (!matches(ctx, rule, w)) continue;
    const t = rule.target;
    switch (t.kind) {
      case 'none':
        continue;
      case 'mark':
        w.mark = ((w.mark & ~t.mask) ^ t.value) >>> 0;
        continue;
      case 'accept':
        return { kind: 'accept' };
      case 'drop':
        return { kind: 'drop', chain: chain.name };
      case 'reject':
        return { kind: 'reject', chain: chain.name, rejectWith: t.rejectWith };
      case 'return': {
        const frame = stack.pop();
        if (frame === undefined) return policy(entry);
        ({ chain, next } = frame);
        continue;
      }
      case 'jump': {
        stack.push({ chain, next });
        chain = table.get(t.chain) as Chain;
        next = 0;
        w.path.push(`${tableName}/${t.chain}`);
        continue;
      }
      case 'dnat':
        w.dst = t.ip;
        if (t.port !== undefined) w.dport = t.port;
        w.dnat = true;
        w.ctStates.add('DNAT');
        return { kind: 'accept' };
      case 'snat':
        w.src = t.ip;
        w.snat = true;
        w.ctStates.add('SNAT');
        return { kind: 'accept' };
      case 'masquerade':
        if (ctx.masqueradeTo !== undefined) w.src = ctx.masqueradeTo;
        w.snat = true;
        w.ctStates.add('SNAT');
        return { kind: 'accept' };
    }
  }
}

function policy(chain: Chain): TableVerdict {
  return chain.policy === 'ACCEPT' ? { kind: 'accept' } : { kind: 'drop', chain: chain.name };
}

/** Every match of the rule, in order, stopping at the first that fails (so a statistic match
 * draws only when the matches before it passed, as in the kernel). */
function matches(ctx: Ctx, rule: Rule, w: Walk): boolean {
  for (const m of rule.matches) if (!matchOne(ctx, m, w)) return false;
  return true;
}

function matchOne(ctx: Ctx, m: Match, w: Walk): boolean {
  switch (m.kind) {
    case 'source':
      return cidrContains(m.cidr, w.src) !== m.negate;
    case 'destination':
      return cidrContains(m.cidr, w.dst) !== m.negate;
    case 'protocol':
      return (w.protocol === m.protocol) !== m.negate;
    case 'ports':
      return (
        w.protocol === m.protocol &&
        inRange(m.sport, w.sport, m.sportNegate) &&
        inRange(m.dport, w.dport, m.dportNegate)
      );
    case 'comment':
      return true;
    case 'statistic':
      return ctx.random.float() < m.probability !== m.negate;
    case 'mark':
      return ((w.mark & m.mask) >>> 0 === m.value) !== m.negate;
    case 'addrtype':
      return (
        (m.srcLocal === undefined || ctx.isLocal(w.src) === m.srcLocal) &&
        (m.dstLocal === undefined || ctx.isLocal(w.dst) === m.dstLocal)
      );
    case 'conntrack':
      return m.states.some((s) => w.ctStates.has(s)) !== m.negate;
    case 'recent':
      return recent(ctx.state, m, w.src) !== m.negate;
  }
}

/** xt_recent on the source address. */
function recent(state: WalkState, m: Extract<Match, { kind: 'recent' }>, src: number): boolean {
  let list = state.recent.get(m.name);
  if (m.mode === 'set') {
    if (list === undefined) state.recent.set(m.name, (list = new Map()));
    list.set(src, state.nowUs);
    return true;
  }
  if (list === undefined) return false;
  const maxAgeUs = m.seconds === undefined ? undefined : m.seconds * 1_000_000;
  if (m.reap && maxAgeUs !== undefined) {
    for (const [addr, seenUs] of [...list]) if (state.nowUs - seenUs > maxAgeUs) list.delete(addr);
  }
  const seenUs = list.get(src);
  return seenUs !== undefined && (maxAgeUs === undefined || state.nowUs - seenUs <= maxAgeUs);
}

function inRange(
  range: { readonly from: number; readonly to: number } | undefined,
  port: number | undefined,
  negate: boolean,
): boolean {
  if (range === undefined) return true;
  if (port === undefined) return false;
  return (port >= range.from && port <= range.to) !== negate;
}
