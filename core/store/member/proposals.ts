/**
 * The leader's proposals, from request to answer. Writes that arrive while a Ready is being
 * persisted queue here and go out together in one `proposeBatch` (one append, one MsgApp per
 * follower); a membership change waits alone, one in flight at a time. Once appended, each is
 * remembered by its log index with the term it was proposed in, until an entry is applied at
 * that index: the proposal itself when the term matches, something else (it was never
 * committed) when it does not.
 */
import type { ConfChange } from '../../raft/conf-change.ts';
import type { RawNode } from '../../raft/raw-node.ts';
import type { Index, ProposedEntry, Term } from '../../raft/types.ts';
import type { Op } from '../types.ts';
import type { MemberReply } from './member-protocol.ts';

export type Resolve = (reply: MemberReply) => void;

interface QueuedProposal {
  readonly op: Op;
  readonly data: Uint8Array;
  /** Absent for the member's own proposals (lease revocations). */
  readonly resolve: Resolve | undefined;
}

export interface InflightProposal {
  readonly term: Term;
  /** Undefined for a membership change. */
  readonly op: Op | undefined;
  readonly resolve: Resolve | undefined;
}

interface QueuedConfChange {
  readonly cc: ConfChange;
  readonly resolve: Resolve;
}

export class Proposals {
  private queued: QueuedProposal[] = [];
  /** A membership change waiting to be proposed (one at a time, with `confChangeIndex`). */
  private confChange: QueuedConfChange | undefined;
  /** The index of the membership change proposed and not yet applied here. */
  private confChangeIndex: Index | undefined;
  private readonly inflight = new Map<number, InflightProposal>();

  /** A membership change is queued or proposed and not yet applied. */
  get confChangeBusy(): boolean {
    return this.confChange !== undefined || this.confChangeIndex !== undefined;
  }

  add(op: Op, data: Uint8Array, resolve: Resolve | undefined): void {
    this.queued.push({ op, data, resolve });
  }

  addConfChange(cc: ConfChange, resolve: Resolve): void {
    this.confChange = { cc, resolve };
  }

  /**
   * Proposes the queued writes in batches of at most `maxBatchEntries`. A batch Raft refuses
   * was appended nowhere (forwarding is off), so its writes are answered `notLeader()`, safe
   * to retry elsewhere; the member's own proposals go to `dropped`.
   */
  flush(
    node: RawNode,
    maxBatchEntries: number,
    notLeader: () => MemberReply,
    dropped: (op: Op) => void,
  ): void {
    while (this.queued.length > 0) {
      const batch =
        this.queued.length <= maxBatchEntries ? this.queued : this.queued.slice(0, maxBatchEntries);
      this.queued = batch === this.queued ? [] : this.queued.slice(batch.length);
      const entries: ProposedEntry[] = new Array<ProposedEntry>(batch.length);
      for (let i = 0; i < batch.length; i++) entries[i] = { type: 'normal', data: batch[i]!.data };
      const result = node.proposeBatch(entries);
      if (result.kind === 'appended') {
        const first = result.index - batch.length + 1;
        for (let i = 0; i < batch.length; i++) {
          const p = batch[i]!;
          this.inflight.set(first + i, { term: result.term, op: p.op, resolve: p.resolve });
        }
      } else {
        for (const p of batch) {
          if (p.resolve !== undefined) p.resolve(notLeader());
          else dropped(p.op);
        }
      }
    }
  }

  flushConfChange(node: RawNode, notLeader: () => MemberReply): void {
    const queued = this.confChange;
    if (queued === undefined) return;
    this.confChange = undefined;
    const result = node.proposeConfChange(queued.cc);
    if (result.kind === 'appended') {
      this.confChangeIndex = result.index;
      this.inflight.set(result.index, {
        term: result.term,
        op: undefined,
        resolve: queued.resolve,
      });
    } else {
      queued.resolve(notLeader());
    }
  }

  /** The proposal made at `index`, if any, now that an entry is applied there. */
  take(index: Index): InflightProposal | undefined {
    if (this.inflight.size === 0) return undefined;
    const pending = this.inflight.get(index);
    if (pending !== undefined) this.inflight.delete(index);
    return pending;
  }

  /** The entry at the proposed membership change's index was applied. */
  confChangeApplied(): void {
    this.confChangeIndex = undefined;
  }

  /** Leadership was lost: queued requests are answered `reply()` (nothing was proposed). */
  failQueued(reply: () => MemberReply): void {
    const queued = this.queued;
    this.queued = [];
    for (const p of queued) p.resolve?.(reply());
    const conf = this.confChange;
    this.confChange = undefined;
    conf?.resolve(reply());
  }

  /** A snapshot covers the log through `index`: proposals there will never be applied here. */
  forgetThrough(index: Index): void {
    for (const i of [...this.inflight.keys()]) if (i <= index) this.inflight.delete(i);
    if (this.confChangeIndex !== undefined && this.confChangeIndex <= index) {
      this.confChangeIndex = undefined;
    }
  }
}
