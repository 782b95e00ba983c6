/**
 * Checks that need no state, run before anything is read or written (etcd v3_server.go
 * checkTxnRequest / checkRequestOp / checkIntervals). Order matters when several apply, and is
 * part of the contract the model mirrors: op counts, then each op's fields (compares, success,
 * failure), then duplicate keys (success, then failure).
 */
import { keySpan, spanContains, type KeySpan } from './key-range.ts';
import type { StoreErrorReason, StoreLimits, TxnOp, TxnRequestOp } from './types.ts';

export function checkRequest(op: TxnRequestOp): StoreErrorReason | null {
  if (op.key === '') return 'empty-key';
  if (op.kind !== 'put') return null;
  if (op.ignoreValue === true && op.value !== '') return 'value-provided';
  if (op.ignoreLease === true && (op.lease ?? 0) !== 0) return 'lease-provided';
  return null;
}

export function checkTxn(op: TxnOp, limits: StoreLimits): StoreErrorReason | null {
  const { maxTxnOps } = limits;
  if (
    op.compare.length > maxTxnOps ||
    op.success.length > maxTxnOps ||
    op.failure.length > maxTxnOps
  ) {
    return 'too-many-ops';
  }
  const reason = checkRequests(op.success) ?? checkRequests(op.failure);
  if (reason !== null) return reason;
  if (hasDuplicateKeys(op.success) || hasDuplicateKeys(op.failure)) return 'duplicate-key-in-txn';
  return null;
}

/** The first failing `checkRequest` of `ops`, in order. */
function checkRequests(ops: readonly TxnRequestOp[]): StoreErrorReason | null {
  for (let i = 0; i < ops.length; i++) {
    const reason = checkRequest(ops[i]!);
    if (reason !== null) return reason;
  }
  return null;
}

/**
 * A branch may not put one key twice, nor put a key that one of its deletes covers, since the
 * txn writes everything at one revision (etcd ErrGRPCDuplicateKey). Overlapping deletes are fine.
 * O(puts × deletes), bounded by maxTxnOps².
 */
function hasDuplicateKeys(ops: readonly TxnRequestOp[]): boolean {
  // Nearly every txn's branch is one op, which cannot clash with itself: no Set to build.
  if (ops.length < 2) return false;
  const puts = new Set<string>();
  const deletes: KeySpan[] = [];
  for (const op of ops) {
    if (op.kind === 'put') {
      if (puts.has(op.key)) return true;
      puts.add(op.key);
    } else if (op.kind === 'delete-range') {
      deletes.push(keySpan(op.key, op.rangeEnd));
    }
  }
  for (const key of puts) if (deletes.some((span) => spanContains(span, key))) return true;
  return false;
}
