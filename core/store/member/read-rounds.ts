/**
 * Linearizable reads on the leader (Raft's ReadIndex, etcd's linearizable read loop). One round
 * is in flight at a time; reads that arrive meanwhile share the next one. A round's reads are
 * served once Raft has confirmed the read point with a quorum and this member has applied up
 * to it. Reads never go through the log.
 */
import type { RawNode } from '../../raft/raw-node.ts';
import type { Index, ReadState } from '../../raft/types.ts';
import type { MemberReply } from './member-protocol.ts';
import type { Resolve } from './proposals.ts';

interface QueuedRead {
  readonly serve: () => MemberReply;
  readonly resolve: Resolve;
}

interface ReadRound {
  readonly ctx: string;
  readonly reads: readonly QueuedRead[];
  /** Set when Raft has confirmed the read point. */
  index: Index | undefined;
}

/** What a member tells checkers about its read rounds (see MemberProbe). */
export interface ReadRoundWatcher {
  started(ctx: string): void;
  /** The round `ctx` is being served at `readIndex` by a member that has applied `applied`. */
  served(ctx: string, readIndex: Index, applied: Index): void;
}

export class ReadRounds {
  private queued: QueuedRead[] = [];
  private round: ReadRound | undefined;
  private seq = 0;

  constructor(private readonly watcher?: ReadRoundWatcher) {}

  /** `serve` runs on the state machine once the read point is applied. */
  add(serve: () => MemberReply, resolve: Resolve): void {
    this.queued.push({ serve, resolve });
  }

  /**
   * Starts a round for the queued reads unless one is in flight. Its context is unique across
   * the member's restarts (`incarnation`), so a late answer to an old round is never taken
   * for a new one.
   */
  flush(node: RawNode, incarnation: number, notLeader: () => MemberReply): void {
    if (this.queued.length === 0 || this.round !== undefined) return;
    const ctx = `${incarnation}.${++this.seq}`;
    const reads = this.queued;
    this.queued = [];
    this.watcher?.started(ctx);
    const result = node.readIndex(ctx);
    if (result.kind === 'pending') this.round = { ctx, reads, index: undefined };
    else for (const r of reads) r.resolve(notLeader());
  }

  /** Records the read points a Ready confirmed. */
  confirm(readStates: readonly ReadState[]): void {
    for (const rs of readStates) {
      if (this.round?.ctx === rs.ctx) this.round.index = rs.index;
    }
  }

  /** Serves the confirmed round once its index is applied. */
  serve(applied: Index): void {
    const round = this.round;
    if (round === undefined || round.index === undefined || applied < round.index) return;
    this.round = undefined;
    this.watcher?.served(round.ctx, round.index, applied);
    for (const r of round.reads) r.resolve(r.serve());
  }

  /** Leadership was lost: every read waiting here is answered `reply()`. */
  fail(reply: () => MemberReply): void {
    const round = this.round;
    this.round = undefined;
    const queued = this.queued;
    this.queued = [];
    if (round !== undefined) for (const r of round.reads) r.resolve(reply());
    for (const r of queued) r.resolve(reply());
  }
}
