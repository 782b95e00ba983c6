/**
 * The not-yet-persisted tail of the log (etcd-io/raft log_unstable.go): entries, and possibly an
 * incoming snapshot, that the host has not yet written. Entries handed out in a Ready are "in
 * progress" until the host reports them stable, so a second Ready never repeats them.
 */
import { assert } from '../util/assert.ts';
import { limitEntriesEnd } from './entry-size.ts';
import { asIndex, type Entry, type Index, type Snapshot, type Term } from './types.ts';

const NO_ENTRIES: readonly Entry[] = [];

export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  snapshotInProgress = false;
  /** Entries [offset, offset + entries.length). */
  entries: Entry[] = [];
  offset: Index;
  /** entries below this index were handed to the host and are being persisted. */
  offsetInProgress: Index;

  constructor(offset: Index) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  maybeFirstIndex(): Index | undefined {
    return this.snapshot === undefined ? undefined : asIndex(this.snapshot.metadata.index + 1);
  }

  maybeLastIndex(): Index | undefined {
    if (this.entries.length > 0) return asIndex(this.offset + this.entries.length - 1);
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index;
  }

  maybeTerm(i: Index): Term | undefined {
    if (i < this.offset) {
      const s = this.snapshot;
      return s !== undefined && s.metadata.index === i ? s.metadata.term : undefined;
    }
    const e = this.entries[i - this.offset];
    return e === undefined ? undefined : e.term;
  }

  nextEntries(): readonly Entry[] {
    const start = this.offsetInProgress - this.offset;
    if (start >= this.entries.length) return NO_ENTRIES;
    return this.entries.slice(start);
  }

  hasNextEntries(): boolean {
    return this.offsetInProgress - this.offset < this.entries.length;
  }

  nextSnapshot(): Snapshot | undefined {
    return this.snapshotInProgress ? undefined : this.snapshot;
  }

  /** The host took everything currently unstable into a Ready. */
  acceptInProgress(): void {
    if (this.entries.length > 0) {
      this.offsetInProgress = asIndex(this.offset + this.entries.length);
    }
    if (this.snapshot !== undefined) this.snapshotInProgress = true;
  }

  /**
   * Entries up to (index, term) are persisted. Ignored if that entry was since replaced by a
   * conflicting append (its term differs) or is covered by a pending snapshot.
   */
  stableTo(index: Index, term: Term): void {
    const t = this.maybeTerm(index);
    if (t === undefined || t !== term || index < this.offset) return;
    const n = index + 1 - this.offset;
    this.entries.splice(0, n);
    this.offset = asIndex(index + 1);
    if (this.offsetInProgress < this.offset) this.offsetInProgress = this.offset;
  }

  stableSnapTo(index: Index): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  restore(s: Snapshot): void {
    this.offset = asIndex(s.metadata.index + 1);
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }

  /** Appends contiguous entries, truncating a conflicting suffix first. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const first = ents[0];
    if (first === undefined) return;
    const from = first.index;
    if (from === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (from <= this.offset) {
      // Replaces all unstable entries (and overrides what storage holds beyond `from`).
      this.entries = ents.slice();
      this.offset = from;
      this.offsetInProgress = from;
    } else {
      this.entries.length = from - this.offset;
      for (const e of ents) this.entries.push(e);
      if (this.offsetInProgress > from) this.offsetInProgress = from;
    }
  }

  /** Entries [lo, hi) within the unstable range, at most maxSizeBytes (at least one). */
  slice(lo: Index, hi: Index, maxSizeBytes: number): readonly Entry[] {
    assert(
      lo >= this.offset && hi <= this.offset + this.entries.length && lo <= hi,
      `unstable.slice[${lo},${hi}) out of bound [${this.offset},${this.offset + this.entries.length}]`,
    );
    const start = lo - this.offset;
    const end = limitEntriesEnd(this.entries, start, hi - this.offset, maxSizeBytes);
    return this.entries.slice(start, end);
  }
}
