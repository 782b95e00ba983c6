/**
 * The MVCC key-value store (etcd server/storage/mvcc): every write txn that changes something
 * creates exactly one new revision; each change within it gets a sub-revision, which orders its
 * events. Old versions stay readable until compaction. A write that changes nothing (a delete
 * that matches no key, a read-only txn, revoking a lease without keys) creates no revision.
 *
 * Costs, with n keys in the index, k keys in a range and v retained versions of a key:
 * - put / delete of one key: O(1) for an existing key, O(log n + 1024) for a new one (SortedMap);
 * - range: O(log n + k) at the current revision, O(k log v) at a past one. `count` is exact, so a
 *   limited range still walks the whole span, as etcd's index does (~10 ms for 10^5 keys);
 * - compact: O(d × v) for the d keys written since the previous compaction, plus
 *   O(log n + 1024) per key that leaves the index;
 * - leaseRevoke: O(h log h) for a lease holding h keys.
 */
import { assert, assertNever } from '../util/assert.ts';
import { compareHolds } from './compare.ts';
import { KeyHistory } from './key-history.ts';
import { KeyIndex } from './key-index.ts';
import { keySpan } from './key-range.ts';
import { LeaseTable } from './lease-table.ts';
import { checkRequest, checkTxn } from './request-check.ts';
import { RevisionLog } from './revision-log.ts';
import {
  DEFAULT_STORE_LIMITS,
  INITIAL_REVISION,
  MAX_LEASE_TTL_SECONDS,
  NO_COMPACTION,
  NO_LEASE,
  revision,
  type CommittedRevision,
  type Compare,
  type CompactOp,
  type CompactResult,
  type DeleteRangeOp,
  type DeleteRangeResult,
  type KeyValue,
  type LeaseGrantOp,
  type LeaseGrantResult,
  type LeaseId,
  type LeaseInfo,
  type LeaseRevokeOp,
  type LeaseRevokeResult,
  type PutOp,
  type PutResult,
  type RangeOp,
  type RangeResult,
  type Revision,
  type StoreError,
  type StoreErrorReason,
  type StoreLimits,
  type TxnOp,
  type TxnRequestOp,
  type TxnResponse,
  type TxnResult,
  type WatchEvent,
} from './types.ts';

export interface MvccStoreOptions {
  readonly limits?: StoreLimits;
  /** Called after each new revision is applied, with its changes in sub-revision order. */
  readonly onCommit?: (committed: CommittedRevision) => void;
}

/** What a snapshot holds; `keys` in ascending key order, `leases` by ascending id. */
export interface MvccSnapshotParts {
  readonly revision: Revision;
  readonly compactRevision: Revision;
  readonly keys: readonly (readonly [string, KeyHistory])[];
  readonly leases: readonly { readonly id: LeaseId; readonly ttlSeconds: number }[];
}

/** The changes of the write txn being applied; they all get revision `beginRevision + 1`. */
interface WriteBatch {
  readonly beginRevision: Revision;
  /** Replaced at the first change by `addEvent`. */
  events: WatchEvent[];
}

/**
 * Appends a change to the batch. Nearly every revision holds one change, kept as long as the
 * revision is retained: a one-element literal holds one slot, where a push onto an empty array
 * reserves seventeen (about 130 bytes more per revision, on every member).
 */
function addEvent(batch: WriteBatch, event: WatchEvent): void {
  if (batch.events.length === 0) batch.events = [event];
  else batch.events.push(event);
}

export class MvccStore {
  private currentRevision: Revision = INITIAL_REVISION;
  private compactedRevision: Revision = NO_COMPACTION;
  private index = new KeyIndex();
  private readonly leaseTable = new LeaseTable();
  private readonly log = new RevisionLog();
  /**
   * Keys that the next compaction may trim (written since the last one, or not yet settled),
   * in the order they were first listed; each is flagged `awaitingCompaction`.
   */
  private uncompacted: KeyHistory[] = [];
  /** The header of results at the current revision, shared (results are immutable). */
  private currentHeader: { readonly revision: Revision } = { revision: INITIAL_REVISION };
  private readonly limits: StoreLimits;
  private readonly onCommit: ((committed: CommittedRevision) => void) | undefined;

  constructor(options: MvccStoreOptions = {}) {
    this.limits = options.limits ?? DEFAULT_STORE_LIMITS;
    this.onCommit = options.onCommit;
  }

  static fromSnapshotParts(parts: MvccSnapshotParts, options: MvccStoreOptions = {}): MvccStore {
    const store = new MvccStore(options);
    store.currentRevision = parts.revision;
    store.compactedRevision = parts.compactRevision;
    store.index = new KeyIndex(parts.keys);
    for (const { id, ttlSeconds } of parts.leases) store.leaseTable.grant(id, ttlSeconds);
    for (const [key, history] of parts.keys) {
      const live = history.latest();
      if (live !== null && live.lease !== NO_LEASE) store.leaseTable.attach(live.lease, key);
      if (!history.isSettled()) store.awaitCompaction(history);
    }
    for (const committed of rebuildLog(parts)) store.log.append(committed);
    return store;
  }

  get revision(): Revision {
    return this.currentRevision;
  }

  get compactRevision(): Revision {
    return this.compactedRevision;
  }

  /** Keys with a live value or a history above the compaction point. */
  get keyCount(): number {
    return this.index.size;
  }

  put(op: PutOp): PutResult | StoreError {
    const reason = checkRequest(op) ?? this.checkPutState(op);
    if (reason !== null) return this.error(reason);
    // The write path of `write` without its closures: puts are the hot path of every replica.
    const batch: WriteBatch = { beginRevision: this.currentRevision, events: [] };
    const prev = this.putKey(batch, op);
    this.commit(batch);
    const header = this.header();
    return op.prevKv === true && prev !== null
      ? { kind: 'put', header, prevKv: prev }
      : { kind: 'put', header };
  }

  range(op: RangeOp): RangeResult | StoreError {
    const reason = checkRequest(op) ?? this.checkRangeRevision(op);
    if (reason !== null) return this.error(reason);
    return this.readRange(op, this.currentRevision);
  }

  deleteRange(op: DeleteRangeOp): DeleteRangeResult | StoreError {
    const reason = checkRequest(op);
    if (reason !== null) return this.error(reason);
    return this.write((batch) => this.applyDeleteRange(batch, op));
  }

  /**
   * Compares read the state before the txn; the chosen branch's ops then run in order and see
   * each other's writes (etcd's robustness model; puts and deletes of one key cannot mix).
   * A failing state check (lease, ignoreValue, range revision) aborts the whole txn.
   */
  txn(op: TxnOp): TxnResult | StoreError {
    const shape = checkTxn(op, this.limits);
    if (shape !== null) return this.error(shape);
    const succeeded = this.comparesHold(op.compare);
    const branch = succeeded ? op.success : op.failure;
    for (let i = 0; i < branch.length; i++) {
      const reason = this.checkRequestState(branch[i]!);
      if (reason !== null) return this.error(reason);
    }
    // The write path of `write` without its closures: every API server write is a txn.
    const batch: WriteBatch = { beginRevision: this.currentRevision, events: [] };
    const responses: TxnResponse[] = [];
    for (let i = 0; i < branch.length; i++) responses.push(this.applyTxnRequest(batch, branch[i]!));
    this.commit(batch);
    return { kind: 'txn', header: this.header(), succeeded, responses };
  }

  private comparesHold(compares: readonly Compare[]): boolean {
    for (let i = 0; i < compares.length; i++) {
      const cmp = compares[i]!;
      if (!compareHolds(cmp, this.index.get(cmp.key)?.latest() ?? null)) return false;
    }
    return true;
  }

  /** etcd compact: below or at the current compaction is 'compacted', above current is future. */
  compact(op: CompactOp): CompactResult | StoreError {
    if (op.revision <= this.compactedRevision) return this.error('compacted');
    if (op.revision > this.currentRevision) return this.error('future-revision');
    const still: KeyHistory[] = [];
    for (const history of this.uncompacted) {
      if (!history.compact(op.revision)) {
        this.index.remove(history.key);
        history.awaitingCompaction = false;
      } else if (history.isSettled()) {
        history.awaitingCompaction = false;
      } else {
        still.push(history);
      }
    }
    this.uncompacted = still;
    this.log.dropThrough(op.revision);
    this.compactedRevision = op.revision;
    return { kind: 'compact', header: this.header() };
  }

  leaseGrant(op: LeaseGrantOp): LeaseGrantResult | StoreError {
    const validId = Number.isSafeInteger(op.id) && op.id > 0;
    const validTtl =
      Number.isInteger(op.ttlSeconds) &&
      op.ttlSeconds >= 1 &&
      op.ttlSeconds <= MAX_LEASE_TTL_SECONDS;
    if (!validId || !validTtl) return this.error('invalid-lease');
    if (this.leaseTable.has(op.id)) return this.error('lease-exists');
    this.leaseTable.grant(op.id, op.ttlSeconds);
    return { kind: 'lease-grant', header: this.header(), id: op.id, ttlSeconds: op.ttlSeconds };
  }

  /** Deletes the lease's keys in one revision (none if it holds no keys), then the lease. */
  leaseRevoke(op: LeaseRevokeOp): LeaseRevokeResult | StoreError {
    if (!this.leaseTable.has(op.id)) return this.error('lease-not-found');
    return this.write((batch) => {
      for (const key of this.leaseTable.keysOf(op.id))
        this.deleteKey(batch, key, this.index.get(key)!);
      this.leaseTable.remove(op.id);
      return (header) => ({ kind: 'lease-revoke', header });
    });
  }

  leases(): LeaseInfo[] {
    return this.leaseTable.list();
  }

  /** Committed revisions from `fromRevision` on; it must be above the compaction revision. */
  history(fromRevision: Revision): IterableIterator<CommittedRevision> {
    assert(fromRevision > this.compactedRevision, `history from ${fromRevision} is compacted`);
    return this.log.from(fromRevision);
  }

  /** The key index in key order, for snapshots. Callers must not modify the histories. */
  keyHistories(): (readonly [string, KeyHistory])[] {
    return this.index.entries();
  }

  private header(): { readonly revision: Revision } {
    if (this.currentHeader.revision !== this.currentRevision)
      this.currentHeader = { revision: this.currentRevision };
    return this.currentHeader;
  }

  private awaitCompaction(history: KeyHistory): void {
    if (history.awaitingCompaction) return;
    history.awaitingCompaction = true;
    this.uncompacted.push(history);
  }

  private error(reason: StoreErrorReason): StoreError {
    if (reason === 'compacted') {
      return {
        kind: 'error',
        reason,
        header: this.header(),
        compactRevision: this.compactedRevision,
      };
    }
    return { kind: 'error', reason, header: this.header() };
  }

  private checkRequestState(op: TxnRequestOp): StoreErrorReason | null {
    switch (op.kind) {
      case 'put':
        return this.checkPutState(op);
      case 'range':
        return this.checkRangeRevision(op);
      case 'delete-range':
        return null;
      default:
        return assertNever(op, 'txn request');
    }
  }

  private checkPutState(op: PutOp): StoreErrorReason | null {
    const needsPrevious = op.ignoreValue === true || op.ignoreLease === true;
    if (needsPrevious && (this.index.get(op.key)?.latest() ?? null) === null)
      return 'key-not-found';
    const lease = op.lease ?? NO_LEASE;
    if (lease !== NO_LEASE && !this.leaseTable.has(lease)) return 'lease-not-found';
    return null;
  }

  /** etcd rangeKeys: reading at the compaction revision itself is allowed. */
  private checkRangeRevision(op: RangeOp): StoreErrorReason | null {
    const rev = op.revision ?? 0;
    if (rev <= 0) return null;
    if (rev > this.currentRevision) return 'future-revision';
    if (rev < this.compactedRevision) return 'compacted';
    return null;
  }

  /**
   * Runs `body` as one write txn: its changes share the next revision, which is committed only
   * if there is at least one change. `body` returns a function that builds the result from the
   * final header.
   */
  private write<R>(body: (batch: WriteBatch) => (header: { readonly revision: Revision }) => R): R {
    const batch: WriteBatch = { beginRevision: this.currentRevision, events: [] };
    const finish = body(batch);
    this.commit(batch);
    return finish(this.header());
  }

  /** Ends a write txn: its changes, if any, become the next revision. */
  private commit(batch: WriteBatch): void {
    if (batch.events.length === 0) return;
    this.currentRevision = revision(batch.beginRevision + 1);
    const committed: CommittedRevision = { revision: this.currentRevision, events: batch.events };
    this.log.append(committed);
    this.onCommit?.(committed);
  }

  private applyTxnRequest(batch: WriteBatch, op: TxnRequestOp): TxnResponse {
    switch (op.kind) {
      case 'put': {
        const prev = this.putKey(batch, op);
        const header = batchHeader(batch);
        return op.prevKv === true && prev !== null
          ? { kind: 'put', header, prevKv: prev }
          : { kind: 'put', header };
      }
      case 'delete-range':
        return this.applyDeleteRange(batch, op)(batchHeader(batch));
      case 'range':
        return this.readRange(op, batchHeader(batch).revision);
      default:
        return assertNever(op, 'txn request');
    }
  }

  /** Writes the put into the index and the batch; returns the previous live value. */
  private putKey(batch: WriteBatch, op: PutOp): KeyValue | null {
    const history = this.index.get(op.key);
    const prev = history?.latest() ?? null;
    const rev = revision(batch.beginRevision + 1);
    const kv: KeyValue = {
      key: op.key,
      value: op.ignoreValue === true ? prev!.value : op.value,
      createRevision: prev?.createRevision ?? rev,
      modRevision: rev,
      version: (prev?.version ?? 0) + 1,
      lease: op.ignoreLease === true ? prev!.lease : (op.lease ?? NO_LEASE),
    };
    const sub = batch.events.length;
    let written = history;
    if (written === undefined) {
      written = KeyHistory.created(kv, sub);
      this.index.add(op.key, written);
    } else {
      written.put(kv, sub);
    }
    this.moveLease(op.key, prev?.lease ?? NO_LEASE, kv.lease);
    this.awaitCompaction(written);
    addEvent(batch, prev === null ? { type: 'PUT', kv } : { type: 'PUT', kv, prevKv: prev });
    return prev;
  }

  private applyDeleteRange(
    batch: WriteBatch,
    op: DeleteRangeOp,
  ): (header: { readonly revision: Revision }) => DeleteRangeResult {
    const live: [string, KeyHistory, KeyValue][] = [];
    this.index.forEachInSpan(keySpan(op.key, op.rangeEnd), (key, history) => {
      const kv = history.latest();
      if (kv !== null) live.push([key, history, kv]);
    });
    for (const [key, history] of live) this.deleteKey(batch, key, history);
    const deleted = live.length;
    if (op.prevKv !== true) return (header) => ({ kind: 'delete-range', header, deleted });
    const prevKvs = live.map(([, , kv]) => kv);
    return (header) => ({ kind: 'delete-range', header, deleted, prevKvs });
  }

  private deleteKey(batch: WriteBatch, key: string, history: KeyHistory): void {
    const prev = history.latest();
    assert(prev !== null, `delete of deleted key ${key}`);
    const rev = revision(batch.beginRevision + 1);
    history.delete(rev, batch.events.length);
    this.moveLease(key, prev.lease, NO_LEASE);
    this.awaitCompaction(history);
    addEvent(batch, { type: 'DELETE', kv: tombstoneKv(key, rev), prevKv: prev });
  }

  private moveLease(key: string, from: LeaseId, to: LeaseId): void {
    if (from === to) return;
    if (from !== NO_LEASE) this.leaseTable.detach(from, key);
    if (to !== NO_LEASE) this.leaseTable.attach(to, key);
  }

  /**
   * `latestRevision` is the newest revision the index holds (inside a write txn, the txn's own
   * revision once it has written); reads at or above it take each key's latest version.
   */
  private readRange(op: RangeOp, latestRevision: Revision): RangeResult {
    const requested = op.revision ?? 0;
    const atLatest = requested <= 0 || requested >= latestRevision;
    assert(
      op.limit === undefined || Number.isSafeInteger(op.limit),
      `range limit ${op.limit} is not an integer`,
    );
    const limit = op.limit !== undefined && op.limit > 0 ? op.limit : Infinity;
    if (op.rangeEnd === undefined || op.rangeEnd === '') {
      return this.readKey(op, atLatest ? undefined : revision(requested), latestRevision);
    }
    const kvs: KeyValue[] = [];
    let count = 0;
    const collect = op.countOnly !== true;
    const at = revision(requested);
    this.index.forEachInSpan(keySpan(op.key, op.rangeEnd), (_key, history) => {
      const kv = atLatest ? history.latest() : history.at(at);
      if (kv === null) return;
      count++;
      if (collect && kvs.length < limit) kvs.push(op.keysOnly === true ? { ...kv, value: '' } : kv);
    });
    const more = op.countOnly !== true && count > kvs.length;
    return { kind: 'range', header: { revision: latestRevision }, kvs, count, more };
  }

  /**
   * `readRange` of a single key (every get), without a span and a visitor: at `at`, or the
   * latest version when `at` is undefined. A limit cannot cut one key short.
   */
  private readKey(op: RangeOp, at: Revision | undefined, latestRevision: Revision): RangeResult {
    const history = this.index.get(op.key);
    const kv = history === undefined ? null : at === undefined ? history.latest() : history.at(at);
    const header = { revision: latestRevision };
    if (kv === null) return { kind: 'range', header, kvs: [], count: 0, more: false };
    const kvs = op.countOnly === true ? [] : [op.keysOnly === true ? { ...kv, value: '' } : kv];
    return { kind: 'range', header, kvs, count: 1, more: false };
  }
}

/** The header a nested txn response carries: the begin revision until the txn first writes. */
function batchHeader(batch: WriteBatch): { readonly revision: Revision } {
  return { revision: revision(batch.beginRevision + (batch.events.length > 0 ? 1 : 0)) };
}

export function tombstoneKv(key: string, rev: Revision): KeyValue {
  return {
    key,
    value: '',
    createRevision: revision(0),
    modRevision: rev,
    version: 0,
    lease: NO_LEASE,
  };
}

/**
 * Re-derives the changes of every revision above the compaction point from the key index:
 * compaction keeps every version above it and, per live generation, the last one at or below
 * it — exactly the prevKv any later change needs.
 */
function rebuildLog(parts: MvccSnapshotParts): CommittedRevision[] {
  const byRevision = new Map<number, { sub: number; event: WatchEvent }[]>();
  const add = (rev: Revision, sub: number, event: WatchEvent): void => {
    if (rev <= parts.compactRevision) return;
    const changes = byRevision.get(rev) ?? [];
    changes.push({ sub, event });
    byRevision.set(rev, changes);
  };
  for (const [key, history] of parts.keys) {
    for (const gen of history.generations()) {
      gen.kvs.forEach((kv, i) => {
        const prevKv = gen.kvs[i - 1];
        add(
          kv.modRevision,
          gen.subs[i]!,
          prevKv === undefined ? { type: 'PUT', kv } : { type: 'PUT', kv, prevKv },
        );
      });
      if (gen.tombstone !== null) {
        const prevKv = gen.kvs[gen.kvs.length - 1]!;
        add(gen.tombstone.revision, gen.tombstone.sub, {
          type: 'DELETE',
          kv: tombstoneKv(key, gen.tombstone.revision),
          prevKv,
        });
      }
    }
  }
  const log: CommittedRevision[] = [];
  const first = Math.max(parts.compactRevision, INITIAL_REVISION) + 1;
  for (let rev = first; rev <= parts.revision; rev++) {
    const changes = byRevision.get(rev);
    assert(changes !== undefined, `snapshot: revision ${rev} has no changes`);
    changes.sort((a, b) => a.sub - b.sub);
    changes.forEach(({ sub }, i) =>
      assert(sub === i, `snapshot: revision ${rev} has sub-revision gaps`),
    );
    log.push({ revision: revision(rev), events: changes.map(({ event }) => event) });
  }
  assert(byRevision.size === log.length, 'snapshot: changes above the current revision');
  return log;
}
