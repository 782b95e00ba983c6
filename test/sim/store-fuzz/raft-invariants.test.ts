import { describe, expect, it } from 'vitest';
import { asIndex, asNodeId, asTerm, type Entry } from '../../../core/raft/types.ts';
import { revision } from '../../../core/store/types.ts';
import { RaftInvariants } from '../../../sim/check/raft-invariants.ts';

const e = (index: number, term: number, data: string): Entry => ({
  index: asIndex(index),
  term: asTerm(term),
  type: 'normal',
  data: new TextEncoder().encode(data),
});
const n1 = asNodeId(1);
const n2 = asNodeId(2);
const view = (id: number, term: number) => ({
  id: asNodeId(id),
  name: `etcd-${id - 1}`,
  started: true,
  role: 'leader' as const,
  term: asTerm(term),
  lead: asNodeId(id),
  commit: asIndex(0),
  applied: asIndex(0),
  snapshotIndex: asIndex(0),
  lastIndex: asIndex(0),
  revision: revision(1),
  voters: [],
  learners: [],
  removed: false,
});

describe('RaftInvariants', () => {
  it('accepts a consistent history', () => {
    const c = new RaftInvariants(() => 0);
    c.persisted(n1, [e(2, 1, 'a'), e(3, 1, 'b')], asTerm(1));
    c.persisted(n2, [e(2, 1, 'a')], asTerm(1));
    c.persisted(n2, [e(3, 1, 'b')], asTerm(1));
    c.applied(n1, e(2, 1, 'a'), revision(2), asTerm(1));
    c.applied(n2, e(2, 1, 'a'), revision(2), asTerm(1));
    c.leaderPersisted(n2, asTerm(2), (i) => (i <= 3 ? asTerm(1) : undefined), asIndex(1));
    c.afterEvent([view(2, 2)]);
    expect(c.violations).toEqual([]);
  });

  it('flags two leaders in one term', () => {
    const c = new RaftInvariants(() => 5);
    c.afterEvent([view(1, 3), view(2, 3)]);
    expect(c.violations.map((v) => [v.kind, v.atUs])).toEqual([['election-safety', 5]]);
  });

  it('flags different entries, or different predecessors, under one (index, term)', () => {
    const c = new RaftInvariants(() => 0);
    c.persisted(n1, [e(2, 1, 'a'), e(3, 2, 'b')], asTerm(1));
    c.persisted(n2, [e(3, 2, 'c')], asTerm(1));
    c.persisted(n2, [e(2, 2, 'x'), e(3, 2, 'b')], asTerm(1));
    expect(c.violations.map((v) => v.kind)).toEqual(['log-matching', 'log-matching']);
  });

  it('flags different entries applied at one index and diverging revisions', () => {
    const c = new RaftInvariants(() => 0);
    c.applied(n1, e(2, 1, 'a'), revision(2), asTerm(1));
    c.applied(n2, e(2, 1, 'b'), revision(3), asTerm(1));
    expect(c.violations.map((v) => v.kind)).toEqual(['state-machine-safety', 'revisions']);
  });

  it('flags a revision jump and an applied index out of order', () => {
    const c = new RaftInvariants(() => 0);
    c.restored(n1, asIndex(1), revision(1));
    c.applied(n1, e(2, 1, 'a'), revision(3), asTerm(1));
    c.applied(n1, e(4, 1, 'b'), revision(3), asTerm(1));
    expect(c.violations.map((v) => v.kind)).toEqual(['revisions', 'revisions']);
  });

  it('flags a leader that lacks an entry committed in an earlier term', () => {
    const c = new RaftInvariants(() => 0);
    c.applied(n1, e(5, 2, 'a'), revision(2), asTerm(2));
    c.leaderPersisted(n2, asTerm(3), (i) => (i <= 4 ? asTerm(2) : undefined), asIndex(0));
    // A stale leader of the same term is not held to it.
    c.leaderPersisted(n2, asTerm(2), () => undefined, asIndex(0));
    expect(c.violations.map((v) => v.kind)).toEqual(['leader-completeness']);
  });

  it('flags a read served before its index is applied, or at an index older than what was applied when it started', () => {
    const c = new RaftInvariants(() => 0);
    c.applied(n1, e(2, 1, 'a'), revision(2), asTerm(1));
    c.applied(n1, e(3, 1, 'b'), revision(3), asTerm(1));
    c.readStarted(n1, '1.1');
    c.readServed(n1, '1.1', asIndex(3), asIndex(3));
    expect(c.violations).toEqual([]);
    // A deposed leader that never learnt of index 3 answers from its own state (index 2).
    c.readStarted(n2, '1.7');
    c.readServed(n2, '1.7', asIndex(2), asIndex(2));
    c.readStarted(n1, '1.2');
    c.readServed(n1, '1.2', asIndex(4), asIndex(3));
    expect(c.violations.map((v) => [v.kind, v.message])).toEqual([
      [
        'linearizable-read',
        'member 2 served read round 1.7 at index 2, but index 3 was applied before the round started',
      ],
      ['linearizable-read', 'member 1 served read round 1.2 at index 4 with only 3 applied'],
    ]);
  });
});
