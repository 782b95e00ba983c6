import { describe, expect, test } from 'vitest';
import {
  asIndex,
  asTerm,
  EMPTY_DATA,
  MemoryStorage,
  type Entry,
} from '../../../core/raft/index.ts';
import { RaftLog } from '../../../core/raft/log.ts';

const ent = (term: number, index: number, data = ''): Entry => ({
  term: asTerm(term),
  index: asIndex(index),
  type: 'normal',
  data: data === '' ? EMPTY_DATA : new TextEncoder().encode(data),
});
const terms = (es: readonly Entry[]) => es.map((e) => `${e.term}/${e.index}`).join(' ');

describe('MemoryStorage', () => {
  test('append truncates a conflicting suffix', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(1, 2), ent(1, 3)]);
    s.append([ent(2, 2)]);
    expect(terms(s.entries(asIndex(1), asIndex(3), Infinity))).toBe('1/1 2/2');
    expect(s.lastIndex()).toBe(2);
  });

  test('compact keeps the term of the compaction point', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 2), ent(3, 3), ent(3, 4)]);
    expect(s.createSnapshot(asIndex(3), { voters: [], learners: [] }, EMPTY_DATA).kind).toBe('ok');
    expect(s.compact(asIndex(3)).kind).toBe('ok');
    expect(s.firstIndex()).toBe(4);
    expect(s.term(asIndex(3))).toBe(3);
    expect(s.term(asIndex(2))).toBeUndefined();
    expect(s.compact(asIndex(2)).kind).toBe('out-of-date');
    expect(s.snapshot().metadata.index).toBe(3);
  });

  test('entries respects the size limit but returns at least one entry', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1, 'aaaa'), ent(1, 2, 'bbbb'), ent(1, 3, 'cccc')]);
    expect(s.entries(asIndex(1), asIndex(4), 1)).toHaveLength(1);
    expect(s.entries(asIndex(1), asIndex(4), 2 * (4 + 16))).toHaveLength(2);
  });

  test('append skips entries already compacted away', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(1, 2), ent(1, 3)]);
    s.createSnapshot(asIndex(2), { voters: [], learners: [] }, EMPTY_DATA);
    s.compact(asIndex(2));
    s.append([ent(1, 1), ent(1, 2), ent(1, 3), ent(1, 4)]);
    expect(terms(s.entries(asIndex(3), asIndex(5), Infinity))).toBe('1/3 1/4');
  });
});

describe('RaftLog', () => {
  function log(...es: Entry[]): RaftLog {
    const s = new MemoryStorage();
    s.append(es);
    return new RaftLog(s, Infinity);
  }

  test('maybeAppend rejects a mismatched previous entry', () => {
    const l = log(ent(1, 1), ent(1, 2));
    expect(l.maybeAppend(asIndex(2), asTerm(2), asIndex(0), [ent(2, 3)])).toBeUndefined();
    expect(l.maybeAppend(asIndex(3), asTerm(1), asIndex(0), [])).toBeUndefined();
  });

  test('maybeAppend truncates at the first conflict and commits up to the new entries', () => {
    const l = log(ent(1, 1), ent(1, 2), ent(1, 3));
    expect(
      l.maybeAppend(asIndex(1), asTerm(1), asIndex(10), [ent(1, 2), ent(2, 3), ent(2, 4)]),
    ).toBe(4);
    expect(terms(l.allEntries())).toBe('1/1 1/2 2/3 2/4');
    expect(l.committed).toBe(4);
  });

  test('maybeAppend ignores entries it already has (a stale, duplicated MsgApp)', () => {
    const l = log(ent(1, 1), ent(1, 2), ent(1, 3));
    expect(l.maybeAppend(asIndex(0), asTerm(0), asIndex(1), [ent(1, 1)])).toBe(1);
    expect(terms(l.allEntries())).toBe('1/1 1/2 1/3');
  });

  test.each([
    // index, term -> hint index, hint term (our log terms: 1 1 1 4 4 5 5 5)
    [8, 6, 8, 5],
    [8, 5, 8, 5],
    [8, 4, 5, 4],
    [8, 3, 3, 1],
    [5, 2, 3, 1],
    [3, 0, 0, 0],
  ])('findConflictByTerm(%i, %i) = %i/%i', (index, term, wantIndex, wantTerm) => {
    const l = log(...[1, 1, 1, 4, 4, 5, 5, 5].map((t, i) => ent(t, i + 1)));
    expect(l.findConflictByTerm(asIndex(index), asTerm(term))).toEqual({
      index: wantIndex,
      term: wantTerm,
    });
  });

  test('maybeCommit only commits entries of the given term', () => {
    const l = log(ent(1, 1), ent(2, 2), ent(3, 3));
    expect(l.maybeCommit(asIndex(2), asTerm(3))).toBe(false);
    expect(l.maybeCommit(asIndex(3), asTerm(3))).toBe(true);
    expect(l.committed).toBe(3);
  });

  test('isUpToDate compares last term, then last index', () => {
    const l = log(ent(1, 1), ent(2, 2));
    expect(l.isUpToDate(asIndex(1), asTerm(3))).toBe(true);
    expect(l.isUpToDate(asIndex(2), asTerm(2))).toBe(true);
    expect(l.isUpToDate(asIndex(1), asTerm(2))).toBe(false);
    expect(l.isUpToDate(asIndex(9), asTerm(1))).toBe(false);
  });
});
