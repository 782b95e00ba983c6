/**
 * The store seen as a product of independent per-key objects, for P-compositional checking.
 *
 * The store is not such a product as it stands: revisions (header revisions, createRevision,
 * modRevision) are one counter shared by all keys, so a per-key sub-history replayed through the
 * model gets different revision numbers than the real run. What *is* per key is everything else
 * a client observes: values, versions, leases, existence, counts, deleted counts, whether a txn's
 * compares held (for value/version/lease compares), errors. So the per-key check
 *   - projects results onto those per-key observables (`projectResult`), and
 *   - applies only to histories whose inputs do not depend on the shared counter
 *     (`perKeyEligible`: no mod/create compares, no reads at a revision, no compaction).
 * Leases tie keys together (revoking a lease deletes its keys), so a lease is a pseudo-key that
 * joins every key ever put with it. A range or delete-range joins every key it covers among the
 * keys the history ever puts: a key never put can never be returned, and a partition model
 * returns nothing for it either, so a fabricated key is still a mismatch.
 *
 * Sound (a real linearization restricted to one partition, projected, is a linearization of
 * that partition) but weaker than the exact check: violations visible only through revisions
 * (a read with a stale header revision, writes whose revisions contradict real time across keys)
 * pass. kv-linearizability.ts uses it as a cheaper fallback.
 */
import { keySpan, spanContains } from '../../core/store/key-range.ts';
import type { KeyValue, Op, Result, TxnRequestOp, TxnResponse } from '../../core/store/types.ts';
import { assertNever } from '../../core/util/assert.ts';
import { structuralEqual } from './structural-equal.ts';

export function perKeyEligible(op: Op): boolean {
  const request = (r: TxnRequestOp): boolean => r.kind !== 'range' || (r.revision ?? 0) <= 0;
  switch (op.kind) {
    case 'put':
    case 'range':
    case 'delete-range':
      return request(op);
    case 'txn':
      return (
        op.compare.every((c) => c.target !== 'mod' && c.target !== 'create') &&
        op.success.every(request) &&
        op.failure.every(request)
      );
    case 'compact':
      return false;
    case 'lease-grant':
    case 'lease-revoke':
      return true;
    default:
      return assertNever(op, 'op');
  }
}

/** Partition keys of each op, given every op of the history (for the universe of keys). */
export function perKeyPartitionKeys(ops: readonly Op[]): (op: Op) => readonly string[] {
  const written = new Set<string>();
  const collect = (r: TxnRequestOp): void => {
    if (r.kind === 'put') written.add(r.key);
  };
  for (const op of ops) {
    if (op.kind === 'put') collect(op);
    if (op.kind === 'txn') [...op.success, ...op.failure].forEach(collect);
  }
  const universe = [...written].sort();
  const requestKeys = (r: TxnRequestOp): string[] => {
    if (r.kind === 'put') {
      const lease = r.lease ?? 0;
      return lease === 0 ? [keyName(r.key)] : [keyName(r.key), leaseName(lease)];
    }
    const span = keySpan(r.key, r.rangeEnd);
    if (span.end === null) return [keyName(r.key)];
    return universe.filter((k) => spanContains(span, k)).map(keyName);
  };
  return (op) => {
    switch (op.kind) {
      case 'put':
      case 'range':
      case 'delete-range':
        return requestKeys(op);
      case 'txn':
        return [
          ...op.compare.map((c) => keyName(c.key)),
          ...op.success.flatMap(requestKeys),
          ...op.failure.flatMap(requestKeys),
        ];
      case 'lease-grant':
      case 'lease-revoke':
        return [leaseName(op.id)];
      case 'compact':
        return [];
      default:
        return assertNever(op, 'op');
    }
  };
}

/** Distinct namespaces, so a key named like a lease cannot join it. */
function keyName(key: string): string {
  return `key:${key}`;
}

function leaseName(id: number): string {
  return `lease:${id}`;
}

export function perKeyResultsMatch(modelResult: Result, observed: Result): boolean {
  return structuralEqual(projectResult(modelResult), projectResult(observed));
}

/** A result without anything derived from the shared revision counter. */
export function projectResult(result: Result | TxnResponse): unknown {
  switch (result.kind) {
    case 'put':
      return { kind: result.kind, prevKv: result.prevKv && projectKv(result.prevKv) };
    case 'range':
      return {
        kind: result.kind,
        kvs: result.kvs.map(projectKv),
        count: result.count,
        more: result.more,
      };
    case 'delete-range':
      return {
        kind: result.kind,
        deleted: result.deleted,
        prevKvs: result.prevKvs?.map(projectKv),
      };
    case 'txn':
      return {
        kind: result.kind,
        succeeded: result.succeeded,
        responses: result.responses.map(projectResult),
      };
    case 'compact':
    case 'lease-revoke':
      return { kind: result.kind };
    case 'lease-grant':
      return { kind: result.kind, id: result.id, ttlSeconds: result.ttlSeconds };
    case 'error':
      return { kind: result.kind, reason: result.reason };
    default:
      return assertNever(result, 'result');
  }
}

function projectKv(kv: KeyValue): unknown {
  return { key: kv.key, value: kv.value, version: kv.version, lease: kv.lease };
}
