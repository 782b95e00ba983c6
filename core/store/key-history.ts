/**
 * The versions of one key (etcd key_index.go): a list of generations, each running from the
 * put that created the key to the delete (tombstone) that ended it. A key deleted and put again
 * starts a new generation, so its version restarts at 1 and createRevision is the new put's.
 *
 * Layout: every put and every compaction touches the newest generation, so its versions and
 * sub-revisions live in arrays on the history itself; closed generations (a key deleted and
 * created again before compaction caught up) sit in a separate list. A put is then one push
 * onto an array the history points at, and compaction reads the oldest version without walking
 * through a generation object.
 */
import { assert } from '../util/assert.ts';
import type { KeyValue, Revision } from './types.ts';

export interface Tombstone {
  readonly revision: Revision;
  readonly sub: number;
}

/** One generation: versions by ascending modRevision (never empty) and their sub-revisions. */
export interface Generation {
  /** After compaction the first may not be version 1. */
  readonly kvs: KeyValue[];
  /** Position of each version's change within its revision's txn (etcd's sub-revision). */
  readonly subs: number[];
  /** The delete that closed the generation; null while the key is live. */
  readonly tombstone: Tombstone | null;
}

export class KeyHistory {
  readonly key: string;
  /**
   * Set while the store lists this key as one the next compaction may trim: the store keeps
   * that list as an array and this flag, which costs less per write than a Set of keys.
   */
  awaitingCompaction = false;
  /** Closed generations older than the newest one, oldest first; usually empty. */
  private older: Generation[];
  /** The newest generation, flattened. */
  private kvs: KeyValue[];
  private subs: number[];
  private tombstone: Tombstone | null;
  /** The live value, cached: range scans read it for every key they pass. */
  private live: KeyValue | null;

  /** `generations`: oldest first, never empty; only the last may be open. */
  constructor(key: string, generations: readonly Generation[]) {
    assert(generations.length > 0, 'KeyHistory needs a generation');
    const newest = generations[generations.length - 1]!;
    this.key = key;
    this.older = generations.slice(0, -1);
    this.kvs = newest.kvs;
    this.subs = newest.subs;
    this.tombstone = newest.tombstone;
    this.live = newest.tombstone === null ? newest.kvs[newest.kvs.length - 1]! : null;
  }

  static created(kv: KeyValue, sub: number): KeyHistory {
    return new KeyHistory(kv.key, [{ kvs: [kv], subs: [sub], tombstone: null }]);
  }

  /** Every generation, oldest first (for snapshots; not for hot paths). */
  generations(): Generation[] {
    return [...this.older, { kvs: this.kvs, subs: this.subs, tombstone: this.tombstone }];
  }

  /** The live value, or null when the key is deleted. */
  latest(): KeyValue | null {
    return this.live;
  }

  /** The value visible at `rev`, which must not be below the key's compaction point. */
  at(rev: Revision): KeyValue | null {
    if (this.kvs[0]!.modRevision <= rev) return visibleAt(this.kvs, this.tombstone, rev);
    for (let g = this.older.length - 1; g >= 0; g--) {
      const gen = this.older[g]!;
      if (gen.kvs[0]!.modRevision <= rev) return visibleAt(gen.kvs, gen.tombstone, rev);
    }
    return null;
  }

  put(kv: KeyValue, sub: number): void {
    if (this.tombstone !== null) {
      this.older.push({ kvs: this.kvs, subs: this.subs, tombstone: this.tombstone });
      this.kvs = [kv];
      this.subs = [sub];
      this.tombstone = null;
    } else {
      this.kvs.push(kv);
      this.subs.push(sub);
    }
    this.live = kv;
  }

  delete(rev: Revision, sub: number): void {
    assert(this.tombstone === null, 'delete of a deleted key');
    this.tombstone = { revision: rev, sub };
    this.live = null;
  }

  /**
   * Drops what no read at or above `atRev` can see: generations closed at or below it, and in
   * the oldest remaining generation every version before the last one at or below it.
   * Returns false when nothing is left (the key can leave the index).
   */
  compact(atRev: Revision): boolean {
    if (this.older.length > 0) {
      let dead = 0;
      while (dead < this.older.length && closedAtOrBelow(this.older[dead]!.tombstone, atRev))
        dead++;
      if (dead > 0) this.older.splice(0, dead);
      const first = this.older[0];
      if (first !== undefined) {
        trimBefore(first.kvs, first.subs, atRev);
        return true;
      }
    }
    if (closedAtOrBelow(this.tombstone, atRev)) return false;
    trimBefore(this.kvs, this.subs, atRev);
    return true;
  }

  /** One live generation with one version: no compaction can remove anything. */
  isSettled(): boolean {
    return this.older.length === 0 && this.tombstone === null && this.kvs.length === 1;
  }
}

function closedAtOrBelow(tombstone: Tombstone | null, rev: Revision): boolean {
  return tombstone !== null && tombstone.revision <= rev;
}

/** In a generation whose first version is at or below `rev`: the value visible at `rev`. */
function visibleAt(kvs: readonly KeyValue[], tombstone: Tombstone | null, rev: Revision) {
  if (closedAtOrBelow(tombstone, rev)) return null;
  return kvs[lastAtOrBelow(kvs, rev)]!;
}

/** Drops the versions before the last one at or below `rev`, if the first is at or below it. */
function trimBefore(kvs: KeyValue[], subs: number[], rev: Revision): void {
  if (kvs[0]!.modRevision > rev) return;
  const keep = lastAtOrBelow(kvs, rev);
  if (keep > 0) {
    // In place: splice would allocate an array of the removed versions.
    kvs.copyWithin(0, keep);
    kvs.length -= keep;
    subs.copyWithin(0, keep);
    subs.length -= keep;
  }
}

/** Index of the last version with modRevision <= rev; the first version must qualify. */
function lastAtOrBelow(kvs: readonly KeyValue[], rev: Revision): number {
  let lo = 0;
  let hi = kvs.length - 1;
  assert(kvs[0]!.modRevision <= rev, 'lastAtOrBelow: no version at or below');
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (kvs[mid]!.modRevision <= rev) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
