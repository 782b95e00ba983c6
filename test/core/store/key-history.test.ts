/**
 * One key's versions (core/store/key-history.ts) across generations: what a read at each past
 * revision sees, and what compaction keeps. The store's tests mostly build histories of one
 * generation; a key deleted and created again before compaction (older generations) and the
 * binary search over many versions are exercised here directly (mutation testing,
 * test/mutation/SCORES.md).
 */
import { describe, expect, it } from 'vitest';
import { KeyHistory } from '../../../core/store/key-history.ts';
import { leaseId, revision, type KeyValue } from '../../../core/store/index.ts';

function kv(modRevision: number, version: number, createRevision: number): KeyValue {
  return {
    key: 'k',
    value: `v${modRevision}`,
    createRevision: revision(createRevision),
    modRevision: revision(modRevision),
    version,
    lease: leaseId(0),
  };
}

/**
 * Generation 1: puts at 2, 3, 4, deleted at 5. Generation 2: puts at 7, 8, deleted at 9.
 * Generation 3: puts at 11, 12, 13, 14, 15 (live).
 */
function build(): KeyHistory {
  const h = KeyHistory.created(kv(2, 1, 2), 0);
  h.put(kv(3, 2, 2), 0);
  h.put(kv(4, 3, 2), 1);
  h.delete(revision(5), 0);
  h.put(kv(7, 1, 7), 0);
  h.put(kv(8, 2, 7), 0);
  h.delete(revision(9), 2);
  for (let r = 11; r <= 15; r++) h.put(kv(r, r - 10, 11), 0);
  return h;
}

const valueAt = (h: KeyHistory, rev: number) => h.at(revision(rev))?.value ?? null;

describe('KeyHistory reads', () => {
  it.each([
    [1, null],
    [2, 'v2'],
    [3, 'v3'],
    [4, 'v4'],
    [5, null],
    [6, null],
    [7, 'v7'],
    [8, 'v8'],
    [9, null],
    [10, null],
    [11, 'v11'],
    [12, 'v12'],
    [13, 'v13'],
    [14, 'v14'],
    [15, 'v15'],
    [99, 'v15'],
  ])('at revision %i sees %s', (rev, want) => {
    expect(valueAt(build(), rev)).toBe(want);
  });

  it('the live value is the newest put, none after a delete', () => {
    const h = build();
    expect(h.latest()?.value).toBe('v15');
    h.delete(revision(16), 0);
    expect(h.latest()).toBeNull();
    expect(() => h.delete(revision(17), 0)).toThrow('delete of a deleted key');
  });

  it('generations are listed oldest first with their tombstones and sub-revisions', () => {
    const gens = build().generations();
    expect(gens.map((g) => [g.kvs.map((v) => v.modRevision), g.subs, g.tombstone])).toEqual([
      [[2, 3, 4], [0, 0, 1], { revision: 5, sub: 0 }],
      [[7, 8], [0, 0], { revision: 9, sub: 2 }],
      [[11, 12, 13, 14, 15], [0, 0, 0, 0, 0], null],
    ]);
  });

  it('a history whose newest generation is closed (from a snapshot) has no live value', () => {
    const h = new KeyHistory('k', [
      { kvs: [kv(2, 1, 2)], subs: [0], tombstone: { revision: revision(3), sub: 0 } },
    ]);
    expect(h.latest()).toBeNull();
    expect(valueAt(h, 2)).toBe('v2');
    expect(valueAt(h, 3)).toBeNull();
  });

  it('needs a generation', () => {
    expect(() => new KeyHistory('k', [])).toThrow('KeyHistory needs a generation');
  });
});

describe('KeyHistory compaction', () => {
  const revs = (h: KeyHistory) => h.generations().map((g) => g.kvs.map((v) => v.modRevision));

  it.each([
    // compact at, kept versions per generation
    [
      1,
      [
        [2, 3, 4],
        [7, 8],
        [11, 12, 13, 14, 15],
      ],
    ],
    [
      3,
      [
        [3, 4],
        [7, 8],
        [11, 12, 13, 14, 15],
      ],
    ],
    [4, [[4], [7, 8], [11, 12, 13, 14, 15]]],
    // A generation closed at or below the compaction revision goes entirely.
    [
      5,
      [
        [7, 8],
        [11, 12, 13, 14, 15],
      ],
    ],
    [
      6,
      [
        [7, 8],
        [11, 12, 13, 14, 15],
      ],
    ],
    [8, [[8], [11, 12, 13, 14, 15]]],
    [9, [[11, 12, 13, 14, 15]]],
    [10, [[11, 12, 13, 14, 15]]],
    [13, [[13, 14, 15]]],
    [14, [[14, 15]]],
    [15, [[15]]],
  ])('at %i keeps %j', (at, kept) => {
    const h = build();
    expect(h.compact(revision(at))).toBe(true);
    expect(revs(h)).toEqual(kept);
    // Every read at or above the compaction revision is unchanged.
    const before = build();
    for (let r = at; r <= 16; r++) expect(valueAt(h, r)).toBe(valueAt(before, r));
  });

  it('sub-revisions stay aligned with their versions after a trim and later puts', () => {
    const h = KeyHistory.created(kv(2, 1, 2), 5);
    h.put(kv(3, 2, 2), 6);
    h.put(kv(4, 3, 2), 7);
    h.compact(revision(3));
    h.put(kv(5, 4, 2), 8);
    const [gen] = h.generations();
    expect(gen!.kvs.map((v) => v.modRevision)).toEqual([3, 4, 5]);
    expect(gen!.subs).toEqual([6, 7, 8]);
  });

  it('a deleted key compacted past its tombstone is gone; before it, its versions stay', () => {
    const h = KeyHistory.created(kv(2, 1, 2), 0);
    h.put(kv(3, 2, 2), 0);
    h.delete(revision(4), 0);
    expect(h.compact(revision(3))).toBe(true);
    expect(revs(h)).toEqual([[3]]);
    expect(h.compact(revision(4))).toBe(false);
  });

  it('settled: one live generation with one version', () => {
    const h = KeyHistory.created(kv(2, 1, 2), 0);
    expect(h.isSettled()).toBe(true);
    h.put(kv(3, 2, 2), 0);
    expect(h.isSettled()).toBe(false);
    h.compact(revision(3));
    expect(h.isSettled()).toBe(true);
    h.delete(revision(4), 0);
    expect(h.isSettled()).toBe(false);
    h.put(kv(5, 1, 5), 0);
    // Live with one version, but the closed generation is still readable at 3.
    expect(h.isSettled()).toBe(false);
    h.compact(revision(4));
    expect(h.isSettled()).toBe(true);
  });
});
