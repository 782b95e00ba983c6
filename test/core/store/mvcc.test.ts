import { describe, expect, it } from 'vitest';
import {
  FROM_KEY,
  KvStateMachine,
  leaseId,
  MAX_LEASE_TTL_SECONDS,
  MvccStore,
  prefix,
  revision,
  type DeleteRangeOp,
  type Op,
  type PutOp,
  type RangeOp,
  type Result,
  type TxnRequestOp,
} from '../../../core/store/index.ts';

const rev = revision;

function storeWith(ops: readonly Op[]): KvStateMachine {
  const sm = new KvStateMachine();
  for (const op of ops) {
    const result = sm.apply(op);
    expect(result.kind, JSON.stringify(result)).not.toBe('error');
  }
  return sm;
}

const put = (key: string, value = 'v', extra: Partial<PutOp> = {}): PutOp => ({
  kind: 'put',
  key,
  value,
  ...extra,
});
const del = (key: string, rangeEnd?: string): DeleteRangeOp =>
  rangeEnd === undefined ? { kind: 'delete-range', key } : { kind: 'delete-range', key, rangeEnd };
const get = (key: string, extra: Partial<RangeOp> = {}): RangeOp => ({
  kind: 'range',
  key,
  ...extra,
});

function kvsOf(result: Result): unknown {
  expect(result.kind).toBe('range');
  return result.kind === 'range' ? result.kvs.map((kv) => [kv.key, kv.value]) : undefined;
}

describe('revisions', () => {
  it('an empty store is at revision 1 and the first write creates revision 2 (as etcd)', () => {
    const sm = new KvStateMachine();
    expect(sm.revision).toBe(1);
    expect(sm.apply(put('a'))).toEqual({ kind: 'put', header: { revision: 2 } });
  });

  it('a deleted then recreated key starts a new generation', () => {
    // put a (2), put b (3), delete a (4), put a (5)
    const sm = storeWith([put('a', '1'), put('b'), del('a'), put('a', '2')]);
    expect(sm.apply(get('a'))).toEqual({
      kind: 'range',
      header: { revision: 5 },
      kvs: [{ key: 'a', value: '2', createRevision: 5, modRevision: 5, version: 1, lease: 0 }],
      count: 1,
      more: false,
    });
  });

  it('versions count puts within a generation; prevKv returns the replaced pair', () => {
    const sm = storeWith([put('a', '1')]);
    expect(sm.apply(put('a', '2', { prevKv: true }))).toEqual({
      kind: 'put',
      header: { revision: 3 },
      prevKv: { key: 'a', value: '1', createRevision: 2, modRevision: 2, version: 1, lease: 0 },
    });
    expect(sm.apply(put('a', '3', { prevKv: true }))).toMatchObject({
      prevKv: { version: 2, modRevision: 3 },
    });
    expect(sm.apply(get('a'))).toMatchObject({
      kvs: [{ createRevision: 2, modRevision: 4, version: 3 }],
    });
  });

  it.each([
    { at: 2, expected: [{ value: '1', createRevision: 2, version: 1 }] },
    { at: 3, expected: [{ value: '2', createRevision: 2, version: 2 }] },
    { at: 4, expected: [] },
    { at: 5, expected: [{ value: '3', createRevision: 5, version: 1 }] },
    { at: 0, expected: [{ value: '3', createRevision: 5, version: 1 }] },
  ])('reads key a at revision $at', ({ at, expected }) => {
    const sm = storeWith([put('a', '1'), put('a', '2'), del('a'), put('a', '3')]);
    const result = sm.apply(get('a', { revision: rev(at) }));
    expect(result).toMatchObject({
      kind: 'range',
      header: { revision: 5 },
      count: expected.length,
    });
    expect(result.kind === 'range' && result.kvs).toMatchObject(expected);
  });

  it('reading above the current revision is future-revision', () => {
    const sm = storeWith([put('a')]);
    expect(sm.apply(get('a', { revision: rev(3) }))).toEqual({
      kind: 'error',
      reason: 'future-revision',
      header: { revision: 2 },
    });
  });
});

describe('range', () => {
  const keys = ['/p/a', '/p/b', '/p/c', '/pa', '/q', 'z'];
  const sm = storeWith(keys.map((k) => put(k, k.toUpperCase())));

  it.each([
    { name: 'single key', op: get('/p/b'), kvs: ['/p/b'], count: 1, more: false },
    { name: 'missing key', op: get('/p'), kvs: [], count: 0, more: false },
    {
      name: 'prefix',
      op: get('/p/', { rangeEnd: prefix('/p/').rangeEnd }),
      kvs: ['/p/a', '/p/b', '/p/c'],
      count: 3,
      more: false,
    },
    {
      name: 'prefix with limit',
      op: get('/p/', { rangeEnd: '/p0', limit: 2 }),
      kvs: ['/p/a', '/p/b'],
      count: 3,
      more: true,
    },
    {
      name: 'limit equal to count',
      op: get('/p/', { rangeEnd: '/p0', limit: 3 }),
      kvs: ['/p/a', '/p/b', '/p/c'],
      count: 3,
      more: false,
    },
    {
      name: 'count only',
      op: get('/p/', { rangeEnd: '/p0', countOnly: true }),
      kvs: [],
      count: 3,
      more: false,
    },
    {
      name: 'half-open interval',
      op: get('/p/b', { rangeEnd: '/q' }),
      kvs: ['/p/b', '/p/c', '/pa'],
      count: 3,
      more: false,
    },
    {
      name: 'from key',
      op: get('/q', { rangeEnd: FROM_KEY }),
      kvs: ['/q', 'z'],
      count: 2,
      more: false,
    },
    {
      name: 'all keys',
      op: get(FROM_KEY, { rangeEnd: FROM_KEY }),
      kvs: keys,
      count: 6,
      more: false,
    },
    { name: 'end before start', op: get('/q', { rangeEnd: '/p' }), kvs: [], count: 0, more: false },
  ])('$name', ({ op, kvs, count, more }) => {
    const result = sm.apply(op);
    expect(result).toMatchObject({ kind: 'range', header: { revision: 7 }, count, more });
    expect(result.kind === 'range' && result.kvs.map((kv) => kv.key)).toEqual(kvs);
  });

  it('keysOnly blanks the values', () => {
    expect(kvsOf(sm.apply(get('/p/a', { rangeEnd: '/p/c', keysOnly: true })))).toEqual([
      ['/p/a', ''],
      ['/p/b', ''],
    ]);
  });

  it('an empty key is refused', () => {
    expect(sm.apply(get(''))).toMatchObject({ kind: 'error', reason: 'empty-key' });
    expect(sm.apply(put(''))).toMatchObject({ kind: 'error', reason: 'empty-key' });
    expect(sm.apply(del(''))).toMatchObject({ kind: 'error', reason: 'empty-key' });
  });

  it('prefix() covers every key with the prefix and nothing else', () => {
    expect(prefix('/p/')).toEqual({ key: '/p/', rangeEnd: '/p0' });
    expect(prefix('a\uffff')).toEqual({ key: 'a\uffff', rangeEnd: 'b' });
    expect(prefix('\uffff')).toEqual({ key: '\uffff', rangeEnd: FROM_KEY });
    expect(prefix('')).toEqual({ key: FROM_KEY, rangeEnd: FROM_KEY });
    expect(kvsOf(sm.apply({ kind: 'range', ...prefix('') }))).toHaveLength(6);
  });
});

describe('delete-range', () => {
  it('deletes every live key in the range at one revision, with prevKvs', () => {
    const sm = storeWith([put('a', '1'), put('b', '2'), put('c', '3')]);
    expect(sm.apply({ kind: 'delete-range', key: 'a', rangeEnd: 'c', prevKv: true })).toEqual({
      kind: 'delete-range',
      header: { revision: 5 },
      deleted: 2,
      prevKvs: [
        { key: 'a', value: '1', createRevision: 2, modRevision: 2, version: 1, lease: 0 },
        { key: 'b', value: '2', createRevision: 3, modRevision: 3, version: 1, lease: 0 },
      ],
    });
    expect(kvsOf(sm.apply(get('a', { rangeEnd: FROM_KEY })))).toEqual([['c', '3']]);
  });

  it('deleting nothing does not create a revision', () => {
    const sm = storeWith([put('a'), del('a')]);
    expect(sm.apply(del('a'))).toEqual({
      kind: 'delete-range',
      header: { revision: 3 },
      deleted: 0,
    });
    expect(sm.revision).toBe(3);
  });
});

describe('txn', () => {
  const base = (): KvStateMachine => storeWith([put('a', '1'), put('b', '2')]); // a@2, b@3

  it.each([
    { cmp: { target: 'mod', key: 'a', result: '=', value: rev(2) }, holds: true },
    { cmp: { target: 'mod', key: 'a', result: '>', value: rev(2) }, holds: false },
    { cmp: { target: 'create', key: 'b', result: '<', value: rev(4) }, holds: true },
    { cmp: { target: 'version', key: 'a', result: '=', value: 1 }, holds: true },
    { cmp: { target: 'version', key: 'x', result: '=', value: 0 }, holds: true },
    { cmp: { target: 'mod', key: 'x', result: '=', value: rev(0) }, holds: true },
    { cmp: { target: 'value', key: 'a', result: '=', value: '1' }, holds: true },
    { cmp: { target: 'value', key: 'a', result: '<', value: '2' }, holds: true },
    { cmp: { target: 'value', key: 'x', result: '!=', value: 'anything' }, holds: false },
    { cmp: { target: 'lease', key: 'a', result: '=', value: leaseId(0) }, holds: true },
  ] as const)(
    'compare $cmp.target $cmp.result $cmp.value on $cmp.key -> $holds',
    ({ cmp, holds }) => {
      const result = base().apply({
        kind: 'txn',
        compare: [cmp],
        success: [get('a')],
        failure: [],
      });
      expect(result).toMatchObject({
        kind: 'txn',
        succeeded: holds,
        responses: holds ? [{ kind: 'range' }] : [],
      });
    },
  );

  it('all writes of a txn share one revision; later ops see earlier writes', () => {
    const sm = base();
    const result = sm.apply({
      kind: 'txn',
      compare: [{ target: 'mod', key: 'a', result: '=', value: rev(2) }],
      success: [
        { kind: 'range', key: 'a' },
        put('c', '3'),
        { kind: 'range', key: 'c' },
        del('b'),
        put('d', '4'),
      ],
      failure: [],
    });
    expect(result).toMatchObject({
      kind: 'txn',
      header: { revision: 4 },
      succeeded: true,
      responses: [
        { kind: 'range', header: { revision: 3 }, count: 1 },
        { kind: 'put', header: { revision: 4 } },
        { kind: 'range', header: { revision: 4 }, kvs: [{ key: 'c', modRevision: 4 }] },
        { kind: 'delete-range', header: { revision: 4 }, deleted: 1 },
        { kind: 'put', header: { revision: 4 } },
      ],
    });
    expect(kvsOf(sm.apply(get('a', { rangeEnd: FROM_KEY })))).toEqual([
      ['a', '1'],
      ['c', '3'],
      ['d', '4'],
    ]);
    expect(sm.apply(get('d'))).toMatchObject({ kvs: [{ createRevision: 4, modRevision: 4 }] });
  });

  it('a nested delete that deletes nothing before any write reports the begin revision (etcd #14490)', () => {
    const result = base().apply({
      kind: 'txn',
      compare: [],
      success: [del('zz'), put('e')],
      failure: [],
    });
    expect(result).toMatchObject({
      header: { revision: 4 },
      responses: [{ header: { revision: 3 }, deleted: 0 }, { header: { revision: 4 } }],
    });
  });

  it('a read-only txn does not create a revision', () => {
    const sm = base();
    expect(sm.apply({ kind: 'txn', compare: [], success: [get('a')], failure: [] })).toMatchObject({
      header: { revision: 3 },
    });
    expect(sm.revision).toBe(3);
  });

  it.each([
    { name: 'put twice', success: [put('a'), put('a')], reason: 'duplicate-key-in-txn' },
    {
      name: 'put inside a delete range',
      success: [del('a', 'c'), put('b')],
      reason: 'duplicate-key-in-txn',
    },
    {
      name: 'put then delete of it',
      success: [put('b'), del('b')],
      reason: 'duplicate-key-in-txn',
    },
    { name: 'empty key', success: [put('')], reason: 'empty-key' },
    {
      name: 'ignoreValue with a value',
      success: [put('a', 'x', { ignoreValue: true })],
      reason: 'value-provided',
    },
    {
      name: 'ignoreLease with a lease',
      success: [put('a', 'x', { ignoreLease: true, lease: leaseId(5) })],
      reason: 'lease-provided',
    },
    {
      name: 'too many ops',
      success: Array.from({ length: 129 }, (_, i) => put(`k${i}`)),
      reason: 'too-many-ops',
    },
    {
      name: 'unknown lease',
      success: [put('c'), put('d', 'v', { lease: leaseId(9) })],
      reason: 'lease-not-found',
    },
    {
      name: 'ignoreValue on a missing key',
      success: [put('x', '', { ignoreValue: true })],
      reason: 'key-not-found',
    },
    {
      name: 'range in the future',
      success: [put('c'), get('a', { revision: rev(9) })],
      reason: 'future-revision',
    },
  ])('refuses $name with $reason and changes nothing', ({ success, reason }) => {
    const sm = base();
    const before = sm.hash();
    const result = sm.apply({
      kind: 'txn',
      compare: [],
      success: success as TxnRequestOp[],
      failure: [],
    });
    expect(result).toEqual({ kind: 'error', reason, header: { revision: 3 } });
    expect(sm.hash()).toBe(before);
  });

  it('overlapping deletes are allowed; duplicate checks cover the branch not taken', () => {
    const sm = base();
    expect(
      sm.apply({ kind: 'txn', compare: [], success: [del('a', 'c'), del('b', 'd')], failure: [] }),
    ).toMatchObject({
      responses: [{ deleted: 2 }, { deleted: 0 }],
    });
    expect(
      sm.apply({ kind: 'txn', compare: [], success: [], failure: [put('a'), put('a')] }),
    ).toMatchObject({
      reason: 'duplicate-key-in-txn',
    });
  });

  it('state checks apply only to the branch taken', () => {
    const result = base().apply({
      kind: 'txn',
      compare: [{ target: 'value', key: 'a', result: '=', value: '1' }],
      success: [put('c')],
      failure: [put('d', 'v', { lease: leaseId(9) })],
    });
    expect(result).toMatchObject({ kind: 'txn', succeeded: true });
  });

  it('exactly maxTxnOps ops is accepted', () => {
    const ops = Array.from({ length: 128 }, (_, i) => put(`k${i}`) as TxnRequestOp);
    expect(base().apply({ kind: 'txn', compare: [], success: ops, failure: [] })).toMatchObject({
      kind: 'txn',
    });
  });
});

/** etcd kvstore_test.go TestKVRange*, read from both paths: one key (a get) and a span. */
describe('reads at a revision, with count-only, keys-only and limits', () => {
  // foo@2, foo1@3, foo2@4, foo1 changed @5, foo deleted @6
  const sm = storeWith([
    put('foo', 'a'),
    put('foo1', 'b'),
    put('foo2', 'c'),
    put('foo1', 'B'),
    del('foo'),
  ]);
  const span = (extra: Partial<RangeOp> = {}): RangeOp => get('foo', { rangeEnd: 'fop', ...extra });
  const kv = (key: string, value: string, create: number, mod: number, version: number) => ({
    key,
    value,
    createRevision: create,
    modRevision: mod,
    version,
    lease: 0,
  });

  it.each([
    { at: 2, kvs: [kv('foo', 'a', 2, 2, 1)] },
    { at: 3, kvs: [kv('foo', 'a', 2, 2, 1), kv('foo1', 'b', 3, 3, 1)] },
    { at: 5, kvs: [kv('foo', 'a', 2, 2, 1), kv('foo1', 'B', 3, 5, 2), kv('foo2', 'c', 4, 4, 1)] },
    { at: 6, kvs: [kv('foo1', 'B', 3, 5, 2), kv('foo2', 'c', 4, 4, 1)] },
    { at: 0, kvs: [kv('foo1', 'B', 3, 5, 2), kv('foo2', 'c', 4, 4, 1)] },
  ])('a span at revision $at holds the versions then live', ({ at, kvs }) => {
    expect(sm.apply(span({ revision: rev(at) }))).toEqual({
      kind: 'range',
      header: { revision: 6 },
      kvs,
      count: kvs.length,
      more: false,
    });
  });

  it('a span at a past revision with a limit counts every key and says there is more', () => {
    expect(sm.apply(span({ revision: rev(5), limit: 2 }))).toEqual({
      kind: 'range',
      header: { revision: 6 },
      kvs: [kv('foo', 'a', 2, 2, 1), kv('foo1', 'B', 3, 5, 2)],
      count: 3,
      more: true,
    });
  });

  it('count-only and keys-only on a span at a past revision', () => {
    expect(sm.apply(span({ revision: rev(5), countOnly: true, limit: 1 }))).toEqual({
      kind: 'range',
      header: { revision: 6 },
      kvs: [],
      count: 3,
      more: false,
    });
    expect(sm.apply(span({ revision: rev(3), keysOnly: true }))).toEqual({
      kind: 'range',
      header: { revision: 6 },
      kvs: [kv('foo', '', 2, 2, 1), kv('foo1', '', 3, 3, 1)],
      count: 2,
      more: false,
    });
  });

  it.each([
    { name: 'latest', op: get('foo1'), kvs: [kv('foo1', 'B', 3, 5, 2)], count: 1 },
    {
      name: 'at a past revision',
      op: get('foo1', { revision: rev(4) }),
      kvs: [kv('foo1', 'b', 3, 3, 1)],
      count: 1,
    },
    {
      name: 'deleted now, live then',
      op: get('foo', { revision: rev(5) }),
      kvs: [kv('foo', 'a', 2, 2, 1)],
      count: 1,
    },
    { name: 'deleted', op: get('foo'), kvs: [], count: 0 },
    { name: 'not yet created', op: get('foo2', { revision: rev(3) }), kvs: [], count: 0 },
    { name: 'count-only', op: get('foo1', { countOnly: true }), kvs: [], count: 1 },
    {
      name: 'count-only of a missing key',
      op: get('nope', { countOnly: true }),
      kvs: [],
      count: 0,
    },
    {
      name: 'keys-only',
      op: get('foo1', { keysOnly: true }),
      kvs: [kv('foo1', '', 3, 5, 2)],
      count: 1,
    },
    {
      name: 'keys-only at a past revision',
      op: get('foo1', { keysOnly: true, revision: rev(3) }),
      kvs: [kv('foo1', '', 3, 3, 1)],
      count: 1,
    },
    { name: 'limit 1', op: get('foo1', { limit: 1 }), kvs: [kv('foo1', 'B', 3, 5, 2)], count: 1 },
  ])('one key, $name', ({ op, kvs, count }) => {
    expect(sm.apply(op)).toEqual({
      kind: 'range',
      header: { revision: 6 },
      kvs,
      count,
      more: false,
    });
  });

  it('a limit of 0 is no limit (etcd RangeRequest.limit)', () => {
    expect(sm.apply(span({ revision: rev(5), limit: 0 }))).toMatchObject({ count: 3, more: false });
    expect(kvsOf(sm.apply(span({ revision: rev(5), limit: 0 })))).toEqual([
      ['foo', 'a'],
      ['foo1', 'B'],
      ['foo2', 'c'],
    ]);
  });

  it('a limit that is not an integer is a bug in the caller', () => {
    expect(() => sm.apply(span({ limit: 1.5 }))).toThrow('range limit 1.5 is not an integer');
  });
});

describe('compaction', () => {
  // a@2,3,4  b@5 deleted@6  c@7
  const build = (): KvStateMachine =>
    storeWith([put('a', '1'), put('a', '2'), put('a', '3'), put('b'), del('b'), put('c')]);

  it('keeps the view at the compaction revision and refuses reads below it', () => {
    const sm = build();
    expect(sm.apply({ kind: 'compact', revision: rev(4) })).toEqual({
      kind: 'compact',
      header: { revision: 7 },
    });
    expect(sm.compactRevision).toBe(4);
    expect(kvsOf(sm.apply(get('a', { revision: rev(4) })))).toEqual([['a', '3']]);
    expect(sm.apply(get('a', { revision: rev(3) }))).toEqual({
      kind: 'error',
      reason: 'compacted',
      header: { revision: 7 },
      compactRevision: 4,
    });
    expect(kvsOf(sm.apply(get('b', { revision: rev(5) })))).toEqual([['b', 'v']]);
    expect(sm.apply(get('a'))).toMatchObject({ kvs: [{ version: 3, createRevision: 2 }] });
  });

  it.each([
    { at: 4, then: 4, reason: 'compacted' },
    { at: 4, then: 3, reason: 'compacted' },
    { at: 4, then: 8, reason: 'future-revision' },
  ])('compact $then after compact $at is $reason', ({ at, then, reason }) => {
    const sm = build();
    sm.apply({ kind: 'compact', revision: rev(at) });
    expect(sm.apply({ kind: 'compact', revision: rev(then) })).toMatchObject({
      kind: 'error',
      reason,
    });
  });

  it('physically drops superseded versions and deleted keys', () => {
    const sm = build();
    sm.apply({ kind: 'compact', revision: rev(6) });
    const json = JSON.parse(new TextDecoder().decode(sm.snapshot())) as {
      keys: [string, unknown[]][];
    };
    expect(json.keys.map(([key]) => key)).toEqual(['a', 'c']);
    expect(json.keys[0]).toEqual(['a', [[2, 3, [[4, 0, 0, '3']], null]]]);
  });

  it('compacting at the current revision keeps every live key', () => {
    const sm = build();
    sm.apply({ kind: 'compact', revision: rev(7) });
    expect(kvsOf(sm.apply(get(FROM_KEY, { rangeEnd: FROM_KEY })))).toEqual([
      ['a', '3'],
      ['c', 'v'],
    ]);
    expect(sm.apply(put('a', '4'))).toMatchObject({ header: { revision: 8 } });
    expect(sm.apply(get('a'))).toMatchObject({
      kvs: [{ version: 4, createRevision: 2, modRevision: 8 }],
    });
  });
});

describe('leases', () => {
  const L = leaseId(7);

  it('grant, attach, list, revoke in one revision', () => {
    const sm = new KvStateMachine();
    expect(sm.apply({ kind: 'lease-grant', id: L, ttlSeconds: 10 })).toEqual({
      kind: 'lease-grant',
      header: { revision: 1 },
      id: 7,
      ttlSeconds: 10,
    });
    storeOps(sm, [put('b', 'v', { lease: L }), put('a', 'v', { lease: L }), put('c')]);
    expect(sm.leases()).toEqual([{ id: 7, ttlSeconds: 10, keys: ['a', 'b'] }]);
    const watch = sm.watch({ key: FROM_KEY, rangeEnd: FROM_KEY });
    expect(sm.apply({ kind: 'lease-revoke', id: L })).toEqual({
      kind: 'lease-revoke',
      header: { revision: 5 },
    });
    expect(kvsOf(sm.apply(get(FROM_KEY, { rangeEnd: FROM_KEY })))).toEqual([['c', 'v']]);
    expect(sm.leases()).toEqual([]);
    expect(watch.kind).toBe('created');
    const batches = sm.drainWatchEvents();
    expect(batches).toHaveLength(1);
    expect(batches[0]?.events.map((e) => [e.type, e.kv.key])).toEqual([
      ['DELETE', 'a'],
      ['DELETE', 'b'],
    ]);
  });

  it('re-putting without the lease detaches the key; deleting a key detaches it', () => {
    const sm = storeWith([
      { kind: 'lease-grant', id: L, ttlSeconds: 10 },
      put('a', '1', { lease: L }),
      put('b', '1', { lease: L }),
    ]);
    storeOps(sm, [put('a', '2'), del('b')]);
    expect(sm.leases()).toEqual([{ id: 7, ttlSeconds: 10, keys: [] }]);
    // grant (1), put a (2), put b (3), put a (4), delete b (5); the revoke deletes nothing.
    expect(sm.apply({ kind: 'lease-revoke', id: L })).toEqual({
      kind: 'lease-revoke',
      header: { revision: 5 },
    });
    expect(sm.revision).toBe(5);
    expect(kvsOf(sm.apply(get('a')))).toEqual([['a', '2']]);
  });

  it('ignoreValue keeps the value; ignoreLease keeps the lease', () => {
    const sm = storeWith([
      { kind: 'lease-grant', id: L, ttlSeconds: 10 },
      put('a', '1', { lease: L }),
    ]);
    storeOps(sm, [put('a', '', { ignoreValue: true })]);
    expect(sm.apply(get('a'))).toMatchObject({ kvs: [{ value: '1', lease: 0, version: 2 }] });
    storeOps(sm, [
      put('a', '', { ignoreValue: true, lease: L }),
      put('a', '2', { ignoreLease: true }),
    ]);
    expect(sm.apply(get('a'))).toMatchObject({ kvs: [{ value: '2', lease: 7, version: 4 }] });
    expect(sm.leases()).toEqual([{ id: 7, ttlSeconds: 10, keys: ['a'] }]);
  });

  it.each([
    { op: { kind: 'lease-grant', id: leaseId(7), ttlSeconds: 5 }, reason: 'lease-exists' },
    { op: { kind: 'lease-grant', id: leaseId(0), ttlSeconds: 5 }, reason: 'invalid-lease' },
    { op: { kind: 'lease-grant', id: leaseId(-1), ttlSeconds: 5 }, reason: 'invalid-lease' },
    { op: { kind: 'lease-grant', id: leaseId(8), ttlSeconds: 0 }, reason: 'invalid-lease' },
    { op: { kind: 'lease-grant', id: leaseId(8), ttlSeconds: 1.5 }, reason: 'invalid-lease' },
    { op: { kind: 'lease-revoke', id: leaseId(8) }, reason: 'lease-not-found' },
    { op: put('a', 'v', { lease: leaseId(8) }), reason: 'lease-not-found' },
    { op: put('zz', '', { ignoreLease: true }), reason: 'key-not-found' },
  ] as const)('$op.kind -> $reason', ({ op, reason }) => {
    const sm = storeWith([{ kind: 'lease-grant', id: L, ttlSeconds: 10 }]);
    expect(sm.apply(op)).toEqual({ kind: 'error', reason, header: { revision: 1 } });
  });

  it('revoking a lease without keys creates no revision', () => {
    const sm = storeWith([{ kind: 'lease-grant', id: L, ttlSeconds: 10 }]);
    expect(sm.apply({ kind: 'lease-revoke', id: L })).toEqual({
      kind: 'lease-revoke',
      header: { revision: 1 },
    });
  });
});

function storeOps(sm: KvStateMachine, ops: readonly Op[]): void {
  for (const op of ops) expect(sm.apply(op).kind).not.toBe('error');
}

/** Boundaries of etcd's kvstore and lessor behaviour that the cases above do not reach. */
describe('edges', () => {
  it.each([
    { id: 8, ttlSeconds: 1, ok: true },
    { id: 8, ttlSeconds: MAX_LEASE_TTL_SECONDS, ok: true },
    { id: 8, ttlSeconds: MAX_LEASE_TTL_SECONDS + 1, ok: false },
    { id: Number.MAX_SAFE_INTEGER, ttlSeconds: 5, ok: true },
    { id: Number.MAX_SAFE_INTEGER + 1, ttlSeconds: 5, ok: false },
    { id: 1.5, ttlSeconds: 5, ok: false },
  ])('lease-grant id $id ttl $ttlSeconds accepted: $ok', ({ id, ttlSeconds, ok }) => {
    const result = new KvStateMachine().apply({ kind: 'lease-grant', id: leaseId(id), ttlSeconds });
    expect(result).toEqual(
      ok
        ? { kind: 'lease-grant', header: { revision: 1 }, id, ttlSeconds }
        : { kind: 'error', reason: 'invalid-lease', header: { revision: 1 } },
    );
  });

  it('a put returns prevKv only when asked for and the key had a value', () => {
    const sm = new KvStateMachine();
    expect(sm.apply(put('a', '1', { prevKv: true }))).toEqual({
      kind: 'put',
      header: { revision: 2 },
    });
    expect(sm.apply(put('a', '2'))).toEqual({ kind: 'put', header: { revision: 3 } });
  });

  it('a put inside a txn returns prevKv only when asked for and the key had a value', () => {
    // etcd's txn put response carries prev_kv under the same rule as a plain put.
    const sm = storeWith([put('a', '1'), put('b', '2')]); // a@2, b@3
    expect(
      sm.apply({
        kind: 'txn',
        compare: [],
        success: [put('a', 'x', { prevKv: true }), put('b', 'y'), put('c', 'z', { prevKv: true })],
        failure: [],
      }),
    ).toEqual({
      kind: 'txn',
      header: { revision: 4 },
      succeeded: true,
      responses: [
        {
          kind: 'put',
          header: { revision: 4 },
          prevKv: { key: 'a', value: '1', createRevision: 2, modRevision: 2, version: 1, lease: 0 },
        },
        { kind: 'put', header: { revision: 4 } },
        { kind: 'put', header: { revision: 4 } },
      ],
    });
  });

  it('compacting at the current revision is accepted; a later compaction trims again', () => {
    // a@2, a@3; compact 3 keeps a@3 only (the last at or below it).
    const sm = storeWith([put('a', '1'), put('a', '2')]);
    expect(sm.apply({ kind: 'compact', revision: rev(3) })).toEqual({
      kind: 'compact',
      header: { revision: 3 },
    });
    const keysOf = (): unknown =>
      (JSON.parse(new TextDecoder().decode(sm.snapshot())) as { keys: unknown[] }).keys;
    expect(keysOf()).toEqual([['a', [[2, 2, [[3, 0, 0, '2']], null]]]]);
    // a@4 and b@5 are written after the compaction at 3; compacting at 5 drops a@3.
    storeOps(sm, [put('a', '3'), put('b')]);
    sm.apply({ kind: 'compact', revision: rev(5) });
    expect(keysOf()).toEqual([
      ['a', [[2, 3, [[4, 0, 0, '3']], null]]],
      ['b', [[5, 1, [[5, 0, 0, 'v']], null]]],
    ]);
  });

  it('history below or at the compaction point is refused', () => {
    const store = new MvccStore();
    store.put(put('a'));
    store.put(put('a'));
    store.compact({ kind: 'compact', revision: rev(2) });
    expect(() => store.history(rev(2))).toThrow('history from 2 is compacted');
    expect([...store.history(rev(3))].map((c) => c.revision)).toEqual([3]);
  });

  it('every compare of a txn must hold', () => {
    const sm = storeWith([put('a', '1'), put('b', '2')]);
    const holds = { target: 'value', key: 'a', result: '=', value: '1' } as const;
    const fails = { target: 'value', key: 'b', result: '=', value: '1' } as const;
    for (const [compare, succeeded] of [
      [[holds, fails], false],
      [[fails, holds], false],
      [[holds, holds], true],
    ] as const) {
      expect(
        sm.apply({ kind: 'txn', compare: [...compare], success: [put('s')], failure: [put('f')] }),
      ).toMatchObject({ succeeded, responses: [{ kind: 'put' }] });
      expect(kvsOf(sm.apply(get(succeeded ? 's' : 'f')))).toHaveLength(1);
    }
  });

  it('keyCount counts keys with a live value or a history above the compaction point', () => {
    const sm = storeWith([put('a'), put('b'), del('a')]); // a@2, b@3, a deleted @4
    expect(sm.keyCount).toBe(2);
    sm.apply({ kind: 'compact', revision: rev(3) });
    expect(sm.keyCount).toBe(2); // a's delete at 4 is above the compaction point
    sm.apply({ kind: 'compact', revision: rev(4) });
    expect(sm.keyCount).toBe(1);
  });

  it('an error at the current revision carries no compactRevision unless it is compacted', () => {
    const sm = storeWith([put('a'), put('a'), { kind: 'compact', revision: rev(2) }]);
    expect(sm.apply(get('a', { revision: rev(9) }))).toEqual({
      kind: 'error',
      reason: 'future-revision',
      header: { revision: 3 },
    });
    expect(sm.apply({ kind: 'compact', revision: rev(2) })).toEqual({
      kind: 'error',
      reason: 'compacted',
      header: { revision: 3 },
      compactRevision: 2,
    });
  });
});
