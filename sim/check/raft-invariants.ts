/**
 * Raft's safety properties over the members of a simulated store, checked incrementally as the
 * members report what they persist and apply (the MemberProbe) and, after every event, from
 * their views. Each check costs O(entries touched) or O(members), never O(log):
 *
 * - election safety: at most one leader per term;
 * - log matching: an (index, term) pair names one entry everywhere, and the entry before it has
 *   one term everywhere — by induction, two logs that share an (index, term) share the prefix;
 * - leader completeness: when a leader of term T has made its first Ready durable, its log holds
 *   every entry already known committed in a term below T. Commit terms are bounded from above
 *   by the applying member's term, and by log matching checking the highest such index suffices;
 * - state machine safety: no two members apply different entries at one index;
 * - revisions: every member reaches the same store revision at an index, each member applies
 *   indexes in order, and one entry advances the revision by at most one;
 * - linearizable reads: a read round is served only once the member has applied its read
 *   index, and that index covers every entry any member had applied when the round started
 *   (what ReadIndex exists for: a deposed leader answering from its own state fails this).
 */
import type { Entry, Index, NodeId, Term } from '../../core/raft/types.ts';
import type { MemberProbe, MemberView } from '../../core/store/member/member-probe.ts';
import type { Revision } from '../../core/store/types.ts';

export type RaftViolationKind =
  | 'election-safety'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'revisions'
  | 'linearizable-read';

export interface RaftViolation {
  readonly kind: RaftViolationKind;
  readonly atUs: number;
  readonly message: string;
}

interface LogRecord {
  readonly data: Uint8Array;
  readonly prevTerm: Term | undefined;
}

interface AppliedRecord {
  readonly term: Term;
  readonly data: Uint8Array;
  readonly revision: Revision;
}

interface MemberCursor {
  index: Index;
  revision: Revision;
}

/** Stops collecting after this many: a broken run reports its first violations, not millions. */
const MAX_VIOLATIONS = 20;

export class RaftInvariants implements MemberProbe {
  readonly violations: RaftViolation[] = [];
  private readonly leaders = new Map<number, NodeId>();
  /** index -> term -> what every log holding (index, term) must hold. */
  private readonly logs = new Map<number, Map<number, LogRecord>>();
  private readonly appliedAt = new Map<number, AppliedRecord>();
  /** Upper bound of a commit term -> highest index known committed with that bound. */
  private readonly committedByTermBound = new Map<number, number>();
  private readonly cursors = new Map<NodeId, MemberCursor>();
  /** The highest index any member has applied (or restored) so far. */
  private maxApplied = 0;
  /** Read rounds in flight, by member and context: maxApplied when each started. */
  private readonly readFloors = new Map<string, number>();

  constructor(private readonly nowUs: () => number) {}

  get ok(): boolean {
    return this.violations.length === 0;
  }

  /** After every event: role and term as the members show them. */
  afterEvent(views: readonly MemberView[]): void {
    for (const v of views) if (v.role === 'leader') this.leader(v.id, v.term);
  }

  persisted(member: NodeId, entries: readonly Entry[], prevTerm: Term | undefined): void {
    let before = prevTerm;
    for (const e of entries) {
      let byTerm = this.logs.get(e.index);
      if (byTerm === undefined) {
        byTerm = new Map();
        this.logs.set(e.index, byTerm);
      }
      const seen = byTerm.get(e.term);
      if (seen === undefined) {
        byTerm.set(e.term, { data: e.data, prevTerm: before });
      } else {
        if (!sameBytes(seen.data, e.data)) {
          this.flag(
            'log-matching',
            `member ${member} holds a different entry at ${e.term}/${e.index}`,
          );
        }
        if (seen.prevTerm !== undefined && before !== undefined && seen.prevTerm !== before) {
          this.flag(
            'log-matching',
            `member ${member} has term ${before} before ${e.term}/${e.index}, another log has ${seen.prevTerm}`,
          );
        }
      }
      before = e.term;
    }
  }

  leaderPersisted(
    member: NodeId,
    term: Term,
    termAt: (index: Index) => Term | undefined,
    snapshotIndex: Index,
  ): void {
    this.leader(member, term);
    for (const [bound, index] of this.committedByTermBound) {
      if (bound >= term || index <= snapshotIndex) continue;
      const committed = this.appliedAt.get(index)!;
      const has = termAt(index as Index);
      if (has !== committed.term) {
        this.flag(
          'leader-completeness',
          `leader ${member} of term ${term} has ${has === undefined ? 'no entry' : `term ${has}`} at ${index}, where ${committed.term}/${index} was committed by term ${bound}`,
        );
      }
    }
  }

  applied(member: NodeId, entry: Entry, revision: Revision, nodeTerm: Term): void {
    const seen = this.appliedAt.get(entry.index);
    if (seen === undefined) {
      this.appliedAt.set(entry.index, { term: entry.term, data: entry.data, revision });
    } else {
      if (seen.term !== entry.term || !sameBytes(seen.data, entry.data)) {
        this.flag(
          'state-machine-safety',
          `member ${member} applied ${entry.term}/${entry.index}, another member applied ${seen.term}/${entry.index} with ${sameBytes(seen.data, entry.data) ? 'the same' : 'different'} data`,
        );
      }
      if (seen.revision !== revision) {
        this.flag(
          'revisions',
          `member ${member} is at revision ${revision} after index ${entry.index}, another at ${seen.revision}`,
        );
      }
    }
    if (entry.index > this.maxApplied) this.maxApplied = entry.index;
    const best = this.committedByTermBound.get(nodeTerm);
    if (best === undefined || entry.index > best)
      this.committedByTermBound.set(nodeTerm, entry.index);
    const cursor = this.cursors.get(member);
    if (cursor !== undefined) {
      if (entry.index !== cursor.index + 1) {
        this.flag(
          'revisions',
          `member ${member} applied index ${entry.index} after ${cursor.index}`,
        );
      }
      const step = revision - cursor.revision;
      if (step !== 0 && step !== 1) {
        this.flag(
          'revisions',
          `member ${member} went from revision ${cursor.revision} to ${revision} at index ${entry.index}`,
        );
      }
      cursor.index = entry.index;
      cursor.revision = revision;
    } else {
      this.cursors.set(member, { index: entry.index, revision });
    }
  }

  restored(member: NodeId, index: Index, revision: Revision): void {
    const seen = this.appliedAt.get(index);
    if (seen !== undefined && seen.revision !== revision) {
      this.flag(
        'revisions',
        `member ${member} restored revision ${revision} at index ${index}, which others applied as ${seen.revision}`,
      );
    }
    this.cursors.set(member, { index, revision });
    if (index > this.maxApplied) this.maxApplied = index;
  }

  readStarted(member: NodeId, ctx: string): void {
    this.readFloors.set(`${member}/${ctx}`, this.maxApplied);
  }

  /** Lease deadlines are checked by LeaseDeadlines (lease-deadlines.ts), not here. */
  leaseExpiring(): void {}

  readServed(member: NodeId, ctx: string, readIndex: Index, applied: Index): void {
    const key = `${member}/${ctx}`;
    const floor = this.readFloors.get(key) ?? 0;
    this.readFloors.delete(key);
    if (applied < readIndex) {
      this.flag(
        'linearizable-read',
        `member ${member} served read round ${ctx} at index ${readIndex} with only ${applied} applied`,
      );
    }
    if (readIndex < floor) {
      this.flag(
        'linearizable-read',
        `member ${member} served read round ${ctx} at index ${readIndex}, but index ${floor} was applied before the round started`,
      );
    }
  }

  private leader(member: NodeId, term: Term): void {
    const prev = this.leaders.get(term);
    if (prev === undefined) this.leaders.set(term, member);
    else if (prev !== member)
      this.flag('election-safety', `members ${prev} and ${member} both lead term ${term}`);
  }

  private flag(kind: RaftViolationKind, message: string): void {
    if (this.violations.length < MAX_VIOLATIONS)
      this.violations.push({ kind, atUs: this.nowUs(), message });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
