/**
 * The leader's view of one follower (etcd-io/raft tracker/progress.go).
 *
 * - probe: we do not know where the follower's log ends; send one MsgApp per heartbeat
 *   interval and wait for its answer.
 * - replicate: the follower is caught up to `match`; stream entries optimistically, bounded by
 *   the inflight window.
 * - snapshot: the follower needs a snapshot; send nothing until it is applied (or given up).
 */
import { assertNever } from '../util/assert.ts';
import { Inflights } from './inflights.ts';
import { asIndex, ZERO_INDEX, type Index } from './types.ts';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to be replicated on the follower. */
  match: Index = ZERO_INDEX;
  /** Next index to send. Invariant: match < next. */
  next: Index;
  /** Highest commit index sent to the follower (to know when a commit-only MsgApp is due). */
  sentCommit: Index = ZERO_INDEX;
  state: ProgressState = 'probe';
  /** Index of the snapshot in flight (snapshot state only). */
  pendingSnapshot: Index = ZERO_INDEX;
  /** The follower answered since the last CheckQuorum round. */
  recentActive = false;
  /** Probe: a probe is outstanding. Replicate: the inflight window is full. */
  msgAppFlowPaused = false;
  /** One CheckQuorum round passed in snapshot state; the next gives the snapshot up as lost. */
  snapshotStale = false;
  isLearner: boolean;
  readonly inflights: Inflights;

  constructor(next: Index, isLearner: boolean, maxInflightMsgs: number, maxInflightBytes: number) {
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = ZERO_INDEX;
    this.snapshotStale = false;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, resume just after it: the follower most likely applied it.
    const next =
      this.state === 'snapshot'
        ? Math.max(this.match + 1, this.pendingSnapshot + 1)
        : this.match + 1;
    this.resetState('probe');
    this.next = asIndex(next);
    this.sentCommit = asIndex(Math.min(this.sentCommit, this.next - 1));
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = asIndex(this.match + 1);
  }

  becomeSnapshot(snapshotIndex: Index): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.next = asIndex(snapshotIndex + 1);
    this.sentCommit = snapshotIndex;
  }

  /** Bookkeeping after sending a MsgApp with `entries` entries totalling `bytes`. */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case 'replicate':
        if (entries > 0) {
          this.next = asIndex(this.next + entries);
          this.inflights.add(asIndex(this.next - 1), bytes);
        }
        this.msgAppFlowPaused = this.inflights.full();
        return;
      case 'probe':
        if (entries > 0) this.msgAppFlowPaused = true;
        return;
      case 'snapshot':
        throw new Error('sending append in snapshot state');
      default:
        assertNever(this.state, 'progress state');
    }
  }

  /** Would a MsgApp carrying only the commit index tell the follower something new? */
  canBumpCommit(commit: Index): boolean {
    return commit > this.sentCommit && this.sentCommit < this.next - 1;
  }

  /** Accepts an ack of index n; false if it is stale. */
  maybeUpdate(n: Index): boolean {
    if (n <= this.match) return false;
    this.match = n;
    if (this.next < n + 1) this.next = asIndex(n + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * Handles a rejection of the MsgApp whose prevIndex was `rejected`; `matchHint` is the
   * highest index that may match. False if the rejection is stale.
   */
  maybeDecrTo(rejected: Index, matchHint: Index): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = asIndex(this.match + 1);
      this.sentCommit = asIndex(Math.min(this.sentCommit, this.next - 1));
      return true;
    }
    // Probe: only the answer to the outstanding probe counts.
    if (this.next - 1 !== rejected) return false;
    this.next = asIndex(Math.max(Math.min(rejected, matchHint + 1), this.match + 1));
    this.sentCommit = asIndex(Math.min(this.sentCommit, this.next - 1));
    this.msgAppFlowPaused = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
      case 'replicate':
        return this.msgAppFlowPaused;
      case 'snapshot':
        return true;
      default:
        return assertNever(this.state, 'progress state');
    }
  }
}
