/**
 * The leader's membership and per-member bookkeeping (core/raft/tracker.ts) and its ReadIndex
 * confirmation (core/raft/read-only.ts), tested directly: the interaction scripts reach them only
 * through whole elections and heartbeat rounds. Added after mutation testing
 * (test/mutation/SCORES.md) showed vote counts, quorum activity and partial read confirmation
 * unobserved there.
 */
import { describe, expect, test } from 'vitest';
import { asIndex, asNodeId, confChange, type NodeId } from '../../../core/raft/index.ts';
import { ReadOnly } from '../../../core/raft/read-only.ts';
import { ProgressTracker } from '../../../core/raft/tracker.ts';

const ids = (...n: number[]): NodeId[] => n.map(asNodeId);

function tracker(voters: number[], learners: number[] = [], lastIndex = 10): ProgressTracker {
  const t = new ProgressTracker(4, Infinity);
  t.restore({ voters: ids(...voters), learners: ids(...learners) }, asIndex(lastIndex));
  return t;
}

describe('ProgressTracker membership', () => {
  test('members are listed in ascending id order; new ones probe from the end of the log', () => {
    const t = tracker([3, 1], [5, 2], 10);
    expect(t.ids).toEqual([1, 2, 3, 5]);
    expect(t.isVoter(asNodeId(3))).toBe(true);
    expect(t.isVoter(asNodeId(2))).toBe(false);
    const learner = t.progress.get(asNodeId(2))!;
    expect(learner.isLearner).toBe(true);
    expect(t.progress.get(asNodeId(1))!.isLearner).toBe(false);
    expect([...t.progress.values()].map((pr) => [pr.next, pr.match, pr.state])).toEqual([
      [10, 0, 'probe'],
      [10, 0, 'probe'],
      [10, 0, 'probe'],
      [10, 0, 'probe'],
    ]);
    // A fresh member counts as active so the next CheckQuorum round does not depose us.
    expect([...t.progress.values()].every((pr) => pr.recentActive)).toBe(true);
    expect(t.isSingleton()).toBe(false);
    expect(tracker([4]).isSingleton()).toBe(true);
  });

  test('an empty log still starts probing at index 1', () => {
    expect(tracker([1, 2], [], 0).progress.get(asNodeId(2))!.next).toBe(1);
  });

  test('a change keeps untouched progress, drops removed members and flips learners', () => {
    const t = tracker([1, 2, 3], [4]);
    const pr2 = t.progress.get(asNodeId(2))!;
    pr2.maybeUpdate(asIndex(7));
    expect(t.apply(confChange('remove', asNodeId(3)), asIndex(12)).kind).toBe('changed');
    expect(t.ids).toEqual([1, 2, 4]);
    expect(t.progress.has(asNodeId(3))).toBe(false);
    expect(t.progress.get(asNodeId(2))).toBe(pr2);
    expect(pr2.match).toBe(7);
    t.apply(confChange('add-voter', asNodeId(4)), asIndex(12));
    expect(t.progress.get(asNodeId(4))!.isLearner).toBe(false);
    expect(t.voters).toEqual([1, 2, 4]);
    t.apply(confChange('add-learner', asNodeId(2)), asIndex(12));
    expect(pr2.isLearner).toBe(true);
    expect(t.learners).toEqual([2]);
    expect(t.confState()).toEqual({ voters: [1, 4], learners: [2] });
    // A new member appears with its progress at the log's end given to apply.
    t.apply(confChange('add-voter', asNodeId(6)), asIndex(15));
    expect(t.progress.get(asNodeId(6))!.next).toBe(15);
  });

  test('a change that changes nothing or is invalid leaves the membership alone', () => {
    const t = tracker([1, 2]);
    const pr2 = t.progress.get(asNodeId(2));
    expect(t.apply(confChange('remove', asNodeId(9)), asIndex(12)).kind).toBe('unchanged');
    expect(t.apply(confChange('add-voter', asNodeId(0)), asIndex(12)).kind).toBe('invalid');
    expect(t.confState()).toEqual({ voters: [1, 2], learners: [] });
    expect(t.progress.get(asNodeId(2))).toBe(pr2);
  });

  test('a configuration naming a member as both voter and learner is refused', () => {
    expect(() => tracker([1, 2], [2])).toThrow('a member is both voter and learner');
  });

  test('restore replaces every progress', () => {
    const t = tracker([1, 2, 3]);
    const before = t.progress.get(asNodeId(2));
    t.restore({ voters: ids(1, 2), learners: [] }, asIndex(20));
    expect(t.progress.get(asNodeId(2))).not.toBe(before);
    expect(t.progress.get(asNodeId(2))!.next).toBe(20);
    expect([...t.progress.keys()]).toEqual([1, 2]);
  });
});

describe('ProgressTracker quorum', () => {
  test('committed is the index a majority of voters holds; learners do not count', () => {
    const t = tracker([1, 2, 3], [4]);
    t.progress.get(asNodeId(1))!.maybeUpdate(asIndex(9));
    t.progress.get(asNodeId(4))!.maybeUpdate(asIndex(9));
    expect(t.committed()).toBe(0);
    t.progress.get(asNodeId(2))!.maybeUpdate(asIndex(6));
    expect(t.committed()).toBe(6);
  });

  test.each([
    // voters, active (besides self = 1), want
    ['three voters, none other active', [1, 2, 3], [], false],
    ['three voters, one other active', [1, 2, 3], [3], true],
    ['four voters, one other active', [1, 2, 3, 4], [2], false],
    ['four voters, two others active', [1, 2, 3, 4], [2, 4], true],
    ['single voter', [1], [], true],
  ])('quorumActive: %s -> %s', (_n, voters, active, want) => {
    const t = tracker(voters);
    for (const pr of t.progress.values()) pr.recentActive = false;
    for (const id of active) t.progress.get(asNodeId(id))!.recentActive = true;
    expect(t.quorumActive(asNodeId(1))).toBe(want);
  });

  test('learners that answer do not make a quorum active', () => {
    const t = tracker([1, 2, 3], [4, 5]);
    for (const pr of t.progress.values()) pr.recentActive = false;
    t.progress.get(asNodeId(4))!.recentActive = true;
    t.progress.get(asNodeId(5))!.recentActive = true;
    expect(t.quorumActive(asNodeId(1))).toBe(false);
  });

  test('votes: the first answer of each voter counts, learners are not counted', () => {
    const t = tracker([1, 2, 3, 4, 5], [6]);
    t.recordVote(asNodeId(1), true);
    t.recordVote(asNodeId(2), false);
    t.recordVote(asNodeId(2), true); // a duplicate: ignored
    t.recordVote(asNodeId(6), true); // a learner
    expect(t.tallyVotes()).toEqual({ granted: 1, rejected: 1, result: 'pending' });
    t.recordVote(asNodeId(3), true);
    t.recordVote(asNodeId(4), true);
    expect(t.tallyVotes()).toEqual({ granted: 3, rejected: 1, result: 'won' });
    t.resetVotes();
    expect(t.tallyVotes()).toEqual({ granted: 0, rejected: 0, result: 'pending' });
    for (const id of [1, 2, 3]) t.recordVote(asNodeId(id), false);
    expect(t.tallyVotes()).toEqual({ granted: 0, rejected: 3, result: 'lost' });
  });
});

describe('ReadOnly', () => {
  const req = (ctx: string, index: number) => ({ from: asNodeId(1), ctx, index: asIndex(index) });
  const voters = ids(1, 2, 3);

  test('nothing pending carries sequence number 0', () => {
    const ro = new ReadOnly();
    expect(ro.pendingSeq()).toBe(0);
    expect(ro.pendingCount()).toBe(0);
    expect(ro.advance(voters)).toEqual([]);
  });

  test('a majority echoing n confirms every request up to n, oldest first, and only once', () => {
    const ro = new ReadOnly();
    ro.add(req('a', 5));
    ro.add(req('b', 5));
    expect(ro.pendingSeq()).toBe(2);
    ro.recvAck(asNodeId(1), 2);
    ro.add(req('c', 6));
    expect(ro.pendingSeq()).toBe(3);
    // Only the leader itself has acked: no majority yet.
    expect(ro.advance(voters)).toEqual([]);
    ro.recvAck(asNodeId(3), 1);
    expect(ro.advance(voters).map((r) => r.ctx)).toEqual(['a']);
    expect(ro.pendingCount()).toBe(2);
    expect(ro.pendingSeq()).toBe(3);
    // The same acks again confirm nothing new.
    expect(ro.advance(voters)).toEqual([]);
    ro.recvAck(asNodeId(2), 3);
    expect(ro.advance(voters).map((r) => r.ctx)).toEqual(['b']);
    ro.recvAck(asNodeId(1), 3);
    expect(ro.advance(voters).map((r) => r.ctx)).toEqual(['c']);
    expect(ro.pendingCount()).toBe(0);
    expect(ro.pendingSeq()).toBe(0);
    // Numbering continues after the confirmed ones.
    ro.add(req('d', 7));
    expect(ro.pendingSeq()).toBe(4);
  });

  test('after a membership change a lower majority echo does not take back confirmations', () => {
    const ro = new ReadOnly();
    for (const c of ['a', 'b']) ro.add(req(c, 1));
    ro.recvAck(asNodeId(1), 2);
    ro.recvAck(asNodeId(2), 2);
    expect(ro.advance(voters).map((r) => r.ctx)).toEqual(['a', 'b']);
    ro.add(req('c', 2));
    // Voters 4 and 5 have echoed nothing: their majority is at 0, below what is confirmed.
    expect(ro.advance(ids(1, 4, 5))).toEqual([]);
    expect(ro.pendingSeq()).toBe(3);
    ro.recvAck(asNodeId(4), 3);
    ro.recvAck(asNodeId(1), 3);
    expect(ro.advance(ids(1, 4, 5)).map((r) => r.ctx)).toEqual(['c']);
  });

  test('an older echo does not take back a newer one', () => {
    const ro = new ReadOnly();
    for (const c of ['a', 'b', 'c']) ro.add(req(c, 1));
    ro.recvAck(asNodeId(1), 3);
    ro.recvAck(asNodeId(2), 3);
    ro.recvAck(asNodeId(2), 1);
    expect(ro.advance(voters).map((r) => r.ctx)).toEqual(['a', 'b', 'c']);
  });
});
