import { describe, expect, test } from 'vitest';
import { asIndex, Progress } from '../../../core/raft/index.ts';

function progress(
  state: 'probe' | 'replicate' | 'snapshot',
  match: number,
  next: number,
): Progress {
  const pr = new Progress(asIndex(next), false, 256, Infinity);
  pr.match = asIndex(match);
  if (state === 'replicate') pr.becomeReplicate();
  if (state === 'snapshot') pr.becomeSnapshot(asIndex(next - 1));
  pr.match = asIndex(match);
  pr.next = asIndex(next);
  return pr;
}

describe('Progress.maybeUpdate', () => {
  test.each([
    ['stale ack', 5, 4, false, 5, 10],
    ['same ack', 5, 5, false, 5, 10],
    ['newer ack', 5, 6, true, 6, 10],
    ['ack beyond next moves next', 5, 12, true, 12, 13],
  ])('%s', (_name, match, ack, updated, wantMatch, wantNext) => {
    const pr = progress('replicate', match, 10);
    expect(pr.maybeUpdate(asIndex(ack))).toBe(updated);
    expect(pr.match).toBe(wantMatch);
    expect(pr.next).toBe(wantNext);
  });
});

describe('Progress.maybeDecrTo', () => {
  test.each([
    // state, match, next, rejected, hint, decreased, wantNext
    ['replicate: stale rejection', 'replicate', 5, 10, 5, 5, false, 10],
    ['replicate: back to match+1', 'replicate', 5, 10, 9, 9, true, 6],
    ['probe: not the outstanding probe', 'probe', 0, 10, 5, 5, false, 10],
    ['probe: jump to hint+1', 'probe', 0, 10, 9, 3, true, 4],
    ['probe: hint beyond rejected', 'probe', 0, 10, 9, 20, true, 9],
    ['probe: never below match+1', 'probe', 4, 10, 9, 1, true, 5],
  ] as const)('%s', (_n, state, match, next, rejected, hint, decreased, wantNext) => {
    const pr = progress(state, match, next);
    expect(pr.maybeDecrTo(asIndex(rejected), asIndex(hint))).toBe(decreased);
    expect(pr.next).toBe(wantNext);
  });
});

describe('Progress flow control', () => {
  test('probe pauses after sending entries until unpaused', () => {
    const pr = progress('probe', 0, 5);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(1, 10);
    expect(pr.isPaused()).toBe(true);
    expect(pr.next).toBe(5);
  });

  test('replicate advances next optimistically and pauses when the window is full', () => {
    const pr = new Progress(asIndex(1), false, 2, Infinity);
    pr.becomeReplicate();
    pr.sentEntries(3, 30);
    expect(pr.next).toBe(4);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(2, 20);
    expect(pr.isPaused()).toBe(true);
    pr.maybeUpdate(asIndex(3));
    pr.inflights.freeLE(asIndex(3));
    expect(pr.isPaused()).toBe(false);
  });

  test('snapshot state is always paused; probing resumes after the snapshot', () => {
    const pr = progress('replicate', 3, 4);
    pr.becomeSnapshot(asIndex(20));
    expect(pr.isPaused()).toBe(true);
    expect(pr.next).toBe(21);
    pr.becomeProbe();
    expect(pr.next).toBe(21);
    expect(pr.pendingSnapshot).toBe(0);
  });

  test('leaving snapshot state after acks beyond the snapshot probes after the acked index', () => {
    const pr = progress('replicate', 3, 4);
    pr.becomeSnapshot(asIndex(5));
    expect(pr.maybeUpdate(asIndex(10))).toBe(true);
    pr.becomeProbe();
    expect(pr.next).toBe(11);
  });

  test('canBumpCommit only when the follower has entries it has not been told are committed', () => {
    const pr = progress('replicate', 5, 8);
    pr.sentCommit = asIndex(5);
    expect(pr.canBumpCommit(asIndex(5))).toBe(false);
    expect(pr.canBumpCommit(asIndex(7))).toBe(true);
    pr.sentCommit = asIndex(7);
    expect(pr.canBumpCommit(asIndex(9))).toBe(false);
  });
});

// Found by mutation testing (test/mutation/SCORES.md): the bookkeeping around the commit index
// sent, empty appends and what a state change resets.
describe('Progress.sentCommit', () => {
  test('becoming a prober forgets commit indexes beyond what the follower may hold', () => {
    const pr = progress('replicate', 5, 10);
    pr.sentCommit = asIndex(9);
    pr.becomeProbe();
    expect(pr.next).toBe(6);
    expect(pr.sentCommit).toBe(5);
    // A lower sentCommit is kept: it is what was really sent.
    const low = progress('replicate', 5, 10);
    low.sentCommit = asIndex(3);
    low.becomeProbe();
    expect(low.sentCommit).toBe(3);
  });

  test('a snapshot counts as telling the follower its index is committed', () => {
    const pr = progress('replicate', 2, 3);
    pr.becomeSnapshot(asIndex(12));
    expect(pr.sentCommit).toBe(12);
    expect(pr.canBumpCommit(asIndex(12))).toBe(false);
  });

  test.each([
    // state, match, next, sentCommit, rejected, hint, wantNext, wantSentCommit
    ['replicate: back to match+1', 'replicate', 5, 10, 9, 9, 9, 6, 5],
    ['replicate: a lower sentCommit is kept', 'replicate', 5, 10, 2, 9, 9, 6, 2],
    ['probe: capped below the new next', 'probe', 0, 10, 9, 9, 3, 4, 3],
    ['probe: a lower sentCommit is kept', 'probe', 0, 10, 1, 9, 3, 4, 1],
  ] as const)(
    'a rejection caps sentCommit (%s)',
    (_n, state, match, next, sentCommit, rejected, hint, wantNext, wantSent) => {
      const pr = progress(state, match, next);
      pr.sentCommit = asIndex(sentCommit);
      expect(pr.maybeDecrTo(asIndex(rejected), asIndex(hint))).toBe(true);
      expect(pr.next).toBe(wantNext);
      expect(pr.sentCommit).toBe(wantSent);
    },
  );
});

describe('Progress state changes and empty appends', () => {
  test('the answer to an outstanding probe unpauses it; a stale one does not', () => {
    const pr = progress('probe', 0, 10);
    pr.sentEntries(1, 10);
    expect(pr.isPaused()).toBe(true);
    expect(pr.maybeDecrTo(asIndex(5), asIndex(5))).toBe(false);
    expect(pr.isPaused()).toBe(true);
    expect(pr.maybeDecrTo(asIndex(9), asIndex(4))).toBe(true);
    expect(pr.isPaused()).toBe(false);
  });

  test('an append without entries neither pauses a probe nor takes a slot of the window', () => {
    const probe = progress('probe', 0, 5);
    probe.sentEntries(0, 0);
    expect(probe.isPaused()).toBe(false);
    const pr = new Progress(asIndex(1), false, 1, Infinity);
    pr.becomeReplicate();
    pr.sentEntries(0, 0);
    expect(pr.next).toBe(1);
    expect(pr.inflights.size()).toBe(0);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(1, 10);
    expect(pr.inflights.size()).toBe(1);
    expect(pr.isPaused()).toBe(true);
  });

  test('sending entries in snapshot state is a bug', () => {
    const pr = progress('snapshot', 0, 5);
    expect(() => pr.sentEntries(1, 10)).toThrow('sending append in snapshot state');
  });

  test('a state change resets pausing, the window, the pending snapshot and its staleness', () => {
    const pr = new Progress(asIndex(1), false, 1, Infinity);
    expect(pr.isPaused()).toBe(false);
    expect(pr.snapshotStale).toBe(false);
    pr.becomeReplicate();
    pr.sentEntries(1, 10);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.isPaused()).toBe(false);
    expect(pr.inflights.size()).toBe(0);
    pr.becomeSnapshot(asIndex(7));
    pr.snapshotStale = true;
    pr.becomeReplicate();
    expect(pr.state).toBe('replicate');
    expect(pr.pendingSnapshot).toBe(0);
    expect(pr.snapshotStale).toBe(false);
    expect(pr.isPaused()).toBe(false);
  });
});
