/**
 * What the fuzzer's clients ask of the store: a random op per call, drawn from one of two mixes.
 *
 * - 'kv' (the first mix, kept so that counterexamples found with it still reproduce): puts,
 *   single-key and prefix ranges, deletes, one-compare txns on value and version, and leases
 *   from a small pool of client-chosen ids.
 * - 'full' (the default): everything the store offers a client. On top of 'kv': ranges with
 *   limit, count-only and keys-only; reads at past revisions, some below the compaction point;
 *   compaction; multi-key delete ranges; txn compares on mod, create and lease revisions with
 *   values taken from what the client last saw (so both branches run); leases whose id the
 *   server chooses; and bursts of large values, which fill the log and the network so that
 *   leader changes catch entries in flight.
 *
 * A client's view (`ClientView`) is only a source of plausible arguments; nothing here checks
 * results, the linearizability checker does.
 */
import type { Random } from '../../core/ports/random.ts';
import {
  leaseId,
  revision,
  type Compare,
  type KeyValue,
  type LeaseId,
  type Op,
  type RangeOp,
  type Result,
  type Revision,
  type TxnRequestOp,
} from '../../core/store/types.ts';

export type WorkloadMix = 'kv' | 'full';
export const WORKLOAD_MIXES: readonly WorkloadMix[] = ['kv', 'full'];
export const DEFAULT_WORKLOAD_MIX: WorkloadMix = 'full';

/**
 * Whether client number `client` only reads. A reader cut off with a deposed leader keeps asking
 * it (a write would time out there and move the client on), which is how stale reads show. The
 * full mix has twice as many readers, and they read twice as often.
 */
export function isReader(mix: WorkloadMix, client: number): boolean {
  return mix === 'kv' ? client % 3 === 1 : client % 2 === 1;
}

export function thinkUsOf(mix: WorkloadMix, reader: boolean, thinkUs: number): number {
  return mix === 'full' && reader ? Math.max(1, Math.floor(thinkUs / 2)) : thinkUs;
}

export const KEY_PREFIX = 'k';
export const KEY_RANGE_END = 'l';
/** A day: leases granted by the workload never expire during a run. */
export const LONG_LEASE_TTL_SECONDS = 86_400;

/** How far back past reads and compactions reach, in revisions. */
const PAST_READ_REACH = 12;
const COMPACT_LAG = 20;
/** Large values: 16-128 KiB, in bursts of 3-8 puts without a pause. */
const LARGE_VALUE_MIN_BYTES = 16 * 1024;
const LARGE_VALUE_SPREAD_BYTES = 112 * 1024;
const BURST_MIN = 3;
const BURST_SPREAD = 6;

/** What one client has seen: the newest revision, the last value of each key, its leases. */
export class ClientView {
  seenRevision = 0;
  readonly kvs = new Map<string, KeyValue>();
  /** Leases the server granted this client (server-chosen ids), newest last. */
  readonly leases: LeaseId[] = [];
  /** Puts left in the current burst of large values. */
  burstLeft = 0;

  observe(op: Op, result: Result): void {
    if (result.header.revision > this.seenRevision) this.seenRevision = result.header.revision;
    if (result.kind === 'range') {
      for (const kv of result.kvs) this.kvs.set(kv.key, kv);
    } else if (result.kind === 'txn') {
      for (const r of result.responses)
        if (r.kind === 'range') for (const kv of r.kvs) this.kvs.set(kv.key, kv);
    } else if (result.kind === 'lease-grant' && op.kind === 'lease-grant' && op.id === 0) {
      this.leases.push(result.id);
      if (this.leases.length > 3) this.leases.shift();
    } else if (result.kind === 'lease-revoke' && op.kind === 'lease-revoke') {
      const i = this.leases.indexOf(op.id);
      if (i >= 0) this.leases.splice(i, 1);
    }
  }
}

export interface OpContext {
  readonly keys: readonly string[];
  /** A unique value for this call (client, incarnation, sequence). */
  readonly value: string;
  readonly readOnly: boolean;
  /** Highest revision the store may be compacted to without cutting off a watcher. */
  readonly compactFloor: () => number;
}

export function nextOp(mix: WorkloadMix, random: Random, view: ClientView, ctx: OpContext): Op {
  return mix === 'kv' ? kvOp(random, ctx) : fullOp(random, view, ctx);
}

/** The first mix, draw for draw (counterexamples found with it replay unchanged). */
function kvOp(random: Random, ctx: OpContext): Op {
  const keys = ctx.keys;
  const key = keys[random.int(keys.length)]!;
  const other = keys[random.int(keys.length)]!;
  const value = ctx.value;
  if (ctx.readOnly)
    return random.int(4) === 0
      ? { kind: 'range', key: KEY_PREFIX, rangeEnd: KEY_RANGE_END }
      : { kind: 'range', key };
  const r = random.int(100);
  if (r < 6) return poolLeaseOp(random, key, value);
  if (r < 30) return { kind: 'put', key, value, ...(random.int(2) === 0 ? { prevKv: true } : {}) };
  if (r < 52) return { kind: 'range', key };
  if (r < 60) return { kind: 'range', key: KEY_PREFIX, rangeEnd: KEY_RANGE_END };
  if (r < 70)
    return { kind: 'delete-range', key, ...(random.int(2) === 0 ? { prevKv: true } : {}) };
  const compare: Compare =
    random.int(2) === 0
      ? { target: 'version', key, result: random.int(2) === 0 ? '=' : '>', value: random.int(3) }
      : { target: 'value', key, result: '!=', value: 'none' };
  return {
    kind: 'txn',
    compare: [compare],
    success:
      other === key
        ? [{ kind: 'put', key, value }]
        : [
            { kind: 'put', key: other, value },
            { kind: 'range', key },
          ],
    failure: [{ kind: 'range', key }],
  };
}

/**
 * Lease traffic whose outcome the history can explain: ids chosen by the client (a small
 * shared pool, so grants collide and revokes miss), TTLs far beyond the run so the leader
 * never expires one behind the checker's back, keys attached and deleted by revoke.
 */
function poolLeaseOp(random: Random, key: string, value: string): Op {
  const id = leaseId(1 + random.int(3));
  switch (random.int(3)) {
    case 0:
      return { kind: 'lease-grant', id, ttlSeconds: LONG_LEASE_TTL_SECONDS };
    case 1:
      return { kind: 'put', key, value, lease: id };
    default:
      return { kind: 'lease-revoke', id };
  }
}

function fullOp(random: Random, view: ClientView, ctx: OpContext): Op {
  const keys = ctx.keys;
  const key = keys[random.int(keys.length)]!;
  const other = keys[random.int(keys.length)]!;
  if (view.burstLeft > 0) {
    view.burstLeft--;
    return { kind: 'put', key, value: largeValue(random, ctx.value) };
  }
  if (ctx.readOnly) {
    const r = random.int(10);
    if (r < 5) return { kind: 'range', key };
    if (r < 8) return prefixRange(random);
    return pastRange(random, view, key);
  }
  const r = random.int(100);
  if (r < 5) return poolLeaseOp(random, key, ctx.value);
  if (r < 8) return ownLeaseOp(random, view, key, ctx.value);
  if (r < 26) {
    if (random.int(40) === 0) view.burstLeft = BURST_MIN + random.int(BURST_SPREAD);
    return { kind: 'put', key, value: ctx.value, ...(random.int(2) === 0 ? { prevKv: true } : {}) };
  }
  if (r < 40) return { kind: 'range', key, ...(random.int(4) === 0 ? { keysOnly: true } : {}) };
  if (r < 48) return prefixRange(random);
  if (r < 54) return pastRange(random, view, key);
  if (r < 60)
    return { kind: 'delete-range', key, ...(random.int(2) === 0 ? { prevKv: true } : {}) };
  if (r < 64) return multiKeyDelete(random, key, other);
  if (r < 66) return compactOp(random, view, ctx);
  return fullTxn(random, view, key, other, ctx.value);
}

/** Every workload key, plain or cut short by a limit, counted, or keys only. */
function prefixRange(random: Random): RangeOp {
  const base = { kind: 'range', key: KEY_PREFIX, rangeEnd: KEY_RANGE_END } as const;
  switch (random.int(4)) {
    case 0:
      return base;
    case 1:
      return { ...base, limit: 1 + random.int(3) };
    case 2:
      return { ...base, countOnly: true };
    default:
      return { ...base, keysOnly: true, ...(random.int(2) === 0 ? { limit: 2 } : {}) };
  }
}

/** A read a few revisions back from the newest the client saw (may be compacted by now). */
function pastRange(random: Random, view: ClientView, key: string): RangeOp {
  const at = pastRevision(random, view, PAST_READ_REACH);
  return random.int(2) === 0
    ? { kind: 'range', key, revision: at }
    : { kind: 'range', key: KEY_PREFIX, rangeEnd: KEY_RANGE_END, revision: at };
}

function pastRevision(random: Random, view: ClientView, reach: number): Revision {
  return revision(Math.max(1, view.seenRevision - random.int(reach + 1)));
}

/** [low, high] of two workload keys as a half-open range ending just past the higher one. */
function multiKeyDelete(random: Random, a: string, b: string): Op {
  const [low, high] = a < b ? [a, b] : [b, a];
  return {
    kind: 'delete-range',
    key: low,
    rangeEnd: `${high}\0`,
    ...(random.int(2) === 0 ? { prevKv: true } : {}),
  };
}

/**
 * Compaction behind the client's view and below every watcher's position (a watcher cut off
 * by compaction would be refused, which the watch check rightly reports). Sometimes at or below
 * a compaction already done, which the store refuses.
 */
function compactOp(random: Random, view: ClientView, ctx: OpContext): Op {
  const target = Math.min(ctx.compactFloor(), view.seenRevision - random.int(COMPACT_LAG + 1));
  return target >= 2
    ? { kind: 'compact', revision: revision(target) }
    : { kind: 'range', key: KEY_PREFIX, rangeEnd: KEY_RANGE_END, countOnly: true };
}

/** Grants with a server-chosen id, puts under those leases, and their revokes. */
function ownLeaseOp(random: Random, view: ClientView, key: string, value: string): Op {
  const own = view.leases[random.int(Math.max(1, view.leases.length))];
  if (own === undefined || random.int(3) === 0)
    return { kind: 'lease-grant', id: leaseId(0), ttlSeconds: LONG_LEASE_TTL_SECONDS };
  return random.int(3) === 0
    ? { kind: 'lease-revoke', id: own }
    : { kind: 'put', key, value, lease: own };
}

/**
 * A txn guarded by one or two compares on any target. Numeric operands come from what the
 * client last saw of the key, nudged by -1, 0 or +1, so each compare is sometimes true.
 */
function fullTxn(random: Random, view: ClientView, key: string, other: string, value: string): Op {
  const compares: Compare[] = [randomCompare(random, view, key)];
  if (random.int(3) === 0) compares.push(randomCompare(random, view, other));
  const success: TxnRequestOp[] =
    other === key
      ? [{ kind: 'put', key, value }]
      : [
          { kind: 'put', key: other, value },
          random.int(4) === 0 ? pastRange(random, view, key) : { kind: 'range', key },
        ];
  const failure: TxnRequestOp[] =
    random.int(4) === 0
      ? [{ kind: 'delete-range', key: other, prevKv: true }]
      : [{ kind: 'range', key }];
  return { kind: 'txn', compare: compares, success, failure };
}

const RESULTS = ['=', '!=', '<', '>'] as const;

function randomCompare(random: Random, view: ClientView, key: string): Compare {
  const seen = view.kvs.get(key);
  const result = RESULTS[random.int(RESULTS.length)]!;
  const nudge = random.int(3) - 1;
  switch (random.int(5)) {
    case 0:
      return { target: 'value', key, result, value: seen?.value ?? 'none' };
    case 1:
      return { target: 'version', key, result, value: Math.max(0, (seen?.version ?? 0) + nudge) };
    case 2:
      return {
        target: 'mod',
        key,
        result,
        value: revision(Math.max(0, (seen?.modRevision ?? 0) + nudge)),
      };
    case 3:
      return {
        target: 'create',
        key,
        result,
        value: revision(Math.max(0, (seen?.createRevision ?? 0) + nudge)),
      };
    default:
      return { target: 'lease', key, result, value: seen?.lease ?? leaseId(0) };
  }
}

/** A value of 16-128 KiB that still names its call (values stay unique per write). */
function largeValue(random: Random, value: string): string {
  const bytes = LARGE_VALUE_MIN_BYTES + random.int(LARGE_VALUE_SPREAD_BYTES);
  return `${value}:${'x'.repeat(Math.max(0, bytes - value.length - 1))}`;
}
