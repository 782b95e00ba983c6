/**
 * A sequential specification of the store, for linearizability checking (Wing & Gong /
 * Porcupine: try orderings of concurrent operations and accept a history when some ordering
 * replays through `step` with the observed results) and for differential tests against the
 * MVCC implementation.
 *
 * Deliberately naive and written without reusing the store's code: an immutable Map of live
 * keys plus counters, copied on every write. It keeps no history, so it answers reads at the
 * current revision only (reads at an older, uncompacted revision are outside the model).
 *
 * Check order, mirrored from the store: op shape (counts, empty key, ignore* fields,
 * duplicates), then state (revision bounds, key-not-found, lease-not-found) per branch op.
 */
import { assert, assertNever } from '../util/assert.ts';
import {
  FROM_KEY,
  MAX_LEASE_TTL_SECONDS,
  DEFAULT_STORE_LIMITS,
  revision,
  type Compare,
  type KeyValue,
  type LeaseId,
  type Op,
  type PutOp,
  type RangeOp,
  type DeleteRangeOp,
  type Result,
  type Revision,
  type StoreErrorReason,
  type StoreLimits,
  type TxnOp,
  type TxnRequestOp,
  type TxnResponse,
} from './types.ts';

export interface ModelState {
  readonly revision: Revision;
  readonly compactRevision: Revision;
  /** Live keys only. Lease attachment is each kv's `lease` field. */
  readonly kvs: ReadonlyMap<string, KeyValue>;
  /** Granted leases: id -> ttlSeconds. */
  readonly leases: ReadonlyMap<LeaseId, number>;
}

export const initialModelState: ModelState = {
  revision: revision(1),
  compactRevision: revision(0),
  kvs: new Map(),
  leases: new Map(),
};

/** Applies one op; never mutates `state`. */
export function step(
  state: ModelState,
  op: Op,
  limits: StoreLimits = DEFAULT_STORE_LIMITS,
): [ModelState, Result] {
  switch (op.kind) {
    case 'put':
    case 'range':
    case 'delete-range':
      return runTxn(state, { kind: 'txn', compare: [], success: [op], failure: [] }, limits, true);
    case 'txn':
      return runTxn(state, op, limits, false);
    case 'compact':
      if (op.revision <= state.compactRevision) return [state, failure(state, 'compacted')];
      if (op.revision > state.revision) return [state, failure(state, 'future-revision')];
      return [
        { ...state, compactRevision: op.revision },
        { kind: 'compact', header: { revision: state.revision } },
      ];
    case 'lease-grant': {
      const ok =
        Number.isSafeInteger(op.id) &&
        op.id > 0 &&
        Number.isInteger(op.ttlSeconds) &&
        op.ttlSeconds >= 1 &&
        op.ttlSeconds <= MAX_LEASE_TTL_SECONDS;
      if (!ok) return [state, failure(state, 'invalid-lease')];
      if (state.leases.has(op.id)) return [state, failure(state, 'lease-exists')];
      const leases = new Map(state.leases).set(op.id, op.ttlSeconds);
      const header = { revision: state.revision };
      return [
        { ...state, leases },
        { kind: 'lease-grant', header, id: op.id, ttlSeconds: op.ttlSeconds },
      ];
    }
    case 'lease-revoke': {
      if (!state.leases.has(op.id)) return [state, failure(state, 'lease-not-found')];
      const held = [...state.kvs.values()].filter((kv) => kv.lease === op.id).map((kv) => kv.key);
      const kvs = new Map(state.kvs);
      for (const key of held) kvs.delete(key);
      const leases = new Map(state.leases);
      leases.delete(op.id);
      const rev = revision(state.revision + (held.length > 0 ? 1 : 0));
      return [
        { ...state, revision: rev, kvs, leases },
        { kind: 'lease-revoke', header: { revision: rev } },
      ];
    }
    default:
      return assertNever(op, 'op');
  }
}

/** A canonical string of the state: equal states, equal strings (for memoising checkers). */
export function modelStateKey(state: ModelState): string {
  const kvs = [...state.kvs.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  const leases = [...state.leases].sort((a, b) => a[0] - b[0]);
  return JSON.stringify([state.revision, state.compactRevision, kvs, leases]);
}

/** The Porcupine-style model: init, step, and a state key for equality. */
export const kvModel = {
  init: (): ModelState => initialModelState,
  step,
  stateKey: modelStateKey,
} as const;

interface Draft {
  readonly state: ModelState;
  readonly kvs: Map<string, KeyValue>;
  wrote: boolean;
}

/** A single put/range/delete is a one-op txn whose response is unwrapped. */
function runTxn(
  state: ModelState,
  op: TxnOp,
  limits: StoreLimits,
  single: boolean,
): [ModelState, Result] {
  const shape = txnShapeError(op, single ? { maxTxnOps: Infinity } : limits);
  if (shape !== null) return [state, failure(state, shape)];
  const succeeded = op.compare.every((cmp) => compareOk(cmp, state.kvs.get(cmp.key)));
  const branch = succeeded ? op.success : op.failure;
  for (const request of branch) {
    const reason = stateError(state, request);
    if (reason !== null) return [state, failure(state, reason)];
  }
  const draft: Draft = { state, kvs: new Map(state.kvs), wrote: false };
  const responses = branch.map((request) => runRequest(draft, request));
  const rev = revision(state.revision + (draft.wrote ? 1 : 0));
  const next: ModelState = draft.wrote ? { ...state, revision: rev, kvs: draft.kvs } : state;
  if (single) {
    const only = responses[0];
    assert(only !== undefined, 'single op txn without response');
    return [next, only];
  }
  return [next, { kind: 'txn', header: { revision: rev }, succeeded, responses }];
}

function runRequest(draft: Draft, op: TxnRequestOp): TxnResponse {
  switch (op.kind) {
    case 'put':
      return runPut(draft, op);
    case 'range':
      return runRange(draft, op);
    case 'delete-range':
      return runDelete(draft, op);
    default:
      return assertNever(op, 'request');
  }
}

function runPut(draft: Draft, op: PutOp): TxnResponse {
  const prev = draft.kvs.get(op.key);
  const rev = revision(draft.state.revision + 1);
  draft.kvs.set(op.key, {
    key: op.key,
    value: op.ignoreValue === true && prev !== undefined ? prev.value : op.value,
    createRevision: prev === undefined ? rev : prev.createRevision,
    modRevision: rev,
    version: prev === undefined ? 1 : prev.version + 1,
    lease:
      op.ignoreLease === true && prev !== undefined ? prev.lease : (op.lease ?? (0 as LeaseId)),
  });
  draft.wrote = true;
  const header = { revision: rev };
  return op.prevKv === true && prev !== undefined
    ? { kind: 'put', header, prevKv: prev }
    : { kind: 'put', header };
}

function runRange(draft: Draft, op: RangeOp): TxnResponse {
  const header = currentHeader(draft);
  const requested = op.revision ?? 0;
  assert(requested <= 0 || requested >= header.revision, 'the model cannot read past revisions');
  const matching = keysIn(draft.kvs, op.key, op.rangeEnd).map((key) => draft.kvs.get(key)!);
  const limit = op.limit !== undefined && op.limit > 0 ? op.limit : matching.length;
  const kvs =
    op.countOnly === true
      ? []
      : matching.slice(0, limit).map((kv) => (op.keysOnly === true ? { ...kv, value: '' } : kv));
  const more = op.countOnly !== true && matching.length > kvs.length;
  return { kind: 'range', header, kvs, count: matching.length, more };
}

function runDelete(draft: Draft, op: DeleteRangeOp): TxnResponse {
  const keys = keysIn(draft.kvs, op.key, op.rangeEnd);
  const prevKvs = keys.map((key) => draft.kvs.get(key)!);
  for (const key of keys) draft.kvs.delete(key);
  if (keys.length > 0) draft.wrote = true;
  const header = currentHeader(draft);
  return op.prevKv === true
    ? { kind: 'delete-range', header, deleted: keys.length, prevKvs }
    : { kind: 'delete-range', header, deleted: keys.length };
}

function currentHeader(draft: Draft): { readonly revision: Revision } {
  return { revision: revision(draft.state.revision + (draft.wrote ? 1 : 0)) };
}

function keysIn(
  kvs: ReadonlyMap<string, KeyValue>,
  key: string,
  rangeEnd: string | undefined,
): string[] {
  const inRange = (k: string): boolean => {
    if (rangeEnd === undefined || rangeEnd === '') return k === key;
    if (rangeEnd === FROM_KEY) return k >= key;
    return k >= key && k < rangeEnd;
  };
  return [...kvs.keys()].filter(inRange).sort((a, b) => (a < b ? -1 : 1));
}

function txnShapeError(op: TxnOp, limits: StoreLimits): StoreErrorReason | null {
  const max = limits.maxTxnOps;
  if (op.compare.length > max || op.success.length > max || op.failure.length > max)
    return 'too-many-ops';
  for (const request of [...op.success, ...op.failure]) {
    if (request.key === '') return 'empty-key';
    if (request.kind === 'put' && request.ignoreValue === true && request.value !== '')
      return 'value-provided';
    if (request.kind === 'put' && request.ignoreLease === true && (request.lease ?? 0) !== 0)
      return 'lease-provided';
  }
  for (const branch of [op.success, op.failure]) {
    const puts = branch.filter((r) => r.kind === 'put').map((r) => r.key);
    if (new Set(puts).size !== puts.length) return 'duplicate-key-in-txn';
    const deletes = branch.filter((r) => r.kind === 'delete-range');
    const covered = (k: string): boolean =>
      deletes.some((d) =>
        d.rangeEnd === undefined || d.rangeEnd === ''
          ? k === d.key
          : k >= d.key && (d.rangeEnd === FROM_KEY || k < d.rangeEnd),
      );
    if (puts.some(covered)) return 'duplicate-key-in-txn';
  }
  return null;
}

function stateError(state: ModelState, op: TxnRequestOp): StoreErrorReason | null {
  if (op.kind === 'range') {
    const rev = op.revision ?? 0;
    if (rev > 0 && rev > state.revision) return 'future-revision';
    if (rev > 0 && rev < state.compactRevision) return 'compacted';
    return null;
  }
  if (op.kind !== 'put') return null;
  if ((op.ignoreValue === true || op.ignoreLease === true) && !state.kvs.has(op.key))
    return 'key-not-found';
  if ((op.lease ?? 0) !== 0 && !state.leases.has(op.lease!)) return 'lease-not-found';
  return null;
}

function compareOk(cmp: Compare, kv: KeyValue | undefined): boolean {
  let actual: string | number;
  switch (cmp.target) {
    case 'value':
      if (kv === undefined) return false;
      actual = kv.value;
      break;
    case 'version':
      actual = kv?.version ?? 0;
      break;
    case 'create':
      actual = kv?.createRevision ?? 0;
      break;
    case 'mod':
      actual = kv?.modRevision ?? 0;
      break;
    case 'lease':
      actual = kv?.lease ?? 0;
      break;
    default:
      return assertNever(cmp, 'compare');
  }
  const expected = cmp.value;
  switch (cmp.result) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<':
      return actual < expected;
    case '>':
      return actual > expected;
    default:
      return assertNever(cmp.result, 'compare result');
  }
}

function failure(state: ModelState, reason: StoreErrorReason): Result {
  const header = { revision: state.revision };
  return reason === 'compacted'
    ? { kind: 'error', reason, header, compactRevision: state.compactRevision }
    : { kind: 'error', reason, header };
}
