/**
 * Linearizability of client histories against the store (issue 3: the Raft-replicated store
 * under faults must look like one correct store to its clients).
 *
 * Two ways to check, because revisions are one counter shared by every key:
 *
 * - 'exact': the whole history as one partition, results compared in full, header revisions,
 *   create/mod revisions and all. This is the definitive check, and the revisions make it cheap
 *   rather than expensive: every acknowledged write carries the revision it created, so writes
 *   can only be linearized in revision order, and every read carries the revision it saw, so it
 *   can only sit between two particular writes. The search therefore rarely backtracks further
 *   than the concurrent unknown-outcome writes; partitioning would buy little and would have to
 *   throw those revisions away.
 * - 'per-key': P-compositional, revisions projected away (kv-per-key.ts). Sound but weaker;
 *   usable only on histories whose inputs do not depend on revisions.
 *
 * 'auto' (default) runs 'exact' and, only if that exceeds its budget, 'per-key' when eligible:
 * a per-key violation is a real violation; a per-key pass leaves the verdict 'unknown'.
 */
import {
  DEFAULT_STORE_LIMITS,
  type Op,
  type Result,
  type StoreLimits,
} from '../../core/store/types.ts';
import type { Operation } from './history.ts';
import { kvCheckModel, readsAtRevision } from './kv-check-model.ts';
import { perKeyEligible, perKeyPartitionKeys, perKeyResultsMatch } from './kv-per-key.ts';
import { checkLinearizable, type CheckResult } from './linearizability.ts';
import { structuralEqual } from './structural-equal.ts';

export type KvOperation = Operation<Op, Result>;
export type KvCheckMode = 'exact' | 'per-key';

export interface KvCheckOptions {
  readonly mode?: KvCheckMode | 'auto';
  readonly maxSteps?: number;
  readonly minimizeMaxSteps?: number;
  /** The limits of the store under test (maxTxnOps decides 'too-many-ops'). */
  readonly limits?: StoreLimits;
}

export type KvCheckResult = CheckResult<Op, Result> & { readonly mode: KvCheckMode };

export function checkKvHistory(
  history: readonly KvOperation[],
  options: KvCheckOptions = {},
): KvCheckResult {
  const mode = options.mode ?? 'auto';
  if (mode === 'per-key') return checkPerKey(history, options);
  const exact = checkExact(history, options);
  if (mode === 'exact' || exact.ok !== 'unknown' || !kvPerKeyEligible(history)) return exact;
  const perKey = checkPerKey(history, options);
  if (perKey.ok === false) return perKey;
  return {
    ok: 'unknown',
    reason: `${exact.reason}; the per-key check (revisions ignored) passed`,
    steps: exact.steps + perKey.steps,
    mode: 'exact',
  };
}

/** Whether the per-key check applies to this history (see kv-per-key.ts). */
export function kvPerKeyEligible(history: readonly KvOperation[]): boolean {
  return history.every((op) => perKeyEligible(op.op));
}

function checkExact(history: readonly KvOperation[], options: KvCheckOptions): KvCheckResult {
  const model = kvCheckModel({
    mode: 'exact',
    observed: history,
    trackPast: history.some((op) => readsAtRevision(op.op)),
    limits: options.limits ?? DEFAULT_STORE_LIMITS,
  });
  const result = checkLinearizable(model, history, {
    resultsMatch: structuralEqual,
    ...budgets(options),
  });
  return { ...result, mode: 'exact' };
}

function checkPerKey(history: readonly KvOperation[], options: KvCheckOptions): KvCheckResult {
  if (!kvPerKeyEligible(history)) {
    const offending = history.find((op) => !perKeyEligible(op.op))!;
    return {
      ok: 'unknown',
      reason: `per-key check not applicable: operation ${offending.id} depends on revisions`,
      steps: 0,
      mode: 'per-key',
    };
  }
  const model = kvCheckModel({
    mode: 'per-key',
    trackPast: false,
    limits: options.limits ?? DEFAULT_STORE_LIMITS,
  });
  const result = checkLinearizable(model, history, {
    resultsMatch: perKeyResultsMatch,
    partitionKeys: perKeyPartitionKeys(history.map((op) => op.op)),
    ...budgets(options),
  });
  return { ...result, mode: 'per-key' };
}

function budgets(options: KvCheckOptions): { maxSteps?: number; minimizeMaxSteps?: number } {
  return {
    ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
    ...(options.minimizeMaxSteps === undefined
      ? {}
      : { minimizeMaxSteps: options.minimizeMaxSteps }),
  };
}
