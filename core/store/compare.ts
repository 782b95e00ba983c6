/** Txn guard evaluation (etcd apply.go applyCompare / compareKV). */
import { assertNever } from '../util/assert.ts';
import type { Compare, CompareResult, KeyValue } from './types.ts';

/** Whether `cmp` holds for `kv` (null = the key does not exist). */
export function compareHolds(cmp: Compare, kv: KeyValue | null): boolean {
  switch (cmp.target) {
    case 'value':
      // etcd: a value compare on a missing key always fails, whatever the operator.
      return kv !== null && holds(order(kv.value, cmp.value), cmp.result);
    case 'version':
      return holds(order(kv?.version ?? 0, cmp.value), cmp.result);
    case 'create':
      return holds(order(kv?.createRevision ?? 0, cmp.value), cmp.result);
    case 'mod':
      return holds(order(kv?.modRevision ?? 0, cmp.value), cmp.result);
    case 'lease':
      return holds(order(kv?.lease ?? 0, cmp.value), cmp.result);
    default:
      return assertNever(cmp, 'compare target');
  }
}

function order<T extends string | number>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function holds(ordering: number, result: CompareResult): boolean {
  switch (result) {
    case '=':
      return ordering === 0;
    case '!=':
      return ordering !== 0;
    case '<':
      return ordering < 0;
    case '>':
      return ordering > 0;
    default:
      return assertNever(result, 'compare result');
  }
}
