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
  /**
   * A ring: the retained entries are slots[(head + i) & mask] for i < size. It grows by
   * doubling and never shrinks, so appends and compaction allocate nothing in steady state.
   */
  private slots: (CommittedRevision | undefined)[] = new Array<CommittedRevision | undefined>(16);
  private head = 0;
  private size = 0;

  private at(i: number): CommittedRevision {
    return this.slots[(this.head + i) & (this.slots.length - 1)]!;
  }

  append(entry: CommittedRevision): void {
    const last = this.size > 0 ? this.at(this.size - 1) : undefined;
    assert(
      last === undefined || entry.revision === last.revision + 1,
      `RevisionLog.append: revision ${entry.revision} after ${last?.revision}`,
    );
    assert(entry.events.length > 0, 'RevisionLog.append: a write revision has at least one change');
    if (this.size === this.slots.length) this.grow();
    this.slots[(this.head + this.size) & (this.slots.length - 1)] = entry;
    this.size++;
  }

  /** Entries with revision >= rev, oldest first. */
  *from(rev: Revision): IterableIterator<CommittedRevision> {
    if (this.size === 0) return;
    // Entries appended while iterating are visited too, as with the array this replaced.
    for (let i = Math.max(0, rev - this.at(0).revision); i < this.size; i++) yield this.at(i);
  }

  /** Forgets entries with revision <= rev. */
  dropThrough(rev: Revision): void {
    const mask = this.slots.length - 1;
    while (this.size > 0 && this.at(0).revision <= rev) {
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) & mask;
      this.size--;
    }
  }

  private grow(): void {
    const next = new Array<CommittedRevision | undefined>(this.slots.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.at(i);
    this.slots = next;
    this.head = 0;
  }
}
