/**
 * The host-facing Raft API (etcd-io/raft rawnode.go, synchronous storage writes only): feed it
 * ticks, messages and requests; collect a Ready; persist, send, apply; advance.
 */
import { assert } from '../util/assert.ts';
import { encodeConfChange, type ConfChange } from './conf-change.ts';
import type { RaftConfig } from './config.ts';
import type { Message } from './messages.ts';
import {
  Raft,
  type CampaignResult,
  type ProposeResult,
  type ReadIndexResult,
  type TransferResult,
} from './raft.ts';
import type { Ready } from './ready.ts';
import { raftStatus, type RaftStatus } from './status.ts';
import {
  type ConfState,
  type HardState,
  type NodeId,
  type ProposedEntry,
  type ReadState,
  type SoftState,
} from './types.ts';

const NO_MESSAGES: readonly Message[] = [];
const NO_READ_STATES: readonly ReadState[] = Object.freeze([]);

export class RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** Our own responses from the last Ready, stepped once its writes are durable. */
  private stepsOnAdvance: readonly Message[] = NO_MESSAGES;
  private awaitingAdvance = false;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /** Advances logical time by one tick (the host decides how long a tick is; 100 ms upstream). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (PreVote first if enabled). */
  campaign(): CampaignResult {
    return this.raft.campaign();
  }

  propose(data: Uint8Array): ProposeResult {
    return this.raft.propose([{ type: 'normal', data }]);
  }

  /** Proposes several entries at once: one append, one MsgApp per follower. */
  proposeBatch(entries: readonly ProposedEntry[]): ProposeResult {
    return this.raft.propose(entries);
  }

  /** Only one conf change may be pending (appended but not applied) at a time. */
  proposeConfChange(cc: ConfChange): ProposeResult {
    return this.raft.propose([{ type: 'conf-change', data: encodeConfChange(cc) }]);
  }

  /** Requests a linearizable read point; the answer arrives as a ReadState in a later Ready. */
  readIndex(ctx: string): ReadIndexResult {
    return this.raft.readIndex(ctx);
  }

  transferLeader(transferee: NodeId): TransferResult {
    return this.raft.transferLeader(transferee);
  }

  step(m: Message): void {
    assert(m.to === this.raft.id, `message for ${m.to} stepped on ${this.raft.id}`);
    this.raft.step(m);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, applied: boolean): void {
    this.raft.reportSnapshot(id, applied);
  }

  /** Applies a committed conf change; returns the new membership (to store with snapshots). */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  hasReady(): boolean {
    const r = this.raft;
    r.flushAppends();
    if (r.msgs.length > 0 || r.msgsAfterAppend.length > 0) return true;
    if (r.log.unstable.hasNextEntries() || r.log.hasNextCommittedEntries()) return true;
    if (r.readStates.length > 0 || r.log.nextUnstableSnapshot() !== undefined) return true;
    return this.softStateChanged() || this.hardStateChanged();
  }

  // Compared field by field: hasReady runs on every turn of the host's loop, and building the
  // states to compare them was most of what an idle store allocated there.
  private softStateChanged(): boolean {
    const r = this.raft;
    return r.lead !== this.prevSoftState.lead || r.role !== this.prevSoftState.role;
  }

  private hardStateChanged(): boolean {
    const r = this.raft;
    const prev = this.prevHardState;
    return r.term !== prev.term || r.vote !== prev.vote || r.log.committed !== prev.commit;
  }

  /** Collects pending work; the caller must process it and call advance() before the next. */
  ready(): Ready {
    assert(!this.awaitingAdvance, 'ready() called again before advance()');
    const r = this.raft;
    r.flushAppends();
    const softChanged = this.softStateChanged();
    const soft = softChanged ? r.softState() : this.prevSoftState;
    const hardChanged = this.hardStateChanged();
    const hard = hardChanged ? r.hardState() : this.prevHardState;
    const entries = r.log.nextUnstableEntries();
    const committedEntries = r.log.nextCommittedEntries();
    const snapshot = r.log.nextUnstableSnapshot();
    const rd: Ready = {
      softState: softChanged ? soft : undefined,
      hardState: hardChanged ? hard : undefined,
      entries,
      snapshot,
      committedEntries,
      messages: this.takeMessages(),
      // The raft keeps collecting into its own array while the host holds this Ready.
      readStates: r.readStates.length === 0 ? NO_READ_STATES : r.readStates,
      mustSync:
        entries.length > 0 ||
        snapshot !== undefined ||
        hard.term !== this.prevHardState.term ||
        hard.vote !== this.prevHardState.vote,
    };
    if (softChanged) this.prevSoftState = soft;
    if (hardChanged) this.prevHardState = hard;
    if (r.readStates.length > 0) r.readStates = [];
    r.log.acceptUnstable();
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted !== undefined) r.log.acceptApplying(lastCommitted.index);
    this.awaitingAdvance = true;
    return rd;
  }

  /** The host persisted, sent and applied `rd`. */
  advance(rd: Ready): void {
    assert(this.awaitingAdvance, 'advance() without ready()');
    this.awaitingAdvance = false;
    const r = this.raft;
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) r.stableTo(lastEntry.index, lastEntry.term);
    if (rd.snapshot !== undefined) r.appliedSnapshot(rd.snapshot);
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted !== undefined) r.appliedTo(lastCommitted.index);
    const steps = this.stepsOnAdvance;
    this.stepsOnAdvance = NO_MESSAGES;
    for (const m of steps) r.step(m);
  }

  status(): RaftStatus {
    return raftStatus(this.raft);
  }

  /** Messages for the Ready; our own durable-state responses are kept for advance(). */
  private takeMessages(): readonly Message[] {
    const r = this.raft;
    const out = r.msgs;
    r.msgs = [];
    const after = r.msgsAfterAppend;
    if (after.length === 0) return out;
    r.msgsAfterAppend = [];
    const self: Message[] = [];
    for (const m of after) {
      if (m.to === r.id) self.push(m);
      else out.push(m);
    }
    this.stepsOnAdvance = self;
    return out;
  }
}
