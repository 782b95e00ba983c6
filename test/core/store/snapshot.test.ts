import { describe, expect, it } from 'vitest';
import {
  FROM_KEY,
  KvStateMachine,
  leaseId,
  revision,
  type Op,
  type WatchResponse,
} from '../../../core/store/index.ts';
import { encodeImage } from '../../../core/store/snapshot.ts';
import { fnv1a64Hex } from '../../../core/util/fnv-hash.ts';
import { decodeEntryOp, encodeEntryOp } from '../../../core/store/member/op-codec.ts';

const rev = revision;
const L = leaseId(42);

function history(): Op[] {
  return [
    { kind: 'lease-grant', id: L, ttlSeconds: 30 },
    { kind: 'lease-grant', id: leaseId(43), ttlSeconds: 5 },
    { kind: 'put', key: '/a', value: '1' }, // 2
    { kind: 'put', key: '/a', value: '2' }, // 3
    { kind: 'put', key: '/b', value: '1', lease: L }, // 4
    { kind: 'delete-range', key: '/a' }, // 5
    { kind: 'put', key: '/a', value: '3' }, // 6
    {
      kind: 'txn',
      compare: [],
      success: [
        { kind: 'put', key: '/c', value: 'c' },
        { kind: 'put', key: '/ü', value: 'unicode ✓' },
        { kind: 'delete-range', key: '/a' },
      ],
      failure: [],
    }, // 7
    { kind: 'compact', revision: rev(4) },
    { kind: 'put', key: '/a', value: '4', lease: L }, // 8
    { kind: 'put', key: '/c', value: 'c2' }, // 9
  ];
}

function build(): KvStateMachine {
  const sm = new KvStateMachine();
  for (const op of history()) expect(sm.apply(op).kind).not.toBe('error');
  return sm;
}

function allKeysAt(sm: KvStateMachine, at: number): unknown {
  return sm.apply({ kind: 'range', key: FROM_KEY, rangeEnd: FROM_KEY, revision: rev(at) });
}

function watchAll(sm: KvStateMachine, from: number): WatchResponse[] {
  const result = sm.watch({
    key: FROM_KEY,
    rangeEnd: FROM_KEY,
    startRevision: rev(from),
    prevKv: true,
  });
  expect(result.kind).toBe('created');
  return sm.drainWatchEvents();
}

describe('snapshot', () => {
  it('round-trips revision, compaction point, keys, history and leases', () => {
    const original = build();
    const bytes = original.snapshot();
    const restored = KvStateMachine.restore(bytes);
    expect(restored.revision).toBe(9);
    expect(restored.compactRevision).toBe(4);
    expect(restored.snapshot()).toEqual(bytes);
    expect(restored.hash()).toBe(original.hash());
    expect(restored.leases()).toEqual(original.leases());
    expect(restored.leases()).toEqual([
      { id: 42, ttlSeconds: 30, keys: ['/a', '/b'] },
      { id: 43, ttlSeconds: 5, keys: [] },
    ]);
    for (let at = 4; at <= 9; at++)
      expect(allKeysAt(restored, at)).toEqual(allKeysAt(original, at));
    expect(allKeysAt(restored, 3)).toMatchObject({ kind: 'error', reason: 'compacted' });
  });

  it('rebuilds the watch history above the compaction point', () => {
    const original = build();
    const restored = KvStateMachine.restore(original.snapshot());
    // Strictly equal: a rebuilt PUT that opens a generation has no prevKv field, as the live one.
    for (const from of [5, 7, 9, 10])
      expect(watchAll(restored, from)).toStrictEqual(watchAll(original, from));
    expect(watchAll(restored, 5).map((r) => r.revision)).toEqual([5, 6, 7, 8, 9]);
  });

  it('refuses a snapshot whose history does not add up, naming what is wrong', () => {
    type Json = { revision: number; keys: [string, [number, number, unknown[][], unknown][]][] };
    const tampered = (change: (json: Json) => void): Uint8Array => {
      const json = JSON.parse(new TextDecoder().decode(build().snapshot())) as Json;
      change(json);
      return new TextEncoder().encode(JSON.stringify(json));
    };
    expect(() =>
      KvStateMachine.restore(
        tampered((json) => {
          json.revision = 10;
        }),
      ),
    ).toThrow('snapshot: revision 10 has no changes');
    expect(() =>
      KvStateMachine.restore(
        tampered((json) => {
          json.revision = 8;
        }),
      ),
    ).toThrow('snapshot: changes above the current revision');
    // /c's put at 9, the only change of revision 9, claims sub-revision 1.
    expect(() =>
      KvStateMachine.restore(
        tampered((json) => {
          const c = json.keys.find(([key]) => key === '/c')!;
          const version = c[1][0]![2].find(([modRevision]) => modRevision === 9)!;
          version[1] = 1;
        }),
      ),
    ).toThrow('snapshot: revision 9 has sub-revision gaps');
  });

  it('a restored store continues exactly like the original', () => {
    const original = build();
    const restored = KvStateMachine.restore(original.snapshot());
    const more: Op[] = [
      { kind: 'lease-revoke', id: L },
      { kind: 'put', key: '/a', value: '5' },
      { kind: 'compact', revision: rev(10) },
      { kind: 'range', key: '/a', revision: rev(10) },
      { kind: 'put', key: '/d', value: 'd', prevKv: true },
    ];
    for (const op of more) expect(restored.apply(op)).toEqual(original.apply(op));
    expect(restored.hash()).toBe(original.hash());
  });

  it('restores a key whose last change is a delete above the compaction point', () => {
    const original = new KvStateMachine();
    for (const op of [
      { kind: 'put', key: '/x', value: '1' },
      { kind: 'delete-range', key: '/x' },
    ] as const)
      expect(original.apply(op).kind).not.toBe('error');
    const restored = KvStateMachine.restore(original.snapshot());
    expect(allKeysAt(restored, 2)).toEqual(allKeysAt(original, 2));
    expect(watchAll(restored, 2)).toEqual(watchAll(original, 2));
    expect(restored.hash()).toBe(original.hash());
  });

  it('is deterministic and sensitive to state', () => {
    expect(build().hash()).toBe(build().hash());
    const changed = build();
    changed.apply({ kind: 'put', key: '/a', value: '4', lease: L }); // same value, new revision
    expect(changed.hash()).not.toBe(build().hash());
    const empty = new KvStateMachine();
    expect(new TextDecoder().decode(empty.snapshot())).toBe(
      '{"format":"ksim-mvcc/1","revision":1,"compactRevision":0,"leases":[],"keys":[]}',
    );
  });

  it('watchers are not part of the state', () => {
    const sm = build();
    const before = sm.hash();
    sm.watch({ key: '/a' });
    expect(sm.hash()).toBe(before);
  });
});

describe('store image', () => {
  it('encodes to the snapshot bytes of the moment it was taken, whatever the store does after', () => {
    const sm = build();
    const bytes = sm.snapshot();
    const image = sm.image();
    expect(encodeImage(image)).toEqual(bytes);
    // Writes to a key the image holds (a new version, a delete, a new generation), a new key,
    // a lease revoke and a compaction that trims the image's versions: the image stays.
    const more: Op[] = [
      { kind: 'put', key: '/c', value: 'c3' },
      { kind: 'delete-range', key: '/b' },
      { kind: 'put', key: '/b', value: 'again' },
      { kind: 'put', key: '/new', value: 'n' },
      { kind: 'lease-revoke', id: L },
      { kind: 'compact', revision: rev(12) },
    ];
    for (const op of more) expect(sm.apply(op).kind).not.toBe('error');
    expect(sm.snapshot()).not.toEqual(bytes);
    expect(encodeImage(image)).toEqual(bytes);
  });

  it('restores a store that continues like the original and leaves the image as it was', () => {
    const original = build();
    const image = original.image();
    const bytes = encodeImage(image);
    const restored = KvStateMachine.restore(image);
    expect(restored.hash()).toBe(original.hash());
    for (const from of [5, 7, 9, 10])
      expect(watchAll(restored, from)).toEqual(watchAll(original, from));
    const more: Op[] = [
      { kind: 'put', key: '/a', value: '5' },
      { kind: 'delete-range', key: '/c' },
      { kind: 'compact', revision: rev(10) },
      { kind: 'put', key: '/d', value: 'd', prevKv: true },
    ];
    for (const op of more) expect(restored.apply(op)).toEqual(original.apply(op));
    expect(restored.hash()).toBe(original.hash());
    expect(encodeImage(image)).toEqual(bytes);
    // A second store from the same image starts where the first did.
    expect(KvStateMachine.restore(image).hash()).toBe(build().hash());
  });
});

describe('op encoding', () => {
  it('round-trips every op through entry bytes and applies the same', () => {
    const direct = new KvStateMachine();
    const encoded = new KvStateMachine();
    for (const op of history()) {
      // A buffer of its own, as read back from the WAL: parsed, not taken from the memo.
      const bytes = Uint8Array.from(encodeEntryOp(op));
      expect(decodeEntryOp(bytes)).toEqual(op);
      expect(encoded.apply(decodeEntryOp(bytes))).toEqual(direct.apply(op));
    }
    expect(encoded.hash()).toBe(direct.hash());
  });
});

describe('fnv1a64Hex', () => {
  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('%j -> %s', (input, expected) => {
    expect(fnv1a64Hex(new TextEncoder().encode(input))).toBe(expected);
  });
});
