/**
 * The changes of every write revision above the compaction point, in revision order: what a
 * watcher starting in the past catches up from (etcd reads the same thing from its backend,
 * whose keys are revisions). Revisions are dense, so entry lookup is arithmetic.
 *
 * It shares KeyValue objects with the key index, so it costs one small object per change. It is
 * derived state: a snapshot does not carry it; restore rebuilds it from the key index.
 */
import { assert } from '../util/assert.ts';
import type { CommittedRevision, Revision } from './types.ts';

export class RevisionLog {
  private entries: CommittedRevision[] = [];
  /** entries[head] is the oldest retained entry; dropped entries are reclaimed in bulk. */
  private head = 0;

  append(entry: CommittedRevision): void {
    const last = this.entries[this.entries.length - 1];
    assert(
      last === undefined || entry.revision === last.revision + 1,
      `RevisionLog.append: revision ${entry.revision} after ${last?.revision}`,
    );
    assert(entry.events.length > 0, 'RevisionLog.append: a write revision has at least one change');
    this.entries.push(entry);
  }

  /** Entries with revision >= rev, oldest first. */
  *from(rev: Revision): IterableIterator<CommittedRevision> {
    const oldest = this.entries[this.head];
    if (oldest === undefined) return;
    for (let i = this.head + Math.max(0, rev - oldest.revision); i < this.entries.length; i++)
      yield this.entries[i]!;
  }

  /** Forgets entries with revision <= rev. */
  dropThrough(rev: Revision): void {
    while (this.head < this.entries.length && this.entries[this.head]!.revision <= rev) this.head++;
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > this.entries.length / 2) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
