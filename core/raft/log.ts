/**
 * The Raft log as Raft sees it (etcd-io/raft log.go): stable storage followed by the unstable
 * tail, plus the commit and apply cursors. Invariant: applied <= applying <= committed <=
 * lastIndex(). Slices share entry objects; nothing here copies payloads.
 */
import { assert } from '../util/assert.ts';
import { entrySizeBytes } from './entry-size.ts';
import type { Storage } from './storage.ts';
import { Unstable } from './unstable.ts';
import {
  asIndex,
  ZERO_INDEX,
  ZERO_TERM,
  type Entry,
  type Index,
  type Snapshot,
  type Term,
} from './types.ts';

const NO_ENTRIES: readonly Entry[] = [];

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  committed: Index;
  /** Highest index handed to the host for applying (in a Ready not yet advanced). */
  applying: Index;
  applied: Index;
  private readonly maxApplyingSizeBytes: number;

  constructor(storage: Storage, maxApplyingSizeBytes: number) {
    this.storage = storage;
    this.maxApplyingSizeBytes = maxApplyingSizeBytes;
    this.unstable = new Unstable(asIndex(storage.lastIndex() + 1));
    const beforeFirst = asIndex(storage.firstIndex() - 1);
    this.committed = beforeFirst;
    this.applying = beforeFirst;
    this.applied = beforeFirst;
  }

  firstIndex(): Index {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): Index {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): Term {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, `no term for last index ${this.lastIndex()}`);
    return t;
  }

  /** Term of entry i, or undefined if i is compacted away or beyond the last index. */
  term(i: Index): Term | undefined {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i + 1 < this.firstIndex() || i > this.lastIndex()) return undefined;
    return this.storage.term(i);
  }

  /** Term of entry i, or 0 when it is not available (for hints and comparisons). */
  termOrZero(i: Index): Term {
    return this.term(i) ?? ZERO_TERM;
  }

  matchTerm(i: Index, t: Term): boolean {
    return this.term(i) === t;
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: Index, lastTerm: Term): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Follower side of MsgApp. Returns the index of the last entry the leader sent (what the
   * follower now matches), or undefined if our log has no entry (prevTerm, prevIndex).
   */
  maybeAppend(
    prevIndex: Index,
    prevTerm: Term,
    leaderCommit: Index,
    entries: readonly Entry[],
  ): Index | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = asIndex(prevIndex + entries.length);
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(
        conflict > this.committed,
        `entry ${conflict} conflicts with committed ${this.committed}`,
      );
      const from = conflict - (prevIndex + 1);
      this.append(from === 0 ? entries : entries.slice(from));
    }
    this.commitTo(asIndex(Math.min(leaderCommit, lastNew)));
    return lastNew;
  }

  append(entries: readonly Entry[]): Index {
    const first = entries[0];
    if (first === undefined) return this.lastIndex();
    assert(
      first.index - 1 >= this.committed,
      `append after ${first.index - 1} < committed ${this.committed}`,
    );
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /**
   * First index among `entries` whose term differs from ours or that we do not have; 0 if all
   * match (the entries are already in the log).
   */
  findConflict(entries: readonly Entry[]): Index | 0 {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The last index <= `index` whose term is <= `term`, with that term: every entry after it
   * has a larger term than the leader's entry at `index`, so none can match. Used for the
   * rejection hint in both directions (etcd log.go findConflictByTerm).
   */
  findConflictByTerm(index: Index, term: Term): { index: Index; term: Term } {
    for (let i = index; i > 0; i--) {
      const ours = this.term(asIndex(i));
      if (ours === undefined) return { index: asIndex(i), term: ZERO_TERM };
      if (ours <= term) return { index: asIndex(i), term: ours };
    }
    return { index: ZERO_INDEX, term: ZERO_TERM };
  }

  commitTo(i: Index): void {
    if (i <= this.committed) return;
    assert(i <= this.lastIndex(), `commit ${i} is out of range [lastIndex(${this.lastIndex()})]`);
    this.committed = i;
  }

  /** Leader: commit `index` if it is from the current term (§5.4.2, Figure 8). */
  maybeCommit(index: Index, currentTerm: Term): boolean {
    if (index > this.committed && this.term(index) === currentTerm) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(i: Index): void {
    assert(
      i <= this.committed && i >= this.applied,
      `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`,
    );
    this.applied = i;
    if (this.applying < i) this.applying = i;
  }

  acceptApplying(i: Index): void {
    assert(i <= this.committed, `applying(${i}) beyond committed(${this.committed})`);
    this.applying = i;
  }

  nextUnstableEntries(): readonly Entry[] {
    return this.unstable.nextEntries();
  }

  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.nextSnapshot();
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /**
   * Committed entries not yet handed out for applying, size-limited. Includes unstable entries:
   * the host persists a Ready's entries before applying its committed entries.
   */
  nextCommittedEntries(): readonly Entry[] {
    if (!this.hasNextCommittedEntries()) return NO_ENTRIES;
    return (
      this.slice(
        asIndex(this.applying + 1),
        asIndex(this.committed + 1),
        this.maxApplyingSizeBytes,
      ) ?? NO_ENTRIES
    );
  }

  hasNextCommittedEntries(): boolean {
    return !this.hasPendingSnapshot() && this.applying < this.committed;
  }

  /** Entries from i to the end, at most maxSizeBytes; undefined if i is compacted. */
  entriesFrom(i: Index, maxSizeBytes: number): readonly Entry[] | undefined {
    const last = this.lastIndex();
    if (i > last) return NO_ENTRIES;
    return this.slice(i, asIndex(last + 1), maxSizeBytes);
  }

  /** Entries [lo, hi), at most maxSizeBytes (at least one); undefined if lo is compacted. */
  slice(lo: Index, hi: Index, maxSizeBytes: number): readonly Entry[] | undefined {
    assert(lo <= hi, `invalid slice ${lo} > ${hi}`);
    if (lo < this.firstIndex()) return undefined;
    assert(hi <= this.lastIndex() + 1, `slice[${lo},${hi}) beyond last index ${this.lastIndex()}`);
    if (lo === hi) return NO_ENTRIES;
    const offset = this.unstable.offset;
    if (lo >= offset) return this.unstable.slice(lo, hi, maxSizeBytes);
    const cut = asIndex(Math.min(hi, offset));
    const stable = this.storage.entries(lo, cut, maxSizeBytes);
    if (hi <= offset || stable.length < cut - lo) return stable;
    let size = 0;
    for (const e of stable) size += entrySizeBytes(e);
    if (size >= maxSizeBytes) return stable;
    const tail = this.unstable.slice(offset, hi, maxSizeBytes - size);
    const firstTail = tail[0];
    if (
      tail.length === 1 &&
      firstTail !== undefined &&
      size + entrySizeBytes(firstTail) > maxSizeBytes
    ) {
      return stable;
    }
    return stable.concat(tail);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  stableTo(index: Index, term: Term): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: Index): void {
    this.unstable.stableSnapTo(index);
  }

  acceptUnstable(): void {
    this.unstable.acceptInProgress();
  }

  /** The whole log from firstIndex (tests and debugging). */
  allEntries(): readonly Entry[] {
    return this.entriesFrom(this.firstIndex(), Infinity) ?? NO_ENTRIES;
  }
}
