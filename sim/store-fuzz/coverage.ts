/**
 * Which store paths a history exercised, counted from its completed operations: a campaign
 * that never compacted, never read a past revision or never took a txn's failure branch has not
 * tested them, whatever its verdict. `ksim fuzz store` prints the totals; a test requires every
 * path of the default mix to be reached.
 */
import type { Op, Result, TxnRequestOp, TxnResponse } from '../../core/store/types.ts';
import type { Operation } from '../check/history.ts';

export const COVERAGE_PATHS = [
  'put',
  'put.prev-kv',
  'put.lease',
  'put.large',
  'range.key',
  'range.prefix',
  'range.limit.more',
  'range.count-only',
  'range.keys-only',
  'range.past',
  'range.past.compacted',
  'delete.key',
  'delete.multi-key',
  'txn.succeeded',
  'txn.failed',
  'txn.compare.value',
  'txn.compare.version',
  'txn.compare.mod',
  'txn.compare.create',
  'txn.compare.lease',
  'compact',
  'compact.refused',
  'lease.grant',
  'lease.grant.server-chosen',
  'lease.grant.exists',
  'lease.revoke',
  'lease.revoke.not-found',
  // Counted by the run from the lease holder and the leaders' probes, not from the history.
  'lease.keep-alive',
  'lease.expired',
] as const;

export type CoveragePath = (typeof COVERAGE_PATHS)[number];
export type Coverage = Partial<Record<CoveragePath, number>>;

/** Values at least this long count as large. */
const LARGE_VALUE_BYTES = 16 * 1024;

export function coverageOf(
  history: readonly Operation<Op, Result>[],
  serverChosen: ReadonlySet<number>,
): Coverage {
  const counts: Coverage = {};
  const hit = (path: CoveragePath): void => {
    counts[path] = (counts[path] ?? 0) + 1;
  };
  for (const o of history) {
    if (o.result === undefined) continue;
    countOp(o.op, o.result, hit, serverChosen.has(o.id));
  }
  return counts;
}

export function addCoverage(into: Coverage, more: Coverage): void {
  for (const path of COVERAGE_PATHS) {
    const n = more[path];
    if (n !== undefined) into[path] = (into[path] ?? 0) + n;
  }
}

export function describeCoverage(coverage: Coverage): string {
  return COVERAGE_PATHS.map((p) => `${p}=${coverage[p] ?? 0}`).join(' ');
}

function countOp(
  op: Op,
  result: Result,
  hit: (path: CoveragePath) => void,
  serverChosen: boolean,
): void {
  switch (op.kind) {
    case 'put':
    case 'range':
    case 'delete-range':
      return countRequest(op, result.kind === 'error' ? result : (result as TxnResponse), hit);
    case 'txn':
      for (const c of op.compare) hit(`txn.compare.${c.target}`);
      if (result.kind !== 'txn') return;
      hit(result.succeeded ? 'txn.succeeded' : 'txn.failed');
      (result.succeeded ? op.success : op.failure).forEach((r, i) => {
        const response = result.responses[i];
        if (response !== undefined) countRequest(r, response, hit);
      });
      return;
    case 'compact':
      return hit(result.kind === 'error' ? 'compact.refused' : 'compact');
    case 'lease-grant':
      if (result.kind === 'error') return hit('lease.grant.exists');
      hit('lease.grant');
      if (serverChosen) hit('lease.grant.server-chosen');
      return;
    case 'lease-revoke':
      return hit(result.kind === 'error' ? 'lease.revoke.not-found' : 'lease.revoke');
  }
}

function countRequest(
  op: TxnRequestOp,
  result: TxnResponse | Extract<Result, { kind: 'error' }>,
  hit: (path: CoveragePath) => void,
): void {
  switch (op.kind) {
    case 'put':
      if (result.kind === 'error') return;
      hit('put');
      if (op.prevKv === true) hit('put.prev-kv');
      if ((op.lease ?? 0) !== 0) hit('put.lease');
      if (op.value.length >= LARGE_VALUE_BYTES) hit('put.large');
      return;
    case 'range': {
      const past = (op.revision ?? 0) > 0;
      if (result.kind === 'error') {
        if (past && result.reason === 'compacted') hit('range.past.compacted');
        return;
      }
      if (past) hit('range.past');
      hit(op.rangeEnd === undefined ? 'range.key' : 'range.prefix');
      if (result.kind === 'range' && result.more) hit('range.limit.more');
      if (op.countOnly === true) hit('range.count-only');
      if (op.keysOnly === true) hit('range.keys-only');
      return;
    }
    case 'delete-range':
      if (result.kind === 'error') return;
      hit(op.rangeEnd === undefined ? 'delete.key' : 'delete.multi-key');
      return;
  }
}
