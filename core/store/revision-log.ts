/**
 * The changes of every write revision above the compaction point, in revision order: what a
 * watcher starting in the past catches up from (etcd reads the same thing from its backend,
 * whose keys are revisions). Revisions are dense, so entry lookup is arithmetic.
 *
 * It shares KeyValue and WatchEvent objects with the key index and the commit, and holds each
 * revision as its changes only: the revision number is the oldest one's plus the position, and
 * a revision of one change (nearly all) is that change itself. A retained revision then costs
 * one slot instead of a CommittedRevision and an array (about 96 bytes on every member, which
 * keeps the 5-10 minutes of history the API server's compactor leaves). Reads build the
 * CommittedRevision; they are rare (a watch starting in the past).
 *
 * It is derived state: a snapshot does not carry it; restore rebuilds it from the key index.
 */
import { assert } from '../util/assert.ts';
import { revision, type CommittedRevision, type Revision, type WatchEvent } from './types.ts';

/** One revision's changes: the change itself when there is one, else all of them in order. */
type Changes = WatchEvent | readonly WatchEvent[];

export class RevisionLog {
  /**
   * A ring: the retained entries are slots[(head + i) & mask] for i < size. It grows by
   * doubling and never shrinks, so appends and compaction allocate nothing in steady state.
   */
  private slots: (Changes | undefined)[] = new Array<Changes | undefined>(16);
  private head = 0;
  private size = 0;
  /** The revision of the oldest retained entry (meaningful while size > 0). */
  private firstRevision = 0;

  private at(i: number): CommittedRevision {
    const changes = this.slots[(this.head + i) & (this.slots.length - 1)]!;
    return {
      revision: revision(this.firstRevision + i),
      events: isList(changes) ? changes : [changes],
    };
  }

  append(entry: CommittedRevision): void {
    const last = this.size > 0 ? this.firstRevision + this.size - 1 : undefined;
    assert(
      last === undefined || entry.revision === last + 1,
      `RevisionLog.append: revision ${entry.revision} after ${last}`,
    );
    const { events } = entry;
    assert(events.length > 0, 'RevisionLog.append: a write revision has at least one change');
    if (this.size === this.slots.length) this.grow();
    if (this.size === 0) this.firstRevision = entry.revision;
    this.slots[(this.head + this.size) & (this.slots.length - 1)] =
      events.length === 1 ? events[0]! : events;
    this.size++;
  }

  /** Entries with revision >= rev, oldest first. */
  *from(rev: Revision): IterableIterator<CommittedRevision> {
    if (this.size === 0) return;
    // Entries appended while iterating are visited too, as with the array this replaced.
    for (let i = Math.max(0, rev - this.firstRevision); i < this.size; i++) yield this.at(i);
  }

  /** Forgets entries with revision <= rev. */
  dropThrough(rev: Revision): void {
    const mask = this.slots.length - 1;
    while (this.size > 0 && this.firstRevision <= rev) {
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) & mask;
      this.size--;
      this.firstRevision++;
    }
  }

  private grow(): void {
    const mask = this.slots.length - 1;
    const next = new Array<Changes | undefined>(this.slots.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.slots[(this.head + i) & mask];
    this.slots = next;
    this.head = 0;
  }
}

function isList(changes: Changes): changes is readonly WatchEvent[] {
  return Array.isArray(changes);
}
