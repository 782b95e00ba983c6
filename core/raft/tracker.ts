/**
 * Membership plus per-member progress and votes (etcd-io/raft tracker/tracker.go, without
 * joint configurations). Iteration is always in ascending id order, so every output that
 * depends on it (message order) is deterministic.
 */
import { assert } from '../util/assert.ts';
import { changeConfState, type ConfChange, type ConfChangeOutcome } from './conf-change.ts';
import { Progress } from './progress.ts';
import { committedIndex, voteResult, type VoteResult } from './quorum.ts';
import { asIndex, type ConfState, type Index, type NodeId } from './types.ts';

export interface VoteTally {
  readonly granted: number;
  readonly rejected: number;
  readonly result: VoteResult;
}

export class ProgressTracker {
  voters: readonly NodeId[] = [];
  learners: readonly NodeId[] = [];
  /** All members (voters and learners), ascending. */
  ids: readonly NodeId[] = [];
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();
  private readonly scratch: number[] = [];

  constructor(
    readonly maxInflightMsgs: number,
    readonly maxInflightBytes: number,
  ) {}

  confState(): ConfState {
    return { voters: this.voters, learners: this.learners };
  }

  isSingleton(): boolean {
    return this.voters.length === 1;
  }

  isVoter(id: NodeId): boolean {
    return this.voters.includes(id);
  }

  /** Largest index replicated on a majority of voters. */
  committed(): Index {
    return committedIndex(this.voters, (id) => this.progress.get(id)?.match, this.scratch);
  }

  /** Did a majority of voters (counting ourselves, `self`) answer since the last round? */
  quorumActive(self: NodeId): boolean {
    let active = 0;
    for (const id of this.voters) {
      if (id === self || this.progress.get(id)?.recentActive === true) active++;
    }
    return active >= Math.floor(this.voters.length / 2) + 1;
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records the first vote from `id`; later ones (duplicates) are ignored. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteTally {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: voteResult(this.voters, this.votes) };
  }

  /** Replaces the membership wholesale (bootstrap, snapshot restore). */
  restore(cs: ConfState, lastIndex: Index): void {
    this.progress.clear();
    this.setMembers(cs, lastIndex);
  }

  /** Applies one change; progress of untouched members is kept. */
  apply(cc: ConfChange, lastIndex: Index): ConfChangeOutcome {
    const outcome = changeConfState(this.confState(), cc);
    if (outcome.kind === 'changed') this.setMembers(outcome.confState, lastIndex);
    return outcome;
  }

  private setMembers(cs: ConfState, lastIndex: Index): void {
    this.voters = cs.voters;
    this.learners = cs.learners;
    this.ids = [...cs.voters, ...cs.learners].sort((a, b) => a - b);
    for (const id of [...this.progress.keys()]) {
      if (!this.ids.includes(id)) this.progress.delete(id);
    }
    for (const id of this.ids) {
      const isLearner = cs.learners.includes(id);
      const pr = this.progress.get(id);
      if (pr !== undefined) {
        pr.isLearner = isLearner;
        continue;
      }
      // A new member starts probing at the end of our log (we will walk back as needed);
      // it counts as recently active so CheckQuorum does not fire before it had a chance.
      const fresh = new Progress(
        asIndex(Math.max(lastIndex, 1)),
        isLearner,
        this.maxInflightMsgs,
        this.maxInflightBytes,
      );
      fresh.recentActive = true;
      this.progress.set(id, fresh);
    }
    assert(
      cs.voters.every((id) => !cs.learners.includes(id)),
      'a member is both voter and learner',
    );
  }
}
