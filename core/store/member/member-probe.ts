/**
 * What a member shows to checkers: a cheap point-in-time view (`KvMember.inspect()`) and an
 * optional probe the host passes in, called synchronously at the moments Raft's safety
 * properties are about (entries made durable, a leader's first durable Ready, an entry
 * applied, a snapshot restored). Checkers live in sim/; core only defines the interface.
 */
import type { Entry, Index, NodeId, RaftRole, Term } from '../../raft/types.ts';
import type { LeaseId, Revision } from '../types.ts';

export interface MemberView {
  readonly id: NodeId;
  readonly name: string;
  /** False until the log has been read back from disk after a (re)start. */
  readonly started: boolean;
  readonly role: RaftRole;
  /** Durable term (the last hard state written). */
  readonly term: Term;
  readonly lead: NodeId;
  readonly commit: Index;
  readonly applied: Index;
  readonly snapshotIndex: Index;
  readonly lastIndex: Index;
  /** Store revision after the last applied entry. */
  readonly revision: Revision;
  /** The configuration as this member last applied it. */
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** This member applied its own removal and takes no further part. */
  readonly removed: boolean;
}

export interface MemberProbe {
  /** `entries` are durable; `prevTerm` is the term of the entry just before the first one. */
  persisted(member: NodeId, entries: readonly Entry[], prevTerm: Term | undefined): void;
  /**
   * The first Ready of `member` as leader of `term` is durable: its log is complete as far as
   * it will ever be for that term. `termAt` reads its log; indexes at or below `snapshotIndex`
   * are covered by its snapshot.
   */
  leaderPersisted(
    member: NodeId,
    term: Term,
    termAt: (index: Index) => Term | undefined,
    snapshotIndex: Index,
  ): void;
  /** `entry` was applied; `revision` is the store's revision after it, `nodeTerm` the member's. */
  applied(member: NodeId, entry: Entry, revision: Revision, nodeTerm: Term): void;
  /** The state machine was (re)built from a snapshot at `index` (start-up or from the leader). */
  restored(member: NodeId, index: Index, revision: Revision): void;
  /** `member` asked Raft to confirm a read point for the reads of round `ctx`. */
  readStarted(member: NodeId, ctx: string): void;
  /** `member` serves round `ctx` at `readIndex`, having applied up to `applied`. */
  readServed(member: NodeId, ctx: string, readIndex: Index, applied: Index): void;
  /**
   * Leader `member` of `term` found lease `id` expired and proposes to revoke it (not a client's
   * op); the entry, if it commits, carries `term`.
   */
  leaseExpiring(member: NodeId, id: LeaseId, term: Term): void;
}
