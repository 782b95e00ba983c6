/** Hand-written store histories through `checkKvHistory`, in both modes. */
import { describe, expect, it } from 'vitest';
import { leaseId, revision } from '../../../core/store/index.ts';
import type {
  KeyValue,
  Op,
  PutOp,
  RangeOp,
  Result,
  TxnResponse,
} from '../../../core/store/index.ts';
import { checkKvHistory, type KvCheckMode, type KvOperation } from '../../../sim/check/index.ts';

let nextId = 0;
function call(
  client: number,
  op: Op,
  callUs: number,
  returnUs: number,
  result?: Result,
): KvOperation {
  const id = nextId++;
  return result === undefined
    ? { id, client, op, callUs, returnUs: Infinity }
    : { id, client, op, callUs, returnUs, result };
}
const header = (rev: number) => ({ revision: revision(rev) });
const kv = (key: string, value: string, mod: number, create = mod, version = 1): KeyValue => ({
  key,
  value,
  createRevision: revision(create),
  modRevision: revision(mod),
  version,
  lease: leaseId(0),
});
const put = (key: string, value: string): PutOp => ({ kind: 'put', key, value });
const get = (key: string): RangeOp => ({ kind: 'range', key });
const putOk = (rev: number): Result => ({ kind: 'put', header: header(rev) });
const got = (rev: number, ...kvs: KeyValue[]): Result & TxnResponse => ({
  kind: 'range',
  header: header(rev),
  kvs,
  count: kvs.length,
  more: false,
});
const verdict = (h: KvOperation[], mode: KvCheckMode) => checkKvHistory(h, { mode }).ok;
const both = (h: KvOperation[]) => [verdict(h, 'exact'), verdict(h, 'per-key')];

describe('checkKvHistory', () => {
  it('accepts a correct concurrent history', () => {
    const h = [
      call(0, put('a', '1'), 0, 10, putOk(2)),
      call(1, put('b', '1'), 5, 30, putOk(3)),
      call(2, get('b'), 6, 8, got(2)),
      call(2, get('a'), 12, 20, got(2, kv('a', '1', 2))),
      call(0, get('b'), 40, 50, got(3, kv('b', '1', 3))),
    ];
    expect(both(h)).toEqual([true, true]);
  });

  it('rejects a stale read after a completed write', () => {
    const h = [
      call(0, put('a', '1'), 0, 10, putOk(2)),
      call(1, put('a', '2'), 20, 30, putOk(3)),
      call(2, get('a'), 40, 50, got(2, kv('a', '1', 2))),
    ];
    expect(both(h)).toEqual([false, false]);
    const result = checkKvHistory(h);
    expect(result).toMatchObject({ ok: false, mode: 'exact' });
    // Exact mode needs only two: a read at revision 2 after revision 3 was acknowledged.
    if (result.ok === false) expect(result.illustration).toEqual([h[1], h[2]]);
  });

  it('rejects readers that see two concurrent writes in opposite orders', () => {
    const h = [
      call(0, put('x', '1'), 0, 100, putOk(2)),
      call(1, put('x', '2'), 0, 100, putOk(3)),
      call(2, get('x'), 10, 20, got(2, kv('x', '1', 2))),
      call(2, get('x'), 30, 40, got(3, kv('x', '2', 3, 2, 2))),
      call(3, get('x'), 10, 20, got(3, kv('x', '2', 3, 2, 2))),
      call(3, get('x'), 30, 40, got(2, kv('x', '1', 2))),
    ];
    expect(both(h)).toEqual([false, false]);
    expect(both(h.slice(0, 5))).toEqual([true, true]);
  });

  it('rejects a lost acknowledged write', () => {
    const h = [call(0, put('a', '1'), 0, 10, putOk(2)), call(1, get('a'), 20, 30, got(2))];
    expect(both(h)).toEqual([false, false]);
  });

  it('accepts an unknown-outcome write that becomes visible later', () => {
    const h = [
      call(0, put('a', '1'), 0, Infinity),
      call(1, get('a'), 10, 20, got(1)),
      call(1, get('a'), 100, 110, got(2, kv('a', '1', 2))),
    ];
    expect(both(h)).toEqual([true, true]);
  });

  it('rejects an unknown-outcome write that is visible and then vanishes', () => {
    const h = [
      call(0, put('a', '1'), 0, Infinity),
      call(1, get('a'), 10, 20, got(2, kv('a', '1', 2))),
      call(1, get('a'), 30, 40, got(2)),
    ];
    expect(both(h)).toEqual([false, false]);
  });

  it('sees revision-only violations in exact mode only', () => {
    // Two writes to different keys cannot both create revision 2.
    const h = [call(0, put('a', '1'), 0, 10, putOk(2)), call(1, put('b', '1'), 20, 30, putOk(2))];
    expect(both(h)).toEqual([false, true]);
  });

  it('joins the keys of a multi-key read into one partition (atomicity across keys)', () => {
    const write: Op = {
      kind: 'txn',
      compare: [],
      success: [put('a', '2'), put('b', '2')],
      failure: [],
    };
    const read: Op = { kind: 'txn', compare: [], success: [get('a'), get('b')], failure: [] };
    const torn = [
      call(0, write, 0, 100, {
        kind: 'txn',
        header: header(2),
        succeeded: true,
        responses: [putOk(2) as TxnResponse, putOk(2) as TxnResponse],
      }),
      call(1, read, 10, 20, {
        kind: 'txn',
        header: header(2),
        succeeded: true,
        responses: [got(2, kv('a', '2', 2)), got(2)],
      }),
    ];
    expect(both(torn)).toEqual([false, false]);
  });

  it('reads past revisions, alone and inside a txn', () => {
    const base = [
      call(0, put('a', '1'), 0, 10, putOk(2)),
      call(0, put('a', '2'), 20, 30, putOk(3)),
    ];
    const at2: Op = { kind: 'range', key: 'a', revision: revision(2) };
    const good = [...base, call(1, at2, 40, 50, got(3, kv('a', '1', 2)))];
    const bad = [...base, call(1, at2, 40, 50, got(3, kv('a', '2', 3, 2, 2)))];
    expect(verdict(good, 'exact')).toBe(true);
    expect(verdict(bad, 'exact')).toBe(false);
    const nested: Op = { kind: 'txn', compare: [], success: [put('b', 'x'), at2], failure: [] };
    const txnRead = (value: KeyValue): Result => ({
      kind: 'txn',
      header: header(4),
      succeeded: true,
      responses: [putOk(4) as TxnResponse, got(4, value)],
    });
    expect(verdict([...base, call(1, nested, 40, 50, txnRead(kv('a', '1', 2)))], 'exact')).toBe(
      true,
    );
    expect(
      verdict([...base, call(1, nested, 40, 50, txnRead(kv('a', '2', 3, 2, 2)))], 'exact'),
    ).toBe(false);
  });

  it('does not take a txn read after its own first write as a fact about the txn revision', () => {
    // The read of k sees the old k (the draft has only j), then the txn overwrites k.
    const txn: Op = {
      kind: 'txn',
      compare: [],
      success: [put('j', '1'), get('k'), put('k', '2')],
      failure: [],
    };
    const result: Result = {
      kind: 'txn',
      header: header(3),
      succeeded: true,
      responses: [putOk(3) as TxnResponse, got(3, kv('k', '1', 2)), putOk(3) as TxnResponse],
    };
    const h = [
      call(0, put('k', '1'), 0, 10, putOk(2)),
      call(0, txn, 20, 30, result),
      call(1, get('k'), 40, 50, got(3, kv('k', '2', 3, 2, 2))),
    ];
    expect(verdict(h, 'exact')).toBe(true);
  });

  it('refuses the per-key check for revision-dependent histories', () => {
    const h = [
      call(0, { kind: 'compact', revision: revision(1) }, 0, 10, {
        kind: 'compact',
        header: header(1),
      }),
    ];
    expect(checkKvHistory(h, { mode: 'per-key' })).toMatchObject({
      ok: 'unknown',
      reason: expect.stringMatching(/not applicable/),
    });
    expect(verdict(h, 'exact')).toBe(true);
  });

  it('falls back to the per-key check when the exact one runs out of budget', () => {
    // A lost write to 'a' seen late, after writes to 20 other keys: the exact check must get
    // through all of them, the per-key check looks at the two operations on 'a' first.
    const h = [call(0, put('a', '1'), 0, 10, putOk(2)), call(1, get('a'), 1000, 1010, got(22))];
    for (let i = 0; i < 20; i++)
      h.push(call(2, put(`k${i}`, 'x'), 100 + 10 * i, 105 + 10 * i, putOk(3 + i)));
    expect(checkKvHistory(h, { mode: 'exact', maxSteps: 10 }).ok).toBe('unknown');
    expect(checkKvHistory(h, { mode: 'exact' }).ok).toBe(false);
    expect(checkKvHistory(h, { maxSteps: 10 })).toMatchObject({ ok: false, mode: 'per-key' });
    const fine = h.filter((_, i) => i !== 1);
    expect(checkKvHistory(fine, { maxSteps: 10 })).toMatchObject({ ok: 'unknown', mode: 'exact' });
    expect(checkKvHistory(fine).ok).toBe(true);
  });
});
