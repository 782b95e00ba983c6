/**
 * The checker's own replica of the committed log: every entry, the first time any member applies
 * it, replayed at the end into a fresh state machine that never compacts. Its watch from revision
 * 1 is the committed history every client watch stream is compared with, even after the workload
 * compacted the members' stores (their own history then starts at the compaction point).
 *
 * Raft's state-machine safety (checked by RaftInvariants on the same probe calls) makes "the
 * first member to apply index i" a fine source: every member applies the same entry there.
 */
import type { Entry, Index } from '../../core/raft/types.ts';
import { decodeEntryOp } from '../../core/store/member/op-codec.ts';
import { KvStateMachine } from '../../core/store/state-machine.ts';
import { FROM_KEY, revision, type CommittedRevision, type Op } from '../../core/store/types.ts';
import { assert } from '../../core/util/assert.ts';

export class ReferenceReplica {
  private readonly entries = new Map<Index, Entry>();
  private lowest = Infinity;
  private highest = 0;
  /** The store ops of the log in index order, decoded once (after the run, on first use). */
  private decoded: readonly LoggedOp[] | undefined;

  applied(entry: Entry): void {
    if (this.entries.has(entry.index)) return;
    this.entries.set(entry.index, entry);
    this.lowest = Math.min(this.lowest, entry.index);
    this.highest = Math.max(this.highest, entry.index);
  }

  /** Every committed lease revoke, as `id@term` (the term of its entry: who proposed it). */
  committedRevokes(): Set<string> {
    const out = new Set<string>();
    for (const { op, term } of this.ops())
      if (op.kind === 'lease-revoke') out.add(`${op.id}@${term}`);
    return out;
  }

  /**
   * Every committed revision from revision 2 on, with previous key-values. Ops run first on a
   * replica that compacts as the members do, which decides their outcome (a txn reading below
   * the compaction point fails whole); those that succeed run again on one that never compacts.
   */
  committedHistory(): CommittedRevision[] {
    const live = new KvStateMachine();
    const sm = new KvStateMachine();
    const created = sm.watch({
      key: FROM_KEY,
      rangeEnd: FROM_KEY,
      startRevision: revision(1),
      prevKv: true,
    });
    assert(created.kind === 'created', 'reference watch refused');
    for (const { op, index } of this.ops()) {
      const result = live.apply(op);
      if (op.kind === 'compact' || result.kind === 'error') continue;
      sm.apply(op);
      assert(sm.revision === live.revision, `reference replicas apart at index ${index}`);
    }
    return sm.drainWatchEvents().map((r) => ({ revision: r.revision, events: r.events }));
  }

  private ops(): readonly LoggedOp[] {
    if (this.decoded !== undefined) return this.decoded;
    const out: LoggedOp[] = [];
    for (let i = this.lowest; i <= this.highest; i++) {
      const entry = this.entries.get(i as Index);
      assert(
        entry !== undefined,
        `no member applied index ${i} of ${this.lowest}..${this.highest}`,
      );
      if (entry.type !== 'normal' || entry.data.byteLength === 0) continue;
      out.push({ op: decodeEntryOp(entry.data), index: i, term: entry.term });
    }
    return (this.decoded = out);
  }
}

interface LoggedOp {
  readonly op: Op;
  readonly index: number;
  readonly term: number;
}
