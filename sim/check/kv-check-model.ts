/**
 * The store's sequential specification (core/store/model.ts) as a checker model, extended with
 * reads at past revisions, which the core model leaves out (it keeps no history) but clients of
 * the real store issue (Kubernetes lists at a resourceVersion are etcd ranges at a revision).
 *
 * With `trackPast`, the state carries a persistent list of the model states of every revision,
 * newest first, so a range at revision r reads the state of revision r. Two linearizations can
 * reach the same current state through different pasts, and past reads can tell them apart, so
 * the state key then also carries a running hash (SHA-1) of the past revisions' keys (a
 * collision could prune an unexplored branch; accepted). Without past reads in
 * the history the past is irrelevant and is not tracked, which keeps memoisation sharper.
 *
 * In exact mode a state's keys enter its key as an incremental digest (kv-digest.ts): a step
 * hashes only the key-values it changed.
 */
import { createHash } from 'node:crypto';
import { initialModelState, step, type ModelState } from '../../core/store/model.ts';
import {
  DEFAULT_STORE_LIMITS,
  revision,
  type Op,
  type RangeOp,
  type RangeResult,
  type Result,
  type Revision,
  type StoreLimits,
  type TxnOp,
  type TxnRequestOp,
  type TxnResponse,
} from '../../core/store/types.ts';
import { assert } from '../../core/util/assert.ts';
import { KvDigests } from './kv-digest.ts';
import { RevisionFacts } from './kv-revision-facts.ts';
import type { LinearizabilityModel } from './linearizability.ts';

interface PastNode {
  readonly state: ModelState;
  readonly older: PastNode | null;
}

export interface KvCheckState {
  readonly current: ModelState;
  /** Head = `current`; null when the past is not tracked. */
  readonly past: PastNode | null;
  /** Hash of the keys of the states of revisions below the current one. */
  readonly pastHash: string;
}

export interface KvCheckModelOptions {
  /**
   * 'exact': states compare in full and observed header revisions bound the search (see
   * `progress` in linearizability.ts). 'per-key': the partition's model numbers revisions on
   * its own, so revisions are neither bounds nor part of the state key (kv-per-key.ts).
   */
  readonly mode: 'exact' | 'per-key';
  readonly trackPast: boolean;
  readonly limits?: StoreLimits;
  /** The completed operations of the history, in exact mode: the source of `revisionFacts`. */
  readonly observed?: readonly { readonly op: Op; readonly result?: Result }[];
}

export function kvCheckModel(
  options: KvCheckModelOptions,
): LinearizabilityModel<KvCheckState, Op, Result> {
  const limits = options.limits ?? DEFAULT_STORE_LIMITS;
  // The search steps from one state many times (one op after another, backtracking), and
  // states are immutable: their keys, and the past hash of the states after them, are computed
  // once per state object (measured: these keys were most of the store-linearizable check).
  // The key-values enter both as a digest that each step updates with the keys it changed (a
  // cluster run's store holds hundreds of keys: writing them all out at each step was most of
  // the check's cost).
  const pastHashes = new WeakMap<KvCheckState, string>();
  const stateKeys = new WeakMap<ModelState, string>();
  const digests = new KvDigests();
  const leasesJson = new WeakMap<ModelState['leases'], string>();
  const leasesKeyOf = (leases: ModelState['leases']): string => {
    let k = leasesJson.get(leases);
    if (k === undefined) {
      k = JSON.stringify([...leases].sort((a, b) => a[0] - b[0]));
      leasesJson.set(leases, k);
    }
    return k;
  };
  const pastHashAfter = (s: KvCheckState): string => {
    let h = pastHashes.get(s);
    if (h === undefined) {
      h = pastHash(s.pastHash, digests.of(s.current.kvs));
      pastHashes.set(s, h);
    }
    return h;
  };
  const currentKey = (state: ModelState): string => {
    let k = stateKeys.get(state);
    if (k === undefined) {
      k =
        options.mode === 'exact'
          ? `[${state.revision},${state.compactRevision},${digests.of(state.kvs)},${leasesKeyOf(state.leases)}]`
          : perKeyStateKey(state);
      stateKeys.set(state, k);
    }
    return k;
  };
  const advance = (s: KvCheckState, next: ModelState): KvCheckState => {
    if (!options.trackPast) return { current: next, past: null, pastHash: '' };
    assert(s.past !== null, 'tracked past without a head');
    if (next.revision === s.current.revision) {
      // Same revision (compaction, leases): the keys of this revision did not change.
      return { current: next, past: { state: next, older: s.past.older }, pastHash: s.pastHash };
    }
    // Keys only: past reads see a past revision's keys; compaction and leases are current state,
    // and hashing them would keep apart pasts that differ only in when a lease was granted.
    return { current: next, past: { state: next, older: s.past }, pastHash: pastHashAfter(s) };
  };
  return {
    init: () => ({
      current: initialModelState,
      past: options.trackPast ? { state: initialModelState, older: null } : null,
      pastHash: '',
    }),
    step: (s, op) => {
      const [next, result] = apply(s, op, limits);
      if (next === s.current) return [s, result];
      if (options.mode === 'exact') digests.derived(next.kvs, s.current.kvs);
      return [advance(s, next), result];
    },
    stateKey: (s) => {
      const key = currentKey(s.current);
      return options.trackPast ? `${key}#${s.pastHash}` : key;
    },
    readOnly: isReadOnly,
    ...(options.mode === 'exact' ? exactPruning(options.observed ?? []) : {}),
  };
}

function exactPruning(
  observed: NonNullable<KvCheckModelOptions['observed']>,
): Partial<LinearizabilityModel<KvCheckState, Op, Result>> {
  const facts = new RevisionFacts(observed);
  return {
    progress: revisionProgress,
    admissible: (s) => facts.holds(s.current.revision, s.current.kvs),
  };
}

/**
 * Every result carries the store revision after the op (errors and reads: the revision they
 * saw), which is never below the revision before it.
 */
const revisionProgress = {
  of: (s: KvCheckState): number => s.current.revision,
  bound: (_op: Op, observed: Result): number => observed.header.revision,
};

/** The running hash of the past: the one before, and the digest of a past revision's keys. */
function pastHash(before: string, kvsDigest: string): string {
  return createHash('sha1').update(before).update(kvsDigest).digest('base64');
}

/**
 * The state as far as per-key observations can tell: values, versions, leases. Sound as a memo
 * key because per-key histories have no revision-dependent inputs (kv-per-key.ts).
 */
function perKeyStateKey(state: ModelState): string {
  const kvs = [...state.kvs.values()]
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((kv) => [kv.key, kv.value, kv.version, kv.lease]);
  const leases = [...state.leases].sort((a, b) => a[0] - b[0]);
  return JSON.stringify([kvs, leases]);
}

/** Whether some range in `op` reads at an explicit revision. */
export function readsAtRevision(op: Op): boolean {
  const explicit = (r: TxnRequestOp): boolean => r.kind === 'range' && (r.revision ?? 0) > 0;
  if (op.kind === 'range') return explicit(op);
  if (op.kind === 'txn') return op.success.some(explicit) || op.failure.some(explicit);
  return false;
}

/** Whether the op, or the op given that it produced `observed`, leaves the store unchanged. */
function isReadOnly(op: Op, observed?: Result): boolean {
  if (op.kind === 'range' || observed?.kind === 'error') return true;
  if (op.kind === 'delete-range' && observed?.kind === 'delete-range')
    return observed.deleted === 0;
  if (op.kind !== 'txn') return false;
  if (observed?.kind === 'txn') {
    return observed.responses.every(
      (r) => r.kind === 'range' || (r.kind === 'delete-range' && r.deleted === 0),
    );
  }
  return op.success.every((r) => r.kind === 'range') && op.failure.every((r) => r.kind === 'range');
}

function apply(s: KvCheckState, op: Op, limits: StoreLimits): [ModelState, Result] {
  const current = s.current;
  if (op.kind === 'range' && readablePast(current, op.revision, false)) {
    const [, result] = step(stateAt(s, op.revision!), { ...op, revision: revision(0) }, limits);
    return [current, { ...result, header: { revision: current.revision } }];
  }
  if (op.kind === 'txn' && readsAtRevision(op)) return applyTxnWithPastReads(s, op, limits);
  return step(current, op, limits);
}

/**
 * A past revision the core model cannot read but the store can: at or above the compaction
 * revision and below the current one (nested: up to the current one, because a nested range
 * after a write of the same txn would otherwise see that write).
 */
function readablePast(state: ModelState, rev: Revision | undefined, nested: boolean): boolean {
  if (rev === undefined || rev <= 0 || rev < state.compactRevision) return false;
  return nested ? rev <= state.revision : rev < state.revision;
}

/**
 * Runs the txn with its past reads turned into current reads (same validation, same headers),
 * then replaces their data with a read of the past state.
 */
function applyTxnWithPastReads(
  s: KvCheckState,
  op: TxnOp,
  limits: StoreLimits,
): [ModelState, Result] {
  const current = s.current;
  const rewrite = (r: TxnRequestOp): TxnRequestOp =>
    r.kind === 'range' && readablePast(current, r.revision, true)
      ? { ...r, revision: revision(0) }
      : r;
  const rewritten: TxnOp = {
    ...op,
    success: op.success.map(rewrite),
    failure: op.failure.map(rewrite),
  };
  const [next, result] = step(current, rewritten, limits);
  if (result.kind !== 'txn') return [next, result];
  const branch = result.succeeded ? op.success : op.failure;
  const responses = result.responses.map((response, i): TxnResponse => {
    const request = branch[i];
    assert(request !== undefined, 'txn response without request');
    if (request.kind !== 'range' || !readablePast(current, request.revision, true)) return response;
    assert(response.kind === 'range', 'range request without range response');
    const past = readPast(s, request);
    return { ...response, kvs: past.kvs, count: past.count, more: past.more };
  });
  return [next, { ...result, responses }];
}

function readPast(s: KvCheckState, op: RangeOp): RangeResult {
  const [, result] = step(stateAt(s, op.revision!), { ...op, revision: revision(0) });
  assert(result.kind === 'range', `past read failed: ${JSON.stringify(result)}`);
  return result;
}

function stateAt(s: KvCheckState, rev: Revision): ModelState {
  assert(s.past !== null, 'a read at a past revision needs trackPast');
  for (let node: PastNode | null = s.past; node !== null; node = node.older) {
    if (node.state.revision <= rev) return node.state;
  }
  return initialModelState;
}
