/**
 * Direct tests of the log's pieces (Unstable, RaftLog, MemoryStorage, entry-size), written for
 * the mutants that the data-driven interaction tests let survive: boundaries between the stable
 * and unstable parts, size limits at their exact edge, and the assertions that guard misuse.
 */
import { describe, expect, test } from 'vitest';
import { AssertionError } from '../../../core/util/assert.ts';
import {
  asIndex,
  asTerm,
  EMPTY_DATA,
  MemoryStorage,
  type Entry,
  type Snapshot,
} from '../../../core/raft/index.ts';
import {
  ENTRY_OVERHEAD_BYTES,
  entriesSizeBytes,
  entrySizeBytes,
  limitEntriesEnd,
} from '../../../core/raft/entry-size.ts';
import { RaftLog } from '../../../core/raft/log.ts';
import { Unstable } from '../../../core/raft/unstable.ts';

const ent = (term: number, index: number, data = ''): Entry => ({
  term: asTerm(term),
  index: asIndex(index),
  type: 'normal',
  data: data === '' ? EMPTY_DATA : new TextEncoder().encode(data),
});
/** Entries index..index+terms.length-1 with the given terms. */
const run = (index: number, ...ts: number[]): Entry[] => ts.map((t, k) => ent(t, index + k));
const terms = (es: readonly Entry[] | undefined) =>
  es === undefined ? 'undefined' : es.map((e) => `${e.term}/${e.index}`).join(' ');
const snap = (index: number, term: number): Snapshot => ({
  metadata: { index: asIndex(index), term: asTerm(term), confState: { voters: [], learners: [] } },
  data: EMPTY_DATA,
});
/** Each entry with 4 bytes of data: 20 bytes with the overhead. */
const SIZE4 = 4 + ENTRY_OVERHEAD_BYTES;
const ent4 = (term: number, index: number) => ent(term, index, 'abcd');

function unstable(offset: number, entries: Entry[], snapshot?: Snapshot): Unstable {
  const u = new Unstable(asIndex(offset));
  u.entries = entries;
  if (snapshot !== undefined) u.snapshot = snapshot;
  return u;
}

describe('entry size', () => {
  test('an entry costs its data plus a fixed overhead; a list the sum', () => {
    expect(entrySizeBytes(ent(1, 1))).toBe(ENTRY_OVERHEAD_BYTES);
    expect(entrySizeBytes(ent4(1, 1))).toBe(SIZE4);
    expect(entriesSizeBytes([])).toBe(0);
    expect(entriesSizeBytes([ent4(1, 1), ent(1, 2, 'ab')])).toBe(SIZE4 + 2 + ENTRY_OVERHEAD_BYTES);
  });

  test('limitEntriesEnd keeps entries whose total is exactly the limit, and at least one', () => {
    const es = run(1, 1, 1, 1, 1).map((e) => ent4(e.term, e.index));
    expect(limitEntriesEnd(es, 0, 4, 2 * SIZE4)).toBe(2);
    expect(limitEntriesEnd(es, 0, 4, 2 * SIZE4 - 1)).toBe(1);
    expect(limitEntriesEnd(es, 1, 4, 0)).toBe(2);
    expect(limitEntriesEnd(es, 1, 3, Infinity)).toBe(3);
    expect(limitEntriesEnd(es, 2, 2, Infinity)).toBe(2);
    expect(limitEntriesEnd(es, 3, 2, Infinity)).toBe(3);
  });
});

describe('Unstable', () => {
  test('first and last index come from the snapshot and the entries', () => {
    expect(unstable(5, []).maybeFirstIndex()).toBeUndefined();
    expect(unstable(5, []).maybeLastIndex()).toBeUndefined();
    expect(unstable(5, run(5, 1)).maybeFirstIndex()).toBeUndefined();
    expect(unstable(5, run(5, 1, 1)).maybeLastIndex()).toBe(6);
    expect(unstable(5, [], snap(4, 1)).maybeFirstIndex()).toBe(5);
    expect(unstable(5, [], snap(4, 1)).maybeLastIndex()).toBe(4);
    expect(unstable(5, run(5, 1, 1), snap(4, 1)).maybeLastIndex()).toBe(6);
  });

  test('maybeTerm reads the entries, or the snapshot at its own index only', () => {
    const u = unstable(5, run(5, 2, 3), snap(4, 1));
    expect([3, 4, 5, 6, 7].map((i) => u.maybeTerm(asIndex(i)))).toEqual([
      undefined,
      1,
      2,
      3,
      undefined,
    ]);
    expect(unstable(5, run(5, 2)).maybeTerm(asIndex(4))).toBeUndefined();
  });

  test('entries handed out are not handed out again; a new append is', () => {
    const u = unstable(5, run(5, 1, 1));
    expect(u.hasNextEntries()).toBe(true);
    expect(terms(u.nextEntries())).toBe('1/5 1/6');
    u.acceptInProgress();
    expect(u.offsetInProgress).toBe(7);
    expect(u.hasNextEntries()).toBe(false);
    expect(u.nextEntries()).toEqual([]);
    u.truncateAndAppend(run(7, 1));
    expect(u.hasNextEntries()).toBe(true);
    expect(terms(u.nextEntries())).toBe('1/7');
  });

  test('a snapshot is handed out once, and accepting leaves entries in progress alone', () => {
    const u = unstable(5, [], snap(4, 1));
    expect(u.nextSnapshot()).toBe(u.snapshot);
    u.acceptInProgress();
    expect(u.snapshotInProgress).toBe(true);
    expect(u.nextSnapshot()).toBeUndefined();
    expect(u.offsetInProgress).toBe(5);
    const v = unstable(5, run(5, 1));
    v.acceptInProgress();
    expect(v.snapshotInProgress).toBe(false);
  });

  test('stableTo drops the persisted prefix and moves the in-progress mark up to it', () => {
    const u = unstable(5, run(5, 1, 1, 1));
    u.stableTo(asIndex(6), asTerm(1));
    expect(u.offset).toBe(7);
    expect(u.offsetInProgress).toBe(7);
    expect(terms(u.entries)).toBe('1/7');
    // Already further in progress: stays.
    const v = unstable(5, run(5, 1, 1, 1));
    v.acceptInProgress();
    v.stableTo(asIndex(5), asTerm(1));
    expect(v.offset).toBe(6);
    expect(v.offsetInProgress).toBe(8);
  });

  test('stableTo ignores a replaced entry, an unknown one and the snapshot index', () => {
    const u = unstable(5, run(5, 2, 2), snap(4, 1));
    u.stableTo(asIndex(5), asTerm(1)); // the entry at 5 has term 2 now
    u.stableTo(asIndex(9), asTerm(2));
    u.stableTo(asIndex(4), asTerm(1)); // the snapshot's index: its term matches, but below offset
    expect(u.offset).toBe(5);
    expect(terms(u.entries)).toBe('2/5 2/6');
  });

  test('stableSnapTo clears only the snapshot at that index', () => {
    const u = unstable(5, [], snap(4, 1));
    u.acceptInProgress();
    u.stableSnapTo(asIndex(3));
    expect(u.snapshot).toBeDefined();
    expect(u.snapshotInProgress).toBe(true);
    u.stableSnapTo(asIndex(4));
    expect(u.snapshot).toBeUndefined();
    expect(u.snapshotInProgress).toBe(false);
  });

  test('restore replaces everything with the snapshot, not yet in progress', () => {
    const u = unstable(5, run(5, 1, 1));
    u.acceptInProgress();
    u.restore(snap(10, 3));
    expect(u.offset).toBe(11);
    expect(u.offsetInProgress).toBe(11);
    expect(u.entries).toEqual([]);
    expect(u.nextSnapshot()?.metadata.index).toBe(10);
  });

  test('truncateAndAppend: after the tail, over everything, or into the middle', () => {
    const after = unstable(5, run(5, 1));
    after.truncateAndAppend(run(6, 1, 1));
    expect(terms(after.entries)).toBe('1/5 1/6 1/7');
    expect(after.offset).toBe(5);

    const over = unstable(5, run(5, 1, 1));
    over.acceptInProgress();
    over.truncateAndAppend(run(4, 2, 2));
    expect(terms(over.entries)).toBe('2/4 2/5');
    expect(over.offset).toBe(4);
    expect(over.offsetInProgress).toBe(4);

    const atOffset = unstable(5, run(5, 1, 1));
    atOffset.acceptInProgress();
    atOffset.truncateAndAppend(run(5, 2));
    expect(terms(atOffset.entries)).toBe('2/5');
    expect(atOffset.offsetInProgress).toBe(5);

    const middle = unstable(5, run(5, 1, 1, 1));
    middle.acceptInProgress();
    middle.truncateAndAppend(run(6, 2, 2, 2));
    expect(terms(middle.entries)).toBe('1/5 2/6 2/7 2/8');
    expect(middle.offset).toBe(5);
    expect(middle.offsetInProgress).toBe(6);
    expect(terms(middle.nextEntries())).toBe('2/6 2/7 2/8');

    // Truncating above what is in progress leaves the mark where it is.
    const above = unstable(5, run(5, 1, 1, 1));
    above.stableTo(asIndex(5), asTerm(1));
    above.truncateAndAppend(run(7, 2));
    expect(terms(above.entries)).toBe('1/6 2/7');
    expect(above.offsetInProgress).toBe(6);

    const none = unstable(5, run(5, 1));
    none.truncateAndAppend([]);
    expect(terms(none.entries)).toBe('1/5');
  });

  test('truncateAndAppend copies the entries it takes over: the caller keeps its array', () => {
    const u = unstable(5, run(5, 1));
    const batch = run(5, 2);
    u.truncateAndAppend(batch);
    u.truncateAndAppend(run(6, 2));
    expect(terms(batch)).toBe('2/5');
    expect(terms(u.entries)).toBe('2/5 2/6');
  });

  test('slice is bounded by the unstable range and by size', () => {
    const u = unstable(5, [ent4(1, 5), ent4(1, 6), ent4(1, 7)]);
    expect(terms(u.slice(asIndex(5), asIndex(8), Infinity))).toBe('1/5 1/6 1/7');
    expect(terms(u.slice(asIndex(6), asIndex(8), SIZE4))).toBe('1/6');
    expect(terms(u.slice(asIndex(6), asIndex(6), Infinity))).toBe('');
    expect(() => u.slice(asIndex(4), asIndex(6), Infinity)).toThrow(
      new AssertionError('unstable.slice[4,6) out of bound [5,8]'),
    );
    expect(() => u.slice(asIndex(6), asIndex(9), Infinity)).toThrow(AssertionError);
    expect(() => u.slice(asIndex(7), asIndex(6), Infinity)).toThrow(AssertionError);
  });
});

describe('MemoryStorage', () => {
  test('holds the hard state and the snapshot conf state it is given', () => {
    const s = new MemoryStorage();
    const hs = { term: asTerm(3), vote: 2 as never, commit: asIndex(1) };
    s.setHardState(hs);
    expect(s.initialState().hardState).toBe(hs);
    const conf = { voters: [1, 2].map((n) => n as never), learners: [] };
    s.append(run(1, 1, 1));
    s.createSnapshot(asIndex(2), conf, EMPTY_DATA);
    expect(s.initialState().confState).toBe(conf);
  });

  test('term is known from the snapshot index to the last index', () => {
    const s = new MemoryStorage();
    s.append(run(1, 1, 2, 3, 4));
    s.createSnapshot(asIndex(2), { voters: [], learners: [] }, EMPTY_DATA);
    s.compact(asIndex(2));
    expect([1, 2, 3, 4, 5].map((i) => s.term(asIndex(i)))).toEqual([undefined, 2, 3, 4, undefined]);
    expect(s.firstIndex()).toBe(3);
    expect(s.lastIndex()).toBe(4);
  });

  test('entries refuses compacted or missing ranges', () => {
    const s = new MemoryStorage();
    s.append(run(1, 1, 1, 1));
    s.createSnapshot(asIndex(1), { voters: [], learners: [] }, EMPTY_DATA);
    s.compact(asIndex(1));
    expect(() => s.entries(asIndex(1), asIndex(2), Infinity)).toThrow(
      new AssertionError('entries(1) below first index 2'),
    );
    expect(terms(s.entries(asIndex(2), asIndex(4), Infinity))).toBe('1/2 1/3');
    expect(() => s.entries(asIndex(2), asIndex(5), Infinity)).toThrow(
      new AssertionError('entries(2,5) beyond last index 3'),
    );
  });

  test('applySnapshot replaces the log unless it is not newer', () => {
    const s = new MemoryStorage();
    s.append(run(1, 1, 1, 1));
    expect(s.applySnapshot(snap(5, 2))).toEqual({ kind: 'ok' });
    expect(s.firstIndex()).toBe(6);
    expect(s.lastIndex()).toBe(5);
    expect(s.term(asIndex(5))).toBe(2);
    expect(s.snapshot().metadata.index).toBe(5);
    expect(s.applySnapshot(snap(5, 3))).toEqual({
      kind: 'out-of-date',
      reason: 'snapshot 5 is out of date',
    });
    expect(s.applySnapshot(snap(4, 3)).kind).toBe('out-of-date');
    expect(s.term(asIndex(5))).toBe(2);
  });

  test('createSnapshot refuses an old index and one beyond the log', () => {
    const s = new MemoryStorage();
    s.append(run(1, 1, 2, 3));
    expect(s.createSnapshot(asIndex(2), { voters: [], learners: [] }, EMPTY_DATA).kind).toBe('ok');
    expect(s.snapshot().metadata).toMatchObject({ index: 2, term: 2 });
    expect(s.createSnapshot(asIndex(2), { voters: [], learners: [] }, EMPTY_DATA)).toEqual({
      kind: 'out-of-date',
      reason: 'snapshot 2 is out of date',
    });
    expect(() => s.createSnapshot(asIndex(4), { voters: [], learners: [] }, EMPTY_DATA)).toThrow(
      new AssertionError('snapshot 4 is out of bound [0, 3]'),
    );
    // Entries stay until compact.
    expect(s.firstIndex()).toBe(1);
  });

  test('compact refuses an old index and one beyond the log; compacting to last keeps none', () => {
    const s = new MemoryStorage();
    s.append(run(1, 1, 2, 3));
    expect(s.compact(asIndex(0))).toEqual({
      kind: 'out-of-date',
      reason: 'compaction 0 is out of date',
    });
    expect(() => s.compact(asIndex(4))).toThrow(
      new AssertionError('compact 4 is out of bound lastindex(3)'),
    );
    expect(s.compact(asIndex(3)).kind).toBe('ok');
    expect(s.firstIndex()).toBe(4);
    expect(s.lastIndex()).toBe(3);
    expect(s.term(asIndex(3))).toBe(3);
  });

  test('append ignores entries wholly compacted, refuses a gap, and extends the tail', () => {
    const s = new MemoryStorage();
    s.append(run(1, 1, 1, 1, 1));
    s.createSnapshot(asIndex(3), { voters: [], learners: [] }, EMPTY_DATA);
    s.compact(asIndex(3));
    s.append(run(2, 9, 9)); // indexes 2 and 3: both compacted
    expect(s.lastIndex()).toBe(4);
    expect(s.term(asIndex(3))).toBe(1);
    s.append(run(3, 1, 2)); // 3 is compacted, 4 is replaced
    expect(terms(s.entries(asIndex(4), asIndex(5), Infinity))).toBe('2/4');
    s.append(run(5, 2));
    expect(s.lastIndex()).toBe(5);
    expect(() => s.append(run(7, 2))).toThrow(
      new AssertionError('missing log entry [last: 5, append at: 7]'),
    );
    s.append([]);
    expect(s.lastIndex()).toBe(5);
  });
});

describe('RaftLog', () => {
  function storage(...es: Entry[]): MemoryStorage {
    const s = new MemoryStorage();
    s.append(es);
    return s;
  }
  /** Stable entries 1..stable (term 1), then unstable ones up to last. */
  function split(stable: number, last: number, entry = ent4, maxApplying = Infinity): RaftLog {
    const s = storage(...Array.from({ length: stable }, (_, k) => entry(1, k + 1)));
    const l = new RaftLog(s, maxApplying);
    l.append(Array.from({ length: last - stable }, (_, k) => entry(1, stable + k + 1)));
    return l;
  }

  test('a log over compacted storage starts committed and applied at the snapshot', () => {
    const s = storage(...run(1, 1, 1, 2, 2));
    s.createSnapshot(asIndex(3), { voters: [], learners: [] }, EMPTY_DATA);
    s.compact(asIndex(3));
    const l = new RaftLog(s, Infinity);
    expect([l.committed, l.applying, l.applied]).toEqual([3, 3, 3]);
    expect(l.firstIndex()).toBe(4);
    expect(l.lastIndex()).toBe(4);
    expect(l.unstable.offset).toBe(5);
    expect([1, 2, 3, 4, 5].map((i) => l.term(asIndex(i)))).toEqual([
      undefined,
      undefined,
      2,
      2,
      undefined,
    ]);
    expect(l.termOrZero(asIndex(2))).toBe(0);
    expect(l.termOrZero(asIndex(4))).toBe(2);
    expect(l.lastTerm()).toBe(2);
  });

  test('first, last index and term follow a pending snapshot', () => {
    const l = new RaftLog(storage(...run(1, 1, 1)), Infinity);
    l.restore(snap(10, 4));
    expect(l.firstIndex()).toBe(11);
    expect(l.lastIndex()).toBe(10);
    expect(l.lastTerm()).toBe(4);
    expect(l.committed).toBe(10);
    expect(l.snapshot().metadata.index).toBe(10);
    expect(l.hasPendingSnapshot()).toBe(true);
    expect(l.nextUnstableSnapshot()?.metadata.index).toBe(10);
    l.stableSnapTo(asIndex(10));
    expect(l.hasPendingSnapshot()).toBe(false);
    expect(l.snapshot().metadata.index).toBe(0); // storage's, since the host did not apply it here
  });

  test('maybeAppend refuses to truncate committed entries', () => {
    const l = new RaftLog(storage(...run(1, 1, 1, 1)), Infinity);
    l.commitTo(asIndex(2));
    expect(() => l.maybeAppend(asIndex(1), asTerm(1), asIndex(2), run(2, 2))).toThrow(
      new AssertionError('entry 2 conflicts with committed 2'),
    );
    // A conflict just above the commit index is fine.
    expect(l.maybeAppend(asIndex(2), asTerm(1), asIndex(2), run(3, 2))).toBe(3);
    expect(terms(l.allEntries())).toBe('1/1 1/2 2/3');
  });

  test('maybeAppend commits up to the leader commit but never past the new entries', () => {
    const l = new RaftLog(storage(...run(1, 1, 1, 1, 1)), Infinity);
    expect(l.maybeAppend(asIndex(1), asTerm(1), asIndex(9), run(2, 1))).toBe(2);
    expect(l.committed).toBe(2);
    expect(l.maybeAppend(asIndex(2), asTerm(1), asIndex(3), run(3, 1, 1))).toBe(4);
    expect(l.committed).toBe(3);
    // Appending a conflict in the middle keeps what came before it.
    expect(l.maybeAppend(asIndex(3), asTerm(1), asIndex(3), run(4, 1, 2, 2))).toBe(6);
    expect(terms(l.allEntries())).toBe('1/1 1/2 1/3 1/4 2/5 2/6');
  });

  test('append refuses entries before the commit index and returns the last index', () => {
    const l = new RaftLog(storage(...run(1, 1, 1)), Infinity);
    l.commitTo(asIndex(2));
    expect(() => l.append(run(2, 2))).toThrow(new AssertionError('append after 1 < committed 2'));
    expect(l.append([])).toBe(2);
    expect(l.append(run(3, 2))).toBe(3);
  });

  test('findConflict is the first entry we lack or disagree with, or 0', () => {
    const l = new RaftLog(storage(...run(1, 1, 2, 3)), Infinity);
    expect(l.findConflict([])).toBe(0);
    expect(l.findConflict(run(2, 2, 3))).toBe(0);
    expect(l.findConflict(run(2, 2, 4))).toBe(3);
    expect(l.findConflict(run(3, 3, 3))).toBe(4);
  });

  test('findConflictByTerm stops at a compacted index', () => {
    const s = storage(...run(1, 1, 1, 2, 3, 3));
    s.createSnapshot(asIndex(2), { voters: [], learners: [] }, EMPTY_DATA);
    s.compact(asIndex(2));
    const l = new RaftLog(s, Infinity);
    // Index 2 is the snapshot's (term 1 <= 1), index 1 is gone.
    expect(l.findConflictByTerm(asIndex(5), asTerm(1))).toEqual({ index: 2, term: 1 });
    expect(l.findConflictByTerm(asIndex(5), asTerm(0))).toEqual({ index: 1, term: 0 });
  });

  test('commitTo never lowers the commit index and refuses one beyond the log', () => {
    const l = new RaftLog(storage(...run(1, 1, 1)), Infinity);
    l.commitTo(asIndex(2));
    l.commitTo(asIndex(1));
    expect(l.committed).toBe(2);
    expect(() => l.commitTo(asIndex(3))).toThrow(
      new AssertionError('commit 3 is out of range [lastIndex(2)]'),
    );
    expect(l.maybeCommit(asIndex(2), asTerm(1))).toBe(false);
    expect(l.maybeCommit(asIndex(1), asTerm(1))).toBe(false);
  });

  test('appliedTo and acceptApplying stay within the committed range', () => {
    const l = new RaftLog(storage(...run(1, 1, 1, 1, 1)), Infinity);
    l.commitTo(asIndex(3));
    l.acceptApplying(asIndex(2));
    expect(l.applying).toBe(2);
    l.appliedTo(asIndex(1));
    expect([l.applied, l.applying]).toEqual([1, 2]);
    l.appliedTo(asIndex(3));
    expect([l.applied, l.applying]).toEqual([3, 3]);
    l.appliedTo(asIndex(3));
    expect(() => l.appliedTo(asIndex(4))).toThrow(
      new AssertionError('applied(4) is out of range [prevApplied(3), committed(3)]'),
    );
    expect(() => l.appliedTo(asIndex(2))).toThrow(AssertionError);
    expect(() => l.acceptApplying(asIndex(4))).toThrow(
      new AssertionError('applying(4) beyond committed(3)'),
    );
    l.acceptApplying(asIndex(3));
  });

  test('committed entries are handed out once, size-limited, and not while a snapshot waits', () => {
    const l = split(2, 4, ent4, 2 * SIZE4);
    expect(l.hasNextCommittedEntries()).toBe(false);
    expect(l.nextCommittedEntries()).toEqual([]);
    l.commitTo(asIndex(4));
    expect(l.hasNextCommittedEntries()).toBe(true);
    expect(terms(l.nextCommittedEntries())).toBe('1/1 1/2');
    l.acceptApplying(asIndex(2));
    expect(terms(l.nextCommittedEntries())).toBe('1/3 1/4'); // unstable ones too
    l.acceptApplying(asIndex(4));
    expect(l.hasNextCommittedEntries()).toBe(false);
    l.restore(snap(9, 1));
    expect(l.committed).toBe(9);
    expect(l.hasNextCommittedEntries()).toBe(false);
    expect(l.nextCommittedEntries()).toEqual([]);
  });

  test('unstable entries and stableTo pass through to the unstable tail', () => {
    const l = split(1, 3);
    expect(terms(l.nextUnstableEntries())).toBe('1/2 1/3');
    l.acceptUnstable();
    expect(l.nextUnstableEntries()).toEqual([]);
    l.stableTo(asIndex(2), asTerm(1));
    expect(l.unstable.offset).toBe(3);
  });

  test('entriesFrom: nothing beyond the end, undefined when compacted', () => {
    const s = storage(...run(1, 1, 1, 1));
    s.createSnapshot(asIndex(1), { voters: [], learners: [] }, EMPTY_DATA);
    s.compact(asIndex(1));
    const l = new RaftLog(s, Infinity);
    expect(l.entriesFrom(asIndex(4), Infinity)).toEqual([]);
    expect(terms(l.entriesFrom(asIndex(3), Infinity))).toBe('1/3');
    expect(l.entriesFrom(asIndex(1), Infinity)).toBeUndefined();
    expect(terms(l.allEntries())).toBe('1/2 1/3');
  });

  test('slice refuses inverted and out-of-range bounds', () => {
    const l = split(2, 3);
    expect(() => l.slice(asIndex(3), asIndex(2), Infinity)).toThrow(
      new AssertionError('invalid slice 3 > 2'),
    );
    expect(() => l.slice(asIndex(1), asIndex(5), Infinity)).toThrow(
      new AssertionError('slice[1,5) beyond last index 3'),
    );
    expect(l.slice(asIndex(4), asIndex(4), Infinity)).toEqual([]);
    expect(l.slice(asIndex(2), asIndex(2), Infinity)).toEqual([]);
  });

  // Stable 1..3, unstable 4..6, every entry SIZE4 bytes.
  test.each([
    // lo, hi, max size (in entries of SIZE4; fractions fall between) -> entries
    [1, 4, Infinity, '1 2 3'], // stable only
    [4, 7, Infinity, '4 5 6'], // unstable only
    [1, 7, Infinity, '1 2 3 4 5 6'],
    [2, 6, Infinity, '2 3 4 5'],
    [1, 7, 2, '1 2'], // the limit falls inside the stable part
    [1, 7, 3, '1 2 3'], // ... exactly at its end: the unstable part is not read
    [1, 7, 3.5, '1 2 3'], // ... room for half an entry: still no unstable entry
    [1, 7, 4, '1 2 3 4'], // ... exactly one unstable entry fits
    [1, 7, 5.5, '1 2 3 4 5'],
    [3, 7, 1, '3'], // at least one entry
    [3, 5, 0.5, '3'],
    [4, 7, 1, '4'],
  ])('slice(%i, %i) with %f entries of room', (lo, hi, room, want) => {
    const l = split(3, 6);
    const got = l.slice(asIndex(lo), asIndex(hi), room * SIZE4);
    expect(got?.map((e) => e.index).join(' ')).toBe(want);
  });

  // Storage is only rewritten when the host persists a Ready; until then the unstable part
  // decides which of storage's entries still count.
  test('term hides storage entries below a pending snapshot', () => {
    const l = new RaftLog(storage(...run(1, 1, 1, 1, 1, 1)), Infinity);
    l.restore(snap(10, 2));
    expect(l.term(asIndex(3))).toBeUndefined();
    expect(l.term(asIndex(10))).toBe(2);
  });

  test('term hides storage entries beyond an unstable tail that replaced them', () => {
    const l = new RaftLog(storage(...run(1, 1, 1, 1, 1, 1)), Infinity);
    l.append(run(4, 2));
    expect(l.lastIndex()).toBe(4);
    expect(l.term(asIndex(4))).toBe(2);
    expect(l.term(asIndex(5))).toBeUndefined();
  });

  test('maybeAppend appends only from the first conflict, not the entries it already has', () => {
    const l = new RaftLog(storage(...run(1, 1, 1, 1)), Infinity);
    expect(l.maybeAppend(asIndex(1), asTerm(1), asIndex(0), run(2, 1, 1, 2))).toBe(4);
    expect(terms(l.unstable.entries)).toBe('2/4');
    expect(terms(l.nextUnstableEntries())).toBe('2/4');
  });

  test('appliedTo below the applying mark leaves the entries in flight handed out', () => {
    const l = new RaftLog(storage(...run(1, 1, 1, 1, 1)), Infinity);
    l.commitTo(asIndex(4));
    l.acceptApplying(asIndex(3));
    l.appliedTo(asIndex(2));
    expect([l.applied, l.applying]).toEqual([2, 3]);
    expect(terms(l.nextCommittedEntries())).toBe('1/4');
  });
});
