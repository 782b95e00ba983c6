/**
 * Plain-data vocabulary of the MVCC key-value store: the ops that travel in Raft log entries and
 * the results `apply` returns. Everything here is JSON-serialisable (no classes, no Maps), so an
 * op can be encoded into a log entry and a result can be compared structurally.
 *
 * Semantics follow etcd v3 (api/etcdserverpb/rpc.proto, server/storage/mvcc/kvstore_txn.go);
 * deviations are documented where the field is declared.
 */

declare const revisionBrand: unique symbol;
declare const leaseIdBrand: unique symbol;
declare const watchIdBrand: unique symbol;

/** A store revision. An empty store is at revision 1; the first write creates revision 2. */
export type Revision = number & { readonly [revisionBrand]: 'Revision' };
/** A lease id; `NO_LEASE` (0) means "no lease attached". */
export type LeaseId = number & { readonly [leaseIdBrand]: 'LeaseId' };
/** A watcher id, unique within one watch hub. */
export type WatchId = number & { readonly [watchIdBrand]: 'WatchId' };

export function revision(n: number): Revision {
  return n as Revision;
}
export function leaseId(n: number): LeaseId {
  return n as LeaseId;
}
export function watchId(n: number): WatchId {
  return n as WatchId;
}

export const NO_LEASE: LeaseId = leaseId(0);
/** Revision of an empty store (etcd starts `currentRev` at 1). */
export const INITIAL_REVISION: Revision = revision(1);
/** Compaction revision of a store that was never compacted. */
export const NO_COMPACTION: Revision = revision(0);

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Revision of the put that started this key's current generation. 0 in DELETE events. */
  readonly createRevision: Revision;
  /** Revision of the last write to the key. */
  readonly modRevision: Revision;
  /** Number of puts in the current generation (1 after creation). 0 in DELETE events. */
  readonly version: number;
  readonly lease: LeaseId;
}

/**
 * Range end, etcd style: omitted or '' = the single key; '\0' = every key >= key; otherwise the
 * half-open interval [key, rangeEnd). Keys order by UTF-16 code units (JS `<`), which equals
 * etcd's byte order for every string without astral-plane characters (all Kubernetes keys).
 */
export const FROM_KEY = '\0';

export interface PutOp {
  readonly kind: 'put';
  readonly key: string;
  /** Must be '' when `ignoreValue` is set. */
  readonly value: string;
  readonly lease?: LeaseId;
  /** Return the key-value pair before the put. */
  readonly prevKv?: boolean;
  /** Keep the current value (the key must exist). */
  readonly ignoreValue?: boolean;
  /** Keep the current lease (the key must exist). */
  readonly ignoreLease?: boolean;
}

export interface RangeOp {
  readonly kind: 'range';
  readonly key: string;
  readonly rangeEnd?: string;
  /** Maximum number of kvs returned; 0 or omitted = no limit. `count` is always the total. */
  readonly limit?: number;
  /** Read at this revision; 0 or omitted = current. */
  readonly revision?: Revision;
  readonly countOnly?: boolean;
  readonly keysOnly?: boolean;
}

export interface DeleteRangeOp {
  readonly kind: 'delete-range';
  readonly key: string;
  readonly rangeEnd?: string;
  readonly prevKv?: boolean;
}

export type CompareResult = '=' | '!=' | '<' | '>';

/**
 * A Txn guard on one key, evaluated against the state before the txn. For a missing key the
 * numeric targets read 0 and a 'value' compare is always false (etcd applyCompare).
 */
export type Compare =
  | {
      readonly target: 'value';
      readonly key: string;
      readonly result: CompareResult;
      readonly value: string;
    }
  | {
      readonly target: 'version';
      readonly key: string;
      readonly result: CompareResult;
      readonly value: number;
    }
  | {
      readonly target: 'create' | 'mod';
      readonly key: string;
      readonly result: CompareResult;
      readonly value: Revision;
    }
  | {
      readonly target: 'lease';
      readonly key: string;
      readonly result: CompareResult;
      readonly value: LeaseId;
    };

/** Ops allowed inside a Txn branch (etcd also allows nested txns; we do not need them). */
export type TxnRequestOp = PutOp | RangeOp | DeleteRangeOp;

export interface TxnOp {
  readonly kind: 'txn';
  readonly compare: readonly Compare[];
  readonly success: readonly TxnRequestOp[];
  readonly failure: readonly TxnRequestOp[];
}

/** Drop history below `revision`; the view at `revision` itself stays readable. */
export interface CompactOp {
  readonly kind: 'compact';
  readonly revision: Revision;
}

/**
 * The leader chooses the id (etcd's lessor picks a random one when the client passes 0) and
 * owns expiry: it proposes LeaseRevoke when the TTL runs out, so the replicated state only
 * records which leases exist and which keys they hold.
 */
export interface LeaseGrantOp {
  readonly kind: 'lease-grant';
  readonly id: LeaseId;
  readonly ttlSeconds: number;
}

export interface LeaseRevokeOp {
  readonly kind: 'lease-revoke';
  readonly id: LeaseId;
}

export type Op = PutOp | RangeOp | DeleteRangeOp | TxnOp | CompactOp | LeaseGrantOp | LeaseRevokeOp;

/** `revision` is the store revision after the op (etcd ResponseHeader.revision). */
export interface ResponseHeader {
  readonly revision: Revision;
}

export interface PutResult {
  readonly kind: 'put';
  readonly header: ResponseHeader;
  readonly prevKv?: KeyValue;
}

export interface RangeResult {
  readonly kind: 'range';
  readonly header: ResponseHeader;
  readonly kvs: readonly KeyValue[];
  /** Number of keys in the range, regardless of `limit`. */
  readonly count: number;
  /** True when `limit` cut the result short. */
  readonly more: boolean;
}

export interface DeleteRangeResult {
  readonly kind: 'delete-range';
  readonly header: ResponseHeader;
  readonly deleted: number;
  readonly prevKvs?: readonly KeyValue[];
}

export type TxnResponse = PutResult | RangeResult | DeleteRangeResult;

export interface TxnResult {
  readonly kind: 'txn';
  readonly header: ResponseHeader;
  readonly succeeded: boolean;
  /**
   * One response per op of the chosen branch. As in etcd, each nested header carries the
   * revision as of that op: the txn's begin revision until its first write, then begin + 1.
   */
  readonly responses: readonly TxnResponse[];
}

export interface CompactResult {
  readonly kind: 'compact';
  readonly header: ResponseHeader;
}

export interface LeaseGrantResult {
  readonly kind: 'lease-grant';
  readonly header: ResponseHeader;
  readonly id: LeaseId;
  readonly ttlSeconds: number;
}

export interface LeaseRevokeResult {
  readonly kind: 'lease-revoke';
  readonly header: ResponseHeader;
}

/** Named limits (TigerBeetle style: every unbounded input gets one). */
export interface StoreLimits {
  /** Max compares, and max ops per branch, in one Txn (etcd --max-txn-ops default 128). */
  readonly maxTxnOps: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { maxTxnOps: 128 };

/** etcd's MaxLeaseTTL (server/lease/lessor.go): about 285 years. */
export const MAX_LEASE_TTL_SECONDS = 9_000_000_000;

/**
 * Expected failures, returned as values. Each maps to one etcd error:
 * - 'empty-key': ErrGRPCEmptyKey (a put/range/delete/watch without a key).
 * - 'compacted': ErrCompacted (read below the compaction revision; compact at or below it;
 *   watch from at or below it).
 * - 'future-revision': ErrFutureRev (read or compact above the current revision).
 * - 'key-not-found': ErrKeyNotFound (ignoreValue/ignoreLease on a missing key).
 * - 'value-provided' / 'lease-provided': ignoreValue with a value / ignoreLease with a lease.
 * - 'lease-not-found': put with, or revoke of, an unknown lease.
 * - 'lease-exists': grant of an id already granted.
 * - 'invalid-lease': grant with an id that is not a positive safe integer, or a TTL that is not
 *   an integer in [1, MAX_LEASE_TTL_SECONDS].
 * - 'too-many-ops': more than `maxTxnOps` compares or ops in one branch.
 * - 'duplicate-key-in-txn': a branch puts one key twice, or puts a key it also deletes.
 */
export type StoreErrorReason =
  | 'empty-key'
  | 'compacted'
  | 'future-revision'
  | 'key-not-found'
  | 'value-provided'
  | 'lease-provided'
  | 'lease-not-found'
  | 'lease-exists'
  | 'invalid-lease'
  | 'too-many-ops'
  | 'duplicate-key-in-txn';

export interface StoreError {
  readonly kind: 'error';
  readonly reason: StoreErrorReason;
  /** Current store revision (nothing was written). */
  readonly header: ResponseHeader;
  /** Set when reason is 'compacted'. */
  readonly compactRevision?: Revision;
}

export type Result =
  | PutResult
  | RangeResult
  | DeleteRangeResult
  | TxnResult
  | CompactResult
  | LeaseGrantResult
  | LeaseRevokeResult
  | StoreError;

export interface ResultByKind {
  readonly put: PutResult;
  readonly range: RangeResult;
  readonly 'delete-range': DeleteRangeResult;
  readonly txn: TxnResult;
  readonly compact: CompactResult;
  readonly 'lease-grant': LeaseGrantResult;
  readonly 'lease-revoke': LeaseRevokeResult;
}

/** The result type of one op kind: its success shape or an error. */
export type ResultOf<O extends Op> = ResultByKind[O['kind']] | StoreError;

export type EventType = 'PUT' | 'DELETE';

/**
 * One change. A DELETE's `kv` is a tombstone as in etcd: key and modRevision set, value '',
 * createRevision/version/lease 0.
 */
export interface WatchEvent {
  readonly type: EventType;
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

/** All changes of one write revision, in sub-revision order. */
export interface CommittedRevision {
  readonly revision: Revision;
  readonly events: readonly WatchEvent[];
}

export interface LeaseInfo {
  readonly id: LeaseId;
  readonly ttlSeconds: number;
  /** Attached keys, sorted. */
  readonly keys: readonly string[];
}

export interface WatchRequest {
  readonly key: string;
  readonly rangeEnd?: string;
  /**
   * First revision to deliver. 0 or omitted = the next revision (only new changes). A past
   * revision replays history first; it must be above the compaction revision. A future one
   * waits for that revision.
   */
  readonly startRevision?: Revision;
  /** Attach the previous key-value to each event. */
  readonly prevKv?: boolean;
  /** Include this watcher in `progress()` calls without ids (etcd's progress_notify). */
  readonly progressNotify?: boolean;
}

export type WatchCreateResult =
  { readonly kind: 'created'; readonly watchId: WatchId } | StoreError;

/** One watcher's changes of one revision. */
export interface WatchResponse {
  readonly watchId: WatchId;
  readonly revision: Revision;
  readonly events: readonly WatchEvent[];
}

/** Tells a caught-up watcher that it has seen every change up to `revision`. */
export interface ProgressNotification {
  readonly watchId: WatchId;
  readonly revision: Revision;
}
