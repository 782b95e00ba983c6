/**
 * Messages between Raft members (raftpb.Message, split per type). Every message carries
 * from/to/term; the two requests that travel before their sender knows a term (`MsgProp`,
 * `MsgReadIndex`) carry term 0 and skip the term check, as in etcd-io/raft.
 */
import type { Entry, Index, NodeId, ProposedEntry, Snapshot, Term } from './types.ts';

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

/** Append entries after (prevTerm, prevIndex); also carries the leader's commit index. */
export interface MsgApp extends Envelope {
  readonly kind: 'MsgApp';
  readonly prevIndex: Index;
  readonly prevTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: Index;
}

/**
 * Accept: the follower's log matches the leader's up to `index`. Reject: no entry
 * (prevTerm, prevIndex = `index`) here; the hint is the follower's best guess of the last
 * index where the logs might agree (the "fast log rejection" of etcd's findConflictByTerm).
 */
export interface MsgAppResp extends Envelope {
  readonly kind: 'MsgAppResp';
  readonly index: Index;
  readonly reject: boolean;
  readonly rejectHintIndex: Index;
  readonly rejectHintTerm: Term;
}

interface VoteRequest extends Envelope {
  readonly lastIndex: Index;
  readonly lastTerm: Term;
  /** Set by a leadership transfer: bypasses the leader lease of CheckQuorum. */
  readonly transfer: boolean;
}

export interface MsgVote extends VoteRequest {
  readonly kind: 'MsgVote';
}

/** `term` is the term the candidate would campaign at (its term + 1); nobody's term changes. */
export interface MsgPreVote extends VoteRequest {
  readonly kind: 'MsgPreVote';
}

export interface MsgVoteResp extends Envelope {
  readonly kind: 'MsgVoteResp';
  readonly reject: boolean;
}

export interface MsgPreVoteResp extends Envelope {
  readonly kind: 'MsgPreVoteResp';
  readonly reject: boolean;
}

/** `commit` is min(follower's match, leader's commit); `readSeq` > 0 confirms ReadIndex rounds. */
export interface MsgHeartbeat extends Envelope {
  readonly kind: 'MsgHeartbeat';
  readonly commit: Index;
  readonly readSeq: number;
}

export interface MsgHeartbeatResp extends Envelope {
  readonly kind: 'MsgHeartbeatResp';
  readonly readSeq: number;
}

export interface MsgSnap extends Envelope {
  readonly kind: 'MsgSnap';
  readonly snapshot: Snapshot;
}

/** A read request forwarded by a follower to its leader. Term 0. */
export interface MsgReadIndex extends Envelope {
  readonly kind: 'MsgReadIndex';
  readonly ctx: string;
}

export interface MsgReadIndexResp extends Envelope {
  readonly kind: 'MsgReadIndexResp';
  readonly index: Index;
  readonly ctx: string;
}

/** The leader tells an up-to-date transferee to campaign right now. */
export interface MsgTimeoutNow extends Envelope {
  readonly kind: 'MsgTimeoutNow';
}

/** A transfer request forwarded to the leader. */
export interface MsgTransferLeader extends Envelope {
  readonly kind: 'MsgTransferLeader';
  readonly transferee: NodeId;
}

/** Proposals forwarded by a follower to its leader. Term 0. */
export interface MsgProp extends Envelope {
  readonly kind: 'MsgProp';
  readonly entries: readonly ProposedEntry[];
}

export type Message =
  | MsgApp
  | MsgAppResp
  | MsgVote
  | MsgVoteResp
  | MsgPreVote
  | MsgPreVoteResp
  | MsgHeartbeat
  | MsgHeartbeatResp
  | MsgSnap
  | MsgReadIndex
  | MsgReadIndexResp
  | MsgTimeoutNow
  | MsgTransferLeader
  | MsgProp;

export type MessageKind = Message['kind'];
