/**
 * ReadIndex bookkeeping on the leader (etcd-io/raft read_only.go, ReadOnlySafe). Each request
 * gets a sequence number and the commit index at arrival; a heartbeat round carries the highest
 * pending sequence number, and once a majority of voters echoes a sequence number >= n, every
 * request up to n is confirmed: no other leader can have committed anything we do not know.
 */
import { committedIndex } from './quorum.ts';
import type { Index, NodeId } from './types.ts';

export interface ReadRequest {
  /** Who asked: ourselves (a local read) or a follower that forwarded MsgReadIndex. */
  readonly from: NodeId;
  readonly ctx: string;
  /** The leader's commit index when the request arrived: the read must see at least this. */
  readonly index: Index;
}

const NONE: readonly ReadRequest[] = [];

export class ReadOnly {
  private readonly acks = new Map<NodeId, number>();
  private unconfirmed: ReadRequest[] = [];
  /** Sequence number of the last confirmed request (requests are numbered from 1). */
  private confirmed = 0;
  private readonly scratch: number[] = [];

  add(req: ReadRequest): void {
    this.unconfirmed.push(req);
  }

  /** Sequence number the next heartbeat round should carry; 0 when nothing is pending. */
  pendingSeq(): number {
    return this.unconfirmed.length === 0 ? 0 : this.confirmed + this.unconfirmed.length;
  }

  recvAck(from: NodeId, seq: number): void {
    if (seq > (this.acks.get(from) ?? 0)) this.acks.set(from, seq);
  }

  /** Requests newly confirmed by a majority of `voters`, oldest first. */
  advance(voters: readonly NodeId[]): readonly ReadRequest[] {
    const seq = committedIndex(voters, (id) => this.acks.get(id), this.scratch);
    if (seq <= this.confirmed) return NONE;
    const done = this.unconfirmed.splice(0, seq - this.confirmed);
    this.confirmed = seq;
    return done;
  }

  pendingCount(): number {
    return this.unconfirmed.length;
  }
}
