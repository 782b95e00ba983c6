/**
 * Txn compares (core/store/compare.ts) over every target and operator, and the store's log of
 * committed revisions (core/store/revision-log.ts) through growth, compaction and iteration.
 * The store's tests reach both only through a few txns and watches (mutation testing,
 * test/mutation/SCORES.md).
 */
import { describe, expect, it } from 'vitest';
import { compareHolds } from '../../../core/store/compare.ts';
import { RevisionLog } from '../../../core/store/revision-log.ts';
import {
  leaseId,
  revision,
  type CommittedRevision,
  type Compare,
  type KeyValue,
} from '../../../core/store/index.ts';

const kv: KeyValue = {
  key: 'k',
  value: 'm',
  createRevision: revision(5),
  modRevision: revision(8),
  version: 3,
  lease: leaseId(7),
};

describe('compareHolds', () => {
  const targets = [
    ['value', 'm', 'a', 'z'],
    ['version', 3, 2, 4],
    ['create', 5, 4, 6],
    ['mod', 8, 7, 9],
    ['lease', 7, 6, 8],
  ] as const;
  for (const [target, equal, below, above] of targets) {
    it.each([
      ['=', equal, true],
      ['=', below, false],
      ['!=', equal, false],
      ['!=', above, true],
      ['!=', below, true],
      ['<', above, true],
      ['<', equal, false],
      ['<', below, false],
      ['>', below, true],
      ['>', equal, false],
      ['>', above, false],
    ] as const)(`${target} %s %s -> %s`, (result, value, want) => {
      expect(compareHolds({ target, key: 'k', result, value } as Compare, kv)).toBe(want);
    });
  }

  it.each([
    ['version', 0],
    ['create', 0],
    ['mod', 0],
    ['lease', 0],
  ] as const)('a missing key has %s 0', (target, zero) => {
    expect(compareHolds({ target, key: 'k', result: '=', value: zero } as Compare, null)).toBe(
      true,
    );
    expect(compareHolds({ target, key: 'k', result: '>', value: zero } as Compare, null)).toBe(
      false,
    );
  });

  it('a value compare on a missing key fails whatever the operator (etcd)', () => {
    for (const result of ['=', '!=', '<', '>'] as const)
      expect(compareHolds({ target: 'value', key: 'k', result, value: '' } as Compare, null)).toBe(
        false,
      );
  });
});

describe('RevisionLog', () => {
  const entry = (rev: number): CommittedRevision => ({
    revision: revision(rev),
    events: [{ type: 'PUT', kv: { ...kv, modRevision: revision(rev) } }],
  });
  const revs = (it: Iterable<CommittedRevision>) => [...it].map((e) => e.revision);

  it('an empty log yields nothing', () => {
    expect(revs(new RevisionLog().from(revision(1)))).toEqual([]);
  });

  it('keeps entries in order through growth and compaction', () => {
    const log = new RevisionLog();
    for (let r = 2; r <= 40; r++) log.append(entry(r));
    expect(revs(log.from(revision(37)))).toEqual([37, 38, 39, 40]);
    expect(revs(log.from(revision(1)))).toHaveLength(39);
    log.dropThrough(revision(30));
    expect(revs(log.from(revision(1)))).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40]);
    // Wrap around the ring, then grow again from a non-zero head.
    for (let r = 41; r <= 70; r++) log.append(entry(r));
    expect(revs(log.from(revision(68)))).toEqual([68, 69, 70]);
    expect(revs(log.from(revision(31)))).toHaveLength(40);
    log.dropThrough(revision(100));
    expect(revs(log.from(revision(1)))).toEqual([]);
    log.append(entry(71));
    expect(revs(log.from(revision(71)))).toEqual([71]);
  });

  it('dropping through a revision below the oldest keeps everything', () => {
    const log = new RevisionLog();
    for (let r = 5; r <= 7; r++) log.append(entry(r));
    log.dropThrough(revision(4));
    expect(revs(log.from(revision(0)))).toEqual([5, 6, 7]);
    log.dropThrough(revision(5));
    expect(revs(log.from(revision(0)))).toEqual([6, 7]);
  });

  it('refuses a gap and an empty revision', () => {
    const log = new RevisionLog();
    log.append(entry(2));
    expect(() => log.append(entry(4))).toThrow('RevisionLog.append: revision 4 after 2');
    expect(() => log.append({ revision: revision(3), events: [] })).toThrow(
      'RevisionLog.append: a write revision has at least one change',
    );
  });

  it('gives back each revision with its changes, one or several, in order', () => {
    const log = new RevisionLog();
    const two: CommittedRevision = {
      revision: revision(3),
      events: [
        { type: 'PUT', kv: { ...kv, key: 'a', modRevision: revision(3) } },
        { type: 'PUT', kv: { ...kv, key: 'b', modRevision: revision(3) } },
      ],
    };
    log.append(entry(2));
    log.append(two);
    log.append(entry(4));
    const back = [...log.from(revision(2))];
    expect(back).toEqual([entry(2), two, entry(4)]);
    expect(back[1]!.events).toBe(two.events);
    log.dropThrough(revision(2));
    expect([...log.from(revision(0))]).toEqual([two, entry(4)]);
  });

  it('visits entries appended while iterating', () => {
    const log = new RevisionLog();
    log.append(entry(2));
    const seen: number[] = [];
    for (const e of log.from(revision(2))) {
      seen.push(e.revision);
      if (e.revision < 4) log.append(entry(e.revision + 1));
    }
    expect(seen).toEqual([2, 3, 4]);
  });
});
