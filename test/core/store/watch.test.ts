import { describe, expect, it } from 'vitest';
import {
  FROM_KEY,
  KvStateMachine,
  MvccStore,
  prefix,
  revision,
  type Op,
  type PutOp,
  type WatchCreateResult,
  type WatchId,
  type WatchResponse,
  WatchHub,
  watchId,
} from '../../../core/store/index.ts';

const rev = revision;

function storeWith(ops: readonly Op[]): KvStateMachine {
  const sm = new KvStateMachine();
  for (const op of ops) expect(sm.apply(op).kind).not.toBe('error');
  return sm;
}

function created(result: WatchCreateResult): WatchId {
  expect(result.kind).toBe('created');
  if (result.kind !== 'created') throw new Error('watch refused');
  return result.watchId;
}

/** [watchId, revision, ['PUT a=v' | 'DELETE a' per event]] per response. */
function summary(responses: readonly WatchResponse[]): [number, number, string[]][] {
  return responses.map((r) => [
    r.watchId,
    r.revision,
    r.events.map((e) =>
      e.type === 'PUT' ? `PUT ${e.kv.key}=${e.kv.value}` : `DELETE ${e.kv.key}`,
    ),
  ]);
}

const put = (key: string, value = 'v'): Op => ({ kind: 'put', key, value });

describe('watch', () => {
  it('delivers live changes once, grouped per revision; a txn is one batch', () => {
    const sm = new KvStateMachine();
    const id = created(sm.watch({ ...prefix('/p/') }));
    sm.apply(put('/p/a', '1'));
    sm.apply(put('/q', '1'));
    const txnPut = (key: string): PutOp => ({ kind: 'put', key, value: 'v' });
    sm.apply({
      kind: 'txn',
      compare: [],
      success: [txnPut('/p/b'), txnPut('/x'), txnPut('/p/c')],
      failure: [],
    });
    expect(summary(sm.drainWatchEvents())).toEqual([
      [id, 2, ['PUT /p/a=1']],
      [id, 4, ['PUT /p/b=v', 'PUT /p/c=v']],
    ]);
    expect(sm.drainWatchEvents()).toEqual([]);
  });

  it.each([
    { start: 0, expected: [[6, ['PUT a=3']]] },
    {
      start: 2,
      expected: [
        [2, ['PUT a=1']],
        [3, ['PUT a=2']],
        [4, ['PUT b=v']],
        [5, ['DELETE b']],
        [6, ['PUT a=3']],
      ],
    },
    {
      start: 5,
      expected: [
        [5, ['DELETE b']],
        [6, ['PUT a=3']],
      ],
    },
    { start: 6, expected: [[6, ['PUT a=3']]] },
    { start: 7, expected: [] },
  ])('from revision $start: history, then live changes', ({ start, expected }) => {
    // a=1 @2, a=2 @3, b @4, delete b @5
    const sm = storeWith([
      put('a', '1'),
      put('a', '2'),
      put('b'),
      { kind: 'delete-range', key: 'b' },
    ]);
    const id = created(sm.watch({ key: FROM_KEY, rangeEnd: FROM_KEY, startRevision: rev(start) }));
    sm.apply(put('a', '3')); // @6
    expect(summary(sm.drainWatchEvents())).toEqual(expected.map(([r, events]) => [id, r, events]));
  });

  it('from a past revision: history first, then live, in order and without gaps', () => {
    const sm = storeWith([
      put('a', '1'),
      put('b', '1'),
      { kind: 'delete-range', key: 'b' },
      put('a', '2'),
    ]); // 2..5
    const fromPast = created(
      sm.watch({ key: FROM_KEY, rangeEnd: FROM_KEY, startRevision: rev(3) }),
    );
    const fromNow = created(sm.watch({ key: 'a' }));
    sm.apply(put('a', '3')); // 6
    expect(summary(sm.drainWatchEvents())).toEqual([
      [fromPast, 3, ['PUT b=1']],
      [fromPast, 4, ['DELETE b']],
      [fromPast, 5, ['PUT a=2']],
      [fromPast, 6, ['PUT a=3']],
      [fromNow, 6, ['PUT a=3']],
    ]);
  });

  it('from a future revision: nothing before it', () => {
    const sm = storeWith([put('a', '1')]); // 2
    const id = created(sm.watch({ key: 'a', startRevision: rev(4) }));
    sm.apply(put('a', '2')); // 3
    sm.apply(put('a', '3')); // 4
    sm.apply(put('a', '4')); // 5
    expect(summary(sm.drainWatchEvents())).toEqual([
      [id, 4, ['PUT a=3']],
      [id, 5, ['PUT a=4']],
    ]);
  });

  it.each([
    { start: 2, ok: false },
    { start: 4, ok: false },
    { start: 5, ok: true },
    { start: 0, ok: true },
  ])('after compaction at 4, start $start accepted: $ok', ({ start, ok }) => {
    const sm = storeWith([
      put('a', '1'),
      put('a', '2'),
      put('b'),
      put('a', '3'),
      { kind: 'compact', revision: rev(4) },
    ]);
    const result = sm.watch({ key: 'a', startRevision: rev(start) });
    if (!ok) {
      expect(result).toEqual({
        kind: 'error',
        reason: 'compacted',
        header: { revision: 5 },
        compactRevision: 4,
      });
      return;
    }
    const id = created(result);
    expect(summary(sm.drainWatchEvents())).toEqual(start === 5 ? [[id, 5, ['PUT a=3']]] : []);
  });

  it('prevKv is attached only when asked for; a delete carries a tombstone', () => {
    const sm = storeWith([put('a', '1')]);
    const withPrev = created(sm.watch({ key: 'a', prevKv: true }));
    const without = created(sm.watch({ key: 'a' }));
    sm.apply(put('a', '2'));
    sm.apply({ kind: 'delete-range', key: 'a' });
    const tombstone = {
      key: 'a',
      value: '',
      createRevision: 0,
      modRevision: 4,
      version: 0,
      lease: 0,
    };
    const v1 = { key: 'a', value: '1', createRevision: 2, modRevision: 2, version: 1, lease: 0 };
    const v2 = { key: 'a', value: '2', createRevision: 2, modRevision: 3, version: 2, lease: 0 };
    expect(sm.drainWatchEvents()).toEqual([
      { watchId: withPrev, revision: 3, events: [{ type: 'PUT', kv: v2, prevKv: v1 }] },
      { watchId: withPrev, revision: 4, events: [{ type: 'DELETE', kv: tombstone, prevKv: v2 }] },
      { watchId: without, revision: 3, events: [{ type: 'PUT', kv: v2 }] },
      { watchId: without, revision: 4, events: [{ type: 'DELETE', kv: tombstone }] },
    ]);
  });

  it('single-key, range and from-key watchers see only their keys', () => {
    const sm = new KvStateMachine();
    const exact = created(sm.watch({ key: 'b' }));
    const range = created(sm.watch({ key: 'b', rangeEnd: 'd' }));
    const fromKey = created(sm.watch({ key: 'c', rangeEnd: FROM_KEY }));
    for (const key of ['a', 'b', 'c', 'd', 'bb']) sm.apply(put(key));
    expect(summary(sm.drainWatchEvents())).toEqual([
      [exact, 3, ['PUT b=v']],
      [range, 3, ['PUT b=v']],
      [range, 4, ['PUT c=v']],
      [range, 6, ['PUT bb=v']],
      [fromKey, 4, ['PUT c=v']],
      [fromKey, 5, ['PUT d=v']],
    ]);
  });

  it('many watchers on one prefix all receive each change', () => {
    const sm = new KvStateMachine();
    const ids = Array.from({ length: 50 }, () =>
      created(sm.watch({ ...prefix('/registry/pods/') })),
    );
    sm.apply(put('/registry/pods/default/p1'));
    const responses = sm.drainWatchEvents();
    expect(responses.map((r) => r.watchId)).toEqual(ids);
    expect(responses.every((r) => r.revision === 2 && r.events.length === 1)).toBe(true);
  });

  it('cancel stops delivery and drops undrained responses', () => {
    const sm = new KvStateMachine();
    const a = created(sm.watch({ key: 'k' }));
    const b = created(sm.watch({ key: 'k' }));
    const c = created(sm.watch({ ...prefix('k') }));
    sm.apply(put('k'));
    expect(sm.cancelWatch(a)).toBe(true);
    expect(sm.cancelWatch(c)).toBe(true);
    expect(sm.cancelWatch(a)).toBe(false);
    sm.apply(put('k'));
    expect(summary(sm.drainWatchEvents())).toEqual([
      [b, 2, ['PUT k=v']],
      [b, 3, ['PUT k=v']],
    ]);
  });

  it('progress: caught-up watchers at the current revision; explicit ids or progressNotify ones', () => {
    const sm = new KvStateMachine();
    const notify = created(sm.watch({ key: 'a', progressNotify: true }));
    const quiet = created(sm.watch({ key: 'b' }));
    sm.apply(put('a'));
    expect(sm.progress()).toEqual([]); // notify has an undrained response
    expect(sm.progress([quiet])).toEqual([{ watchId: quiet, revision: 2 }]);
    sm.drainWatchEvents();
    sm.apply(put('c'));
    expect(sm.progress()).toEqual([{ watchId: notify, revision: 3 }]);
    expect(sm.progress([quiet, notify])).toEqual([
      { watchId: quiet, revision: 3 },
      { watchId: notify, revision: 3 },
    ]);
  });

  it('drain orders responses by watch id, not by which watcher a change reached first', () => {
    const sm = new KvStateMachine();
    const onA = created(sm.watch({ key: 'a' }));
    const onB = created(sm.watch({ key: 'b' }));
    sm.apply(put('b')); // 2: reaches the second watcher first
    sm.apply(put('a')); // 3
    expect(summary(sm.drainWatchEvents())).toEqual([
      [onA, 3, ['PUT a=v']],
      [onB, 2, ['PUT b=v']],
    ]);
  });

  it('catching up from the past skips revisions that did not touch the watched keys', () => {
    const sm = storeWith([put('a', '1'), put('b'), put('a', '2')]); // 2..4
    const id = created(sm.watch({ key: 'a', startRevision: rev(2) }));
    expect(summary(sm.drainWatchEvents())).toEqual([
      [id, 2, ['PUT a=1']],
      [id, 4, ['PUT a=2']],
    ]);
  });

  it('refuses an empty key, with the current revision and nothing else', () => {
    expect(storeWith([put('a')]).watch({ key: '' })).toEqual({
      kind: 'error',
      reason: 'empty-key',
      header: { revision: 2 },
    });
  });

  it('progress for an unknown or cancelled id reports nothing for it', () => {
    const sm = new KvStateMachine();
    const gone = created(sm.watch({ key: 'a' }));
    const kept = created(sm.watch({ key: 'a' }));
    sm.cancelWatch(gone);
    expect(sm.progress([gone, kept, watchId(99)])).toEqual([{ watchId: kept, revision: 1 }]);
  });

  it('the hub counts its watchers', () => {
    const hub = new WatchHub(new MvccStore());
    const a = created(hub.watch({ key: 'a' }));
    created(hub.watch({ key: 'b', rangeEnd: 'c' }));
    expect(hub.size).toBe(2);
    hub.cancel(a);
    expect(hub.size).toBe(1);
  });
});
