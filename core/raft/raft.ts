/**
 * The Raft state machine (etcd-io/raft raft.go): one step function per role, driven by `tick`,
 * `step(message)` and local requests; everything it wants done (persist, send) accumulates in
 * fields that RawNode turns into a Ready. No I/O, no clock: the host ticks it.
 *
 * Responses that promise durable state (MsgAppResp, MsgVoteResp, MsgPreVoteResp) go to
 * `msgsAfterAppend`: they may only leave after the Ready's entries and hard state are persisted,
 * and the ones addressed to ourselves (our own vote, our own append ack) are stepped on advance.
 */
import type { Random } from '../ports/random.ts';
import { assert, assertNever } from '../util/assert.ts';
import { decodeConfChange, changeConfState, type ConfChange } from './conf-change.ts';
import { resolveConfig, type RaftConfig, type ResolvedRaftConfig } from './config.ts';
import { entriesSizeBytes } from './entry-size.ts';
import { RaftLog } from './log.ts';
import type {
  Message,
  MsgApp,
  MsgAppResp,
  MsgHeartbeat,
  MsgHeartbeatResp,
  MsgPreVote,
  MsgSnap,
  MsgVote,
} from './messages.ts';
import { ReadOnly } from './read-only.ts';
import { ProgressTracker } from './tracker.ts';
import {
  asIndex,
  asTerm,
  EMPTY_DATA,
  isEmptyHardState,
  NO_NODE,
  ZERO_INDEX,
  ZERO_TERM,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type NodeId,
  type ProposedEntry,
  type RaftRole,
  type ReadState,
  type Snapshot,
  type SoftState,
  type Term,
} from './types.ts';

export const PROPOSAL_DROPPED_NO_LEADER = 'proposal dropped: no leader';
export const PROPOSAL_DROPPED_FORWARDING_DISABLED = 'proposal dropped: forwarding disabled';
export const PROPOSAL_DROPPED_TRANSFER = 'proposal dropped: leadership transfer in progress';
export const PROPOSAL_DROPPED_NOT_MEMBER = 'proposal dropped: leader is not a member';
export const PROPOSAL_DROPPED_CONF_PENDING = 'proposal dropped: another conf change is pending';
export const READ_DROPPED_NO_LEADER = 'read index dropped: no leader';

export type ProposeResult =
  | { readonly kind: 'appended'; readonly index: Index; readonly term: Term }
  | { readonly kind: 'forwarded'; readonly to: NodeId }
  | { readonly kind: 'dropped'; readonly reason: string };

export type ReadIndexResult =
  | { readonly kind: 'pending' }
  | { readonly kind: 'forwarded'; readonly to: NodeId }
  | { readonly kind: 'dropped'; readonly reason: string };

export type TransferResult =
  | { readonly kind: 'started' }
  | { readonly kind: 'forwarded'; readonly to: NodeId }
  | { readonly kind: 'ignored'; readonly reason: string };

export type CampaignResult =
  { readonly kind: 'started' } | { readonly kind: 'ignored'; readonly reason: string };

type CampaignType = 'pre-election' | 'election' | 'transfer';

interface PendingRead {
  readonly from: NodeId;
  readonly ctx: string;
}

const STARTED: CampaignResult = { kind: 'started' };
const READ_PENDING: ReadIndexResult = { kind: 'pending' };
const NO_ENTRIES: readonly Entry[] = [];

export class Raft {
  readonly id: NodeId;
  term: Term = ZERO_TERM;
  vote: NodeId = NO_NODE;
  role: RaftRole = 'follower';
  lead: NodeId = NO_NODE;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  isLearner = false;
  /** Outbox: may be sent as soon as the Ready is persisted. */
  msgs: Message[] = [];
  /** Responses that vouch for persisted state; see the file comment. */
  msgsAfterAppend: Message[] = [];
  readStates: ReadState[] = [];
  leadTransferee: NodeId = NO_NODE;
  /** Index of the last conf change appended; a new one waits until this is applied. */
  pendingConfIndex: Index = ZERO_INDEX;
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;

  private readonly cfg: ResolvedRaftConfig;
  private readonly random: Random;
  private readOnly = new ReadOnly();
  /** Entries were proposed but not yet broadcast. */
  private appendsPending = false;
  /** Reads that arrived before this leader committed an entry of its own term. */
  private pendingReads: PendingRead[] = [];

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.random = this.cfg.random;
    this.log = new RaftLog(this.cfg.storage, this.cfg.maxCommittedSizePerReadyBytes);
    this.tracker = new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    const { hardState, confState } = this.cfg.storage.initialState();
    this.tracker.restore(confState, this.log.lastIndex());
    this.isLearner = this.tracker.progress.get(this.id)?.isLearner ?? false;
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (this.cfg.applied > 0) this.log.appliedTo(this.cfg.applied);
    this.becomeFollower(this.term, NO_NODE);
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  // ---------------------------------------------------------------------------------------
  // Inputs

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  campaign(): CampaignResult {
    return this.hup(this.cfg.preVote ? 'pre-election' : 'election');
  }

  propose(entries: readonly ProposedEntry[]): ProposeResult {
    assert(entries.length > 0, 'empty proposal');
    switch (this.role) {
      case 'leader':
        return this.appendProposal(entries);
      case 'follower':
        if (this.lead === NO_NODE) return { kind: 'dropped', reason: PROPOSAL_DROPPED_NO_LEADER };
        if (this.cfg.disableProposalForwarding) {
          return { kind: 'dropped', reason: PROPOSAL_DROPPED_FORWARDING_DISABLED };
        }
        this.send({ kind: 'MsgProp', from: this.id, to: this.lead, term: ZERO_TERM, entries });
        return { kind: 'forwarded', to: this.lead };
      case 'candidate':
      case 'pre-candidate':
        return { kind: 'dropped', reason: PROPOSAL_DROPPED_NO_LEADER };
      default:
        return assertNever(this.role, 'role');
    }
  }

  readIndex(ctx: string): ReadIndexResult {
    switch (this.role) {
      case 'leader':
        this.leaderReadIndex(this.id, ctx);
        return READ_PENDING;
      case 'follower':
        if (this.lead === NO_NODE) return { kind: 'dropped', reason: READ_DROPPED_NO_LEADER };
        this.send({ kind: 'MsgReadIndex', from: this.id, to: this.lead, term: ZERO_TERM, ctx });
        return { kind: 'forwarded', to: this.lead };
      case 'candidate':
      case 'pre-candidate':
        return { kind: 'dropped', reason: READ_DROPPED_NO_LEADER };
      default:
        return assertNever(this.role, 'role');
    }
  }

  transferLeader(transferee: NodeId): TransferResult {
    switch (this.role) {
      case 'leader':
        return this.leaderTransfer(transferee);
      case 'follower':
        if (this.lead === NO_NODE) return { kind: 'ignored', reason: 'no leader' };
        this.send({
          kind: 'MsgTransferLeader',
          from: this.id,
          to: this.lead,
          term: this.term,
          transferee,
        });
        return { kind: 'forwarded', to: this.lead };
      case 'candidate':
      case 'pre-candidate':
        return { kind: 'ignored', reason: 'no leader' };
      default:
        return assertNever(this.role, 'role');
    }
  }

  /** The host could not deliver to `id`: stop streaming to it optimistically. */
  reportUnreachable(id: NodeId): void {
    const pr = this.tracker.progress.get(id);
    if (this.role === 'leader' && pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  /** The host learned whether the snapshot sent to `id` was applied. */
  reportSnapshot(id: NodeId, applied: boolean): void {
    const pr = this.tracker.progress.get(id);
    if (this.role !== 'leader' || pr === undefined || pr.state !== 'snapshot') return;
    if (!applied) pr.pendingSnapshot = ZERO_INDEX;
    pr.becomeProbe();
    // Wait for a heartbeat response before probing, as etcd does.
    pr.msgAppFlowPaused = true;
  }

  step(m: Message): void {
    if (m.term === 0) {
      // MsgProp and MsgReadIndex: not bound to a term.
    } else if (m.term > this.term) {
      if (
        (m.kind === 'MsgVote' || m.kind === 'MsgPreVote') &&
        !m.transfer &&
        this.inLeaderLease()
      ) {
        // CheckQuorum: we heard from a leader within the election timeout, so this candidate
        // is partitioned or slow, not a sign the leader is gone (thesis §4.2.3).
        return;
      }
      if (m.kind === 'MsgPreVote' || (m.kind === 'MsgPreVoteResp' && !m.reject)) {
        // A pre-vote changes nobody's term; a granted pre-vote carries the future term.
      } else if (m.kind === 'MsgApp' || m.kind === 'MsgHeartbeat' || m.kind === 'MsgSnap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NO_NODE);
      }
    } else if (m.term < this.term) {
      this.stepStale(m);
      return;
    }

    switch (m.kind) {
      case 'MsgVote':
      case 'MsgPreVote':
        this.handleVoteRequest(m);
        return;
      default:
        break;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
      default:
        assertNever(this.role, 'role');
    }
  }

  /** Applies a committed conf change (the host calls this when it applies the entry). */
  applyConfChange(cc: ConfChange): ConfState {
    this.tracker.apply(cc, this.log.lastIndex());
    return this.switchToConfig();
  }

  /** The host persisted entries up to (index, term). */
  stableTo(index: Index, term: Term): void {
    this.log.stableTo(index, term);
  }

  /** The host persisted and applied the snapshot. */
  appliedSnapshot(s: Snapshot): void {
    const index = s.metadata.index;
    this.log.stableSnapTo(index);
    if (index > this.log.applied) this.log.appliedTo(index);
  }

  appliedTo(index: Index): void {
    if (index > this.log.applied) this.log.appliedTo(index);
  }

  // ---------------------------------------------------------------------------------------
  // Ticks and elections

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign();
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.checkQuorumRound();
      if (this.role === 'leader') {
        this.expireStaleSnapshots();
        // A transfer that did not finish within an election timeout is abandoned...
        this.leadTransferee = NO_NODE;
        // ...unless we must hand off because we are no longer a voter: then retry.
        if (!this.tracker.isVoter(this.id)) this.handOff();
      }
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  private checkQuorumRound(): void {
    if (!this.tracker.quorumActive(this.id)) {
      this.becomeFollower(this.term, NO_NODE);
      return;
    }
    for (const [id, pr] of this.tracker.progress) {
      if (id !== this.id) pr.recentActive = false;
    }
  }

  /**
   * A MsgSnap has no acknowledgement of its own besides the follower's MsgAppResp; if neither
   * that nor reportSnapshot came within one to two election timeouts, assume it was lost.
   */
  private expireStaleSnapshots(): void {
    for (const pr of this.tracker.progress.values()) {
      if (pr.state !== 'snapshot') continue;
      if (!pr.snapshotStale) {
        pr.snapshotStale = true;
        continue;
      }
      pr.pendingSnapshot = ZERO_INDEX;
      pr.becomeProbe();
    }
  }

  private inLeaderLease(): boolean {
    return (
      this.cfg.checkQuorum && this.lead !== NO_NODE && this.electionElapsed < this.cfg.electionTicks
    );
  }

  private promotable(): boolean {
    const pr = this.tracker.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.hasPendingSnapshot();
  }

  private hup(t: CampaignType): CampaignResult {
    if (this.role === 'leader') return { kind: 'ignored', reason: 'already leader' };
    if (!this.promotable()) return { kind: 'ignored', reason: 'not promotable' };
    if (this.hasUnappliedConfChanges()) {
      // Our view of the membership may be about to change; campaigning now could use the
      // wrong quorum.
      return { kind: 'ignored', reason: 'unapplied conf changes' };
    }
    this.campaignAs(t);
    return STARTED;
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    const ents = this.log.slice(
      asIndex(this.log.applied + 1),
      asIndex(this.log.committed + 1),
      Infinity,
    );
    return ents !== undefined && ents.some((e) => e.type === 'conf-change');
  }

  private campaignAs(t: CampaignType): void {
    let voteTerm: Term;
    if (t === 'pre-election') {
      this.becomePreCandidate();
      voteTerm = asTerm(this.term + 1);
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
    }
    const kind = t === 'pre-election' ? 'MsgPreVote' : 'MsgVote';
    const respKind = t === 'pre-election' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of this.tracker.voters) {
      if (id === this.id) {
        this.send({ kind: respKind, from: id, to: id, term: voteTerm, reject: false });
      } else {
        this.send({
          kind,
          from: this.id,
          to: id,
          term: voteTerm,
          lastIndex,
          lastTerm,
          transfer: t === 'transfer',
        });
      }
    }
  }

  private poll(from: NodeId, granted: boolean): void {
    this.tracker.recordVote(from, granted);
    const result = this.tracker.tallyVotes().result;
    switch (result) {
      case 'won':
        if (this.role === 'pre-candidate') {
          this.campaignAs('election');
        } else {
          this.becomeLeader();
          this.bcastAppend();
        }
        return;
      case 'lost':
        this.becomeFollower(this.term, NO_NODE);
        return;
      case 'pending':
        return;
      default:
        assertNever(result, 'vote result');
    }
  }

  private handleVoteRequest(m: MsgVote | MsgPreVote): void {
    const respKind = m.kind === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
    // We may vote for a candidate we already voted for, or if we have neither voted nor a
    // leader in this term, or (pre-vote) for a future term.
    const canVote =
      this.vote === m.from ||
      (this.vote === NO_NODE && this.lead === NO_NODE) ||
      (m.kind === 'MsgPreVote' && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.lastIndex, m.lastTerm)) {
      this.send({ kind: respKind, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.kind === 'MsgVote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ kind: respKind, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  /** A message from an older term. */
  private stepStale(m: Message): void {
    if (
      (this.cfg.checkQuorum || this.cfg.preVote) &&
      (m.kind === 'MsgHeartbeat' || m.kind === 'MsgApp')
    ) {
      // A leader cut off by a partition will never campaign again (PreVote, CheckQuorum), so
      // without this answer carrying our term it would never learn to step down.
      this.send(this.appResp(m.from, ZERO_INDEX));
    } else if (m.kind === 'MsgPreVote') {
      this.send({
        kind: 'MsgPreVoteResp',
        from: this.id,
        to: m.from,
        term: this.term,
        reject: true,
      });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Role transitions

  private reset(term: Term): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.lead = NO_NODE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.cfg.electionTicks + this.random.int(this.cfg.electionTicks);
    this.leadTransferee = NO_NODE;
    this.tracker.resetVotes();
    const lastIndex = this.log.lastIndex();
    for (const [id, pr] of this.tracker.progress) {
      pr.becomeProbe();
      pr.match = id === this.id ? lastIndex : ZERO_INDEX;
      pr.next = asIndex(lastIndex + 1);
      pr.sentCommit = ZERO_INDEX;
      pr.recentActive = false;
      pr.msgAppFlowPaused = false;
    }
    this.pendingConfIndex = ZERO_INDEX;
    this.readOnly = new ReadOnly();
    this.pendingReads = [];
  }

  private becomeFollower(term: Term, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'invalid transition [leader -> pre-candidate]');
    // Unlike becomeCandidate, the term (and vote) stay: a pre-election must not disturb anyone.
    this.tracker.resetVotes();
    this.lead = NO_NODE;
    this.role = 'pre-candidate';
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'invalid transition [leader -> candidate]');
    this.reset(asTerm(this.term + 1));
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role !== 'follower', 'invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.tracker.progress.get(this.id);
    assert(self !== undefined, 'leader without own progress');
    self.becomeReplicate();
    self.recentActive = true;
    // Any conf change in the uncommitted tail may still be pending: be conservative.
    this.pendingConfIndex = this.log.lastIndex();
    // An entry of our own term lets us commit (and learn the commit index) promptly.
    this.appendEntries([{ type: 'normal', data: EMPTY_DATA }]);
  }

  // ---------------------------------------------------------------------------------------
  // Leader

  private stepLeader(m: Message): void {
    switch (m.kind) {
      case 'MsgProp':
        this.appendProposal(m.entries);
        return;
      case 'MsgReadIndex':
        this.leaderReadIndex(m.from, m.ctx);
        return;
      case 'MsgTransferLeader':
        this.leaderTransfer(m.transferee);
        return;
      case 'MsgAppResp':
        this.handleAppResp(m);
        return;
      case 'MsgHeartbeatResp':
        this.handleHeartbeatResp(m);
        return;
      case 'MsgApp':
      case 'MsgHeartbeat':
      case 'MsgSnap':
      case 'MsgVote':
      case 'MsgPreVote':
      case 'MsgVoteResp':
      case 'MsgPreVoteResp':
      case 'MsgReadIndexResp':
      case 'MsgTimeoutNow':
        return;
      default:
        assertNever(m, 'message');
    }
  }

  private appendProposal(entries: readonly ProposedEntry[]): ProposeResult {
    if (!this.tracker.progress.has(this.id))
      return { kind: 'dropped', reason: PROPOSAL_DROPPED_NOT_MEMBER };
    if (this.leadTransferee !== NO_NODE)
      return { kind: 'dropped', reason: PROPOSAL_DROPPED_TRANSFER };
    let confIndex: Index = ZERO_INDEX;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as ProposedEntry;
      if (e.type !== 'conf-change') continue;
      if (confIndex !== 0 || this.pendingConfIndex > this.log.applied) {
        return { kind: 'dropped', reason: PROPOSAL_DROPPED_CONF_PENDING };
      }
      const outcome = changeConfState(this.tracker.confState(), decodeConfChange(e.data));
      if (outcome.kind === 'invalid')
        return { kind: 'dropped', reason: `proposal dropped: ${outcome.reason}` };
      confIndex = asIndex(this.log.lastIndex() + i + 1);
    }
    if (confIndex !== 0) this.pendingConfIndex = confIndex;
    const last = this.appendEntries(entries);
    // Unlike etcd-io/raft, do not broadcast per proposal: proposals stepped between two Readys
    // share one MsgApp per follower (see flushAppends).
    this.appendsPending = true;
    return { kind: 'appended', index: last, term: this.term };
  }

  /** Sends the entries proposed since the last Ready; RawNode calls this before collecting. */
  flushAppends(): void {
    if (!this.appendsPending) return;
    this.appendsPending = false;
    if (this.role !== 'leader') return;
    for (const id of this.tracker.ids) {
      if (id !== this.id) this.maybeSendAppend(id, false);
    }
  }

  /** Stamps and appends entries; our own ack is sent to ourselves, to count after persisting. */
  private appendEntries(entries: readonly ProposedEntry[]): Index {
    const first = this.log.lastIndex() + 1;
    const stamped: Entry[] = new Array<Entry>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as ProposedEntry;
      stamped[i] = { term: this.term, index: asIndex(first + i), type: e.type, data: e.data };
    }
    const last = this.log.append(stamped);
    this.send(this.appResp(this.id, last));
    return last;
  }

  private handleAppResp(m: MsgAppResp): void {
    const pr = this.tracker.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (m.reject) {
      // The follower's hint (index, term) lets us skip every index whose term cannot match.
      const nextProbe =
        m.rejectHintTerm > 0
          ? this.log.findConflictByTerm(m.rejectHintIndex, m.rejectHintTerm).index
          : m.rejectHintIndex;
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === 'probe')) return;
    switch (pr.state) {
      case 'probe':
        pr.becomeReplicate();
        break;
      case 'snapshot':
        if (pr.match + 1 >= this.log.firstIndex()) {
          // The follower applied the snapshot (or caught up otherwise): stream again.
          pr.becomeProbe();
          pr.becomeReplicate();
        }
        break;
      case 'replicate':
        pr.inflights.freeLE(m.index);
        break;
      default:
        assertNever(pr.state, 'progress state');
    }
    if (this.maybeCommit()) {
      this.releasePendingReads();
      this.bcastAppend();
    } else if (m.from !== this.id && pr.canBumpCommit(this.log.committed)) {
      this.sendAppend(m.from);
    }
    if (m.from !== this.id) {
      while (this.maybeSendAppend(m.from, false)) {
        // Drain: fill the follower's inflight window.
      }
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex())
      this.sendTimeoutNow(m.from);
  }

  private handleHeartbeatResp(m: MsgHeartbeatResp): void {
    const pr = this.tracker.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    pr.msgAppFlowPaused = false;
    if (pr.match < this.log.lastIndex() || pr.state === 'probe') this.sendAppend(m.from);
    if (m.readSeq === 0) return;
    this.readOnly.recvAck(m.from, m.readSeq);
    for (const req of this.readOnly.advance(this.tracker.voters)) {
      this.respondToRead(req.from, req.ctx, req.index);
    }
  }

  /** Commit the quorum-replicated index, but only if it is from our term (§5.4.2). */
  private maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term);
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  private leaderReadIndex(from: NodeId, ctx: string): void {
    if (!this.committedEntryInCurrentTerm()) {
      // Until then our commit index may lag the true one (§6.4): postpone.
      this.pendingReads.push({ from, ctx });
      return;
    }
    this.startReadRound(from, ctx);
    if (!this.tracker.isSingleton()) this.bcastHeartbeat();
  }

  private startReadRound(from: NodeId, ctx: string): void {
    if (this.tracker.isSingleton()) {
      this.respondToRead(from, ctx, this.log.committed);
      return;
    }
    this.readOnly.add({ from, ctx, index: this.log.committed });
    this.readOnly.recvAck(this.id, this.readOnly.pendingSeq());
  }

  private releasePendingReads(): void {
    if (this.pendingReads.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const reads = this.pendingReads;
    this.pendingReads = [];
    for (const r of reads) this.startReadRound(r.from, r.ctx);
    if (!this.tracker.isSingleton()) this.bcastHeartbeat();
  }

  private respondToRead(from: NodeId, ctx: string, index: Index): void {
    if (from === this.id) {
      this.readStates.push({ index, ctx });
    } else {
      this.send({ kind: 'MsgReadIndexResp', from: this.id, to: from, term: this.term, index, ctx });
    }
  }

  private leaderTransfer(transferee: NodeId): TransferResult {
    const pr = this.tracker.progress.get(transferee);
    if (pr === undefined) return { kind: 'ignored', reason: `${transferee} is not a member` };
    if (pr.isLearner) return { kind: 'ignored', reason: `${transferee} is a learner` };
    if (transferee === this.id) return { kind: 'ignored', reason: 'already leader' };
    if (this.leadTransferee === transferee)
      return { kind: 'ignored', reason: 'transfer in progress' };
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(transferee);
    else this.sendAppend(transferee);
    return { kind: 'started' };
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ kind: 'MsgTimeoutNow', from: this.id, to, term: this.term });
    // Handing off after our removal: the new leader will not talk to us (we are not in its
    // configuration), so nothing would ever tell us to stop leading.
    if (!this.tracker.isVoter(this.id)) this.becomeFollower(this.term, NO_NODE);
  }

  private bcastAppend(): void {
    for (const id of this.tracker.ids) {
      if (id !== this.id) this.sendAppend(id);
    }
  }

  private bcastHeartbeat(): void {
    const readSeq = this.readOnly.pendingSeq();
    for (const id of this.tracker.ids) {
      if (id !== this.id) this.sendHeartbeat(id, readSeq);
    }
  }

  private sendHeartbeat(to: NodeId, readSeq: number): void {
    const pr = this.tracker.progress.get(to);
    assert(pr !== undefined, `no progress for ${to}`);
    // Never tell a follower to commit beyond what it is known to have.
    const commit = asIndex(Math.min(pr.match, this.log.committed));
    this.send({ kind: 'MsgHeartbeat', from: this.id, to, term: this.term, commit, readSeq });
    pr.sentCommit = commit;
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends the next batch of entries (or, if `sendIfEmpty`, at least the commit index) to `to`,
   * or a snapshot if the entries it needs are compacted. False if nothing was sent.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = asIndex(pr.next - 1);
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) return this.maybeSendSnapshot(to);
    let entries: readonly Entry[] | undefined = NO_ENTRIES;
    if (pr.state !== 'replicate' || !pr.inflights.full()) {
      entries = this.log.entriesFrom(pr.next, this.cfg.maxSizePerMsgBytes);
      if (entries === undefined) return this.maybeSendSnapshot(to);
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    const commit = this.log.committed;
    this.send({
      kind: 'MsgApp',
      from: this.id,
      to,
      term: this.term,
      prevIndex,
      prevTerm,
      entries,
      commit,
    });
    pr.sentEntries(entries.length, entries.length === 0 ? 0 : entriesSizeBytes(entries));
    pr.sentCommit = commit;
    return true;
  }

  private maybeSendSnapshot(to: NodeId): boolean {
    const pr = this.tracker.progress.get(to);
    assert(pr !== undefined, `no progress for ${to}`);
    // Snapshots are expensive; only send one to a follower that is known to be alive.
    if (!pr.recentActive) return false;
    const snapshot = this.log.snapshot();
    assert(snapshot.metadata.index > 0, 'need a non-empty snapshot');
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send({ kind: 'MsgSnap', from: this.id, to, term: this.term, snapshot });
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Candidate and follower

  private stepCandidate(m: Message): void {
    switch (m.kind) {
      case 'MsgApp':
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'MsgVoteResp':
        if (this.role === 'candidate') this.poll(m.from, !m.reject);
        return;
      case 'MsgPreVoteResp':
        if (this.role === 'pre-candidate') this.poll(m.from, !m.reject);
        return;
      case 'MsgProp':
      case 'MsgReadIndex':
      case 'MsgReadIndexResp':
      case 'MsgTransferLeader':
      case 'MsgTimeoutNow':
      case 'MsgAppResp':
      case 'MsgHeartbeatResp':
      case 'MsgVote':
      case 'MsgPreVote':
        return;
      default:
        assertNever(m, 'message');
    }
  }

  private stepFollower(m: Message): void {
    switch (m.kind) {
      case 'MsgProp':
        if (this.lead !== NO_NODE && !this.cfg.disableProposalForwarding) {
          this.send({ ...m, to: this.lead });
        }
        return;
      case 'MsgApp':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'MsgTransferLeader':
        if (this.lead !== NO_NODE)
          this.send({ ...m, from: this.id, to: this.lead, term: this.term });
        return;
      case 'MsgTimeoutNow':
        // Skip PreVote and the leader lease: the leader asked us to take over.
        this.hup('transfer');
        return;
      case 'MsgReadIndex':
        if (this.lead !== NO_NODE) this.send({ ...m, to: this.lead });
        return;
      case 'MsgReadIndexResp':
        this.readStates.push({ index: m.index, ctx: m.ctx });
        return;
      case 'MsgAppResp':
      case 'MsgHeartbeatResp':
      case 'MsgVote':
      case 'MsgPreVote':
      case 'MsgVoteResp':
      case 'MsgPreVoteResp':
        return;
      default:
        assertNever(m, 'message');
    }
  }

  private handleAppendEntries(m: MsgApp): void {
    if (m.prevIndex < this.log.committed) {
      // Everything up to our commit index matches the leader's log already.
      this.send(this.appResp(m.from, this.log.committed));
      return;
    }
    const last = this.log.maybeAppend(m.prevIndex, m.prevTerm, m.commit, m.entries);
    if (last !== undefined) {
      this.send(this.appResp(m.from, last));
      return;
    }
    // Reject with a hint: the last index at or below prevIndex whose term is <= prevTerm. The
    // leader can jump there instead of walking back one entry per round trip.
    const hint = this.log.findConflictByTerm(
      asIndex(Math.min(m.prevIndex, this.log.lastIndex())),
      m.prevTerm,
    );
    this.send({
      kind: 'MsgAppResp',
      from: this.id,
      to: m.from,
      term: this.term,
      index: m.prevIndex,
      reject: true,
      rejectHintIndex: hint.index,
      rejectHintTerm: hint.term,
    });
  }

  private handleHeartbeat(m: MsgHeartbeat): void {
    this.log.commitTo(m.commit);
    this.send({
      kind: 'MsgHeartbeatResp',
      from: this.id,
      to: m.from,
      term: this.term,
      readSeq: m.readSeq,
    });
  }

  private handleSnapshot(m: MsgSnap): void {
    const index = this.restore(m.snapshot) ? this.log.lastIndex() : this.log.committed;
    this.send(this.appResp(m.from, index));
  }

  /** Installs a snapshot from the leader; false if it brings nothing new. */
  private restore(s: Snapshot): boolean {
    const { index, term, confState } = s.metadata;
    if (index <= this.log.committed) return false;
    if (this.role !== 'follower') {
      // Only a leader of our term sends snapshots, and we follow it; never expected.
      this.becomeFollower(asTerm(this.term + 1), NO_NODE);
      return false;
    }
    // Unlike etcd-io/raft we accept a snapshot whose membership lacks us: it may predate our
    // addition (etcd's server papers over this by building a fresh snapshot per send). We are
    // then not promotable until we apply the conf change that adds us, which follows it.
    if (this.log.matchTerm(index, term)) {
      // We have the snapshot's last entry, hence (log matching) everything before it.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(s);
    this.tracker.restore(confState, this.log.lastIndex());
    this.switchToConfig();
    return true;
  }

  private switchToConfig(): ConfState {
    const cs = this.tracker.confState();
    const self = this.tracker.progress.get(this.id);
    this.isLearner = self !== undefined && self.isLearner;
    if (this.role !== 'leader' || cs.voters.length === 0) return cs;
    // The quorum changed: something may be committable now, and new members need the log.
    if (this.maybeCommit()) {
      this.releasePendingReads();
      this.bcastAppend();
    } else {
      for (const id of this.tracker.ids) {
        if (id !== this.id) this.maybeSendAppend(id, false);
      }
    }
    if (this.leadTransferee !== NO_NODE && !this.tracker.isVoter(this.leadTransferee)) {
      this.leadTransferee = NO_NODE;
    }
    if (!this.tracker.isVoter(this.id)) this.handOff();
    return cs;
  }

  /**
   * We lead but are no longer a voter (removed or demoted). Stepping down at once, as etcd's
   * StepDownOnRemoval does, can strand the cluster: a remaining voter that has not yet learned
   * the change is committed still counts us in its quorum, and we would refuse to vote for it
   * if our log is longer. Instead keep leading (heartbeats spread the commit index) and
   * transfer leadership to the most caught-up voter, retrying every election timeout.
   */
  private handOff(): void {
    if (this.leadTransferee !== NO_NODE) return;
    let best: NodeId = NO_NODE;
    let bestMatch = -1;
    for (const id of this.tracker.voters) {
      const match = this.tracker.progress.get(id)?.match ?? 0;
      if (match > bestMatch) {
        best = id;
        bestMatch = match;
      }
    }
    if (best !== NO_NODE) this.leaderTransfer(best);
  }

  private loadState(hs: HardState): void {
    assert(
      hs.commit >= this.log.committed && hs.commit <= this.log.lastIndex(),
      `${this.id} state.commit ${hs.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`,
    );
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  private appResp(to: NodeId, index: Index): MsgAppResp {
    return {
      kind: 'MsgAppResp',
      from: this.id,
      to,
      term: this.term,
      index,
      reject: false,
      rejectHintIndex: ZERO_INDEX,
      rejectHintTerm: ZERO_TERM,
    };
  }

  private send(m: Message): void {
    if (m.kind === 'MsgAppResp' || m.kind === 'MsgVoteResp' || m.kind === 'MsgPreVoteResp') {
      this.msgsAfterAppend.push(m);
    } else {
      assert(m.to !== this.id, `message to self: ${m.kind}`);
      this.msgs.push(m);
    }
  }
}
