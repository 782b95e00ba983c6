/**
 * The versions of one key (etcd key_index.go): a list of generations, each running from the
 * put that created the key to the delete (tombstone) that ended it. A key deleted and put again
 * starts a new generation, so its version restarts at 1 and createRevision is the new put's.
 */
import { assert } from '../util/assert.ts';
import type { KeyValue, Revision } from './types.ts';

export interface StoredVersion {
  readonly kv: KeyValue;
  /** Position of this change within its revision's txn (etcd's sub-revision). */
  readonly sub: number;
}

export interface Tombstone {
  readonly revision: Revision;
  readonly sub: number;
}

export interface Generation {
  /** Ascending modRevision, never empty. After compaction the first may not be version 1. */
  versions: StoredVersion[];
  /** The delete that closed the generation; null while the key is live. */
  tombstone: Tombstone | null;
}

export class KeyHistory {
  readonly key: string;
  /** Oldest first, never empty; only the last generation may be open. */
  readonly generations: Generation[];
  /**
   * Set while the store lists this key as one the next compaction may trim: the store keeps
   * that list as an array and this flag, which costs less per write than a Set of keys.
   */
  awaitingCompaction = false;
  /** The live value, cached: range scans read it for every key they pass. */
  private live: KeyValue | null;

  constructor(key: string, generations: Generation[]) {
    assert(generations.length > 0, 'KeyHistory needs a generation');
    this.key = key;
    this.generations = generations;
    const last = this.lastGeneration();
    this.live = last.tombstone === null ? last.versions[last.versions.length - 1]!.kv : null;
  }

  static created(kv: KeyValue, sub: number): KeyHistory {
    return new KeyHistory(kv.key, [{ versions: [{ kv, sub }], tombstone: null }]);
  }

  /** The live value, or null when the key is deleted. */
  latest(): KeyValue | null {
    return this.live;
  }

  /** The value visible at `rev`, which must not be below the key's compaction point. */
  at(rev: Revision): KeyValue | null {
    for (let g = this.generations.length - 1; g >= 0; g--) {
      const gen = this.generations[g]!;
      if (gen.versions[0]!.kv.modRevision > rev) continue;
      if (gen.tombstone !== null && gen.tombstone.revision <= rev) return null;
      return gen.versions[lastAtOrBelow(gen.versions, rev)]!.kv;
    }
    return null;
  }

  put(kv: KeyValue, sub: number): void {
    const last = this.lastGeneration();
    if (last.tombstone === null) last.versions.push({ kv, sub });
    else this.generations.push({ versions: [{ kv, sub }], tombstone: null });
    this.live = kv;
  }

  delete(rev: Revision, sub: number): void {
    const last = this.lastGeneration();
    assert(last.tombstone === null, 'delete of a deleted key');
    last.tombstone = { revision: rev, sub };
    this.live = null;
  }

  /**
   * Drops what no read at or above `atRev` can see: generations closed at or below it, and in
   * the oldest remaining generation every version before the last one at or below it.
   * Returns false when nothing is left (the key can leave the index).
   */
  compact(atRev: Revision): boolean {
    let dead = 0;
    while (dead < this.generations.length && closedAtOrBelow(this.generations[dead]!, atRev))
      dead++;
    if (dead > 0) this.generations.splice(0, dead);
    const first = this.generations[0];
    if (first === undefined) return false;
    if (first.versions[0]!.kv.modRevision <= atRev) {
      const keep = lastAtOrBelow(first.versions, atRev);
      if (keep > 0) first.versions.splice(0, keep);
    }
    return true;
  }

  /** One live generation with one version: no compaction can remove anything. */
  isSettled(): boolean {
    const only = this.generations[0]!;
    return this.generations.length === 1 && only.tombstone === null && only.versions.length === 1;
  }

  private lastGeneration(): Generation {
    return this.generations[this.generations.length - 1]!;
  }
}

function closedAtOrBelow(gen: Generation, rev: Revision): boolean {
  return gen.tombstone !== null && gen.tombstone.revision <= rev;
}

/** Index of the last version with modRevision <= rev; the first version must qualify. */
function lastAtOrBelow(versions: readonly StoredVersion[], rev: Revision): number {
  let lo = 0;
  let hi = versions.length - 1;
  assert(versions[0]!.kv.modRevision <= rev, 'lastAtOrBelow: no version at or below');
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (versions[mid]!.kv.modRevision <= rev) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
