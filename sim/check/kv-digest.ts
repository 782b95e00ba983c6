/**
 * An order-free digest of a model state's key-values, kept incrementally: the sum, lane by
 * lane (four 32-bit lanes, mod 2^32), of a 128-bit hash of each key-value's JSON. A write
 * changes a few keys of a store that holds hundreds (a cluster run's), so a state's digest is
 * its parent's with the changed entries taken out and put in, instead of the whole sorted state
 * written out again (which was most of the store-linearizable check).
 *
 * Two key-value maps get equal digests when they hold the same key-values (as JSON: the same
 * relation the sorted JSON of the whole map gave), and different ones with probability about
 * 2^-128 per pair: the state keys built on it may, that rarely, prune an unexplored branch, the
 * risk the past hash already took.
 */
import { createHash } from 'node:crypto';
import type { KeyValue } from '../../core/store/types.ts';

type Kvs = ReadonlyMap<string, KeyValue>;
type Lanes = [number, number, number, number];

export class KvDigests {
  private readonly entries = new WeakMap<KeyValue, Lanes>();
  private readonly digests = new WeakMap<Kvs, Lanes>();
  /** A map the model made from another by one step: diffing the two is cheap. */
  private readonly parents = new WeakMap<Kvs, Kvs>();

  /** `child` was made from `parent` by one step (call before asking for `child`'s digest). */
  derived(child: Kvs, parent: Kvs): void {
    if (child !== parent && !this.digests.has(child)) this.parents.set(child, parent);
  }

  /** The digest of `kvs` as a short string: equal for equal key-value sets. */
  of(kvs: Kvs): string {
    const [a, b, c, d] = this.lanes(kvs);
    return `${a.toString(36)}.${b.toString(36)}.${c.toString(36)}.${d.toString(36)}`;
  }

  private lanes(kvs: Kvs): Lanes {
    const known = this.digests.get(kvs);
    if (known !== undefined) return known;
    const parent = this.parents.get(kvs);
    const lanes =
      parent === undefined ? this.full(kvs) : this.diff(this.lanes(parent), parent, kvs);
    this.digests.set(kvs, lanes);
    this.parents.delete(kvs);
    return lanes;
  }

  private full(kvs: Kvs): Lanes {
    const sum: Lanes = [0, 0, 0, 0];
    for (const kv of kvs.values()) this.add(sum, kv, 1);
    return sum;
  }

  /** `from` (the digest of `parent`) with the entries that differ in `child` swapped. */
  private diff(from: Lanes, parent: Kvs, child: Kvs): Lanes {
    const sum: Lanes = [...from];
    let kept = 0;
    for (const [key, kv] of child) {
      const old = parent.get(key);
      if (old !== undefined) kept++;
      if (old === kv) continue;
      if (old !== undefined) this.add(sum, old, -1);
      this.add(sum, kv, 1);
    }
    if (kept < parent.size)
      for (const [key, kv] of parent) if (!child.has(key)) this.add(sum, kv, -1);
    return sum;
  }

  private add(sum: Lanes, kv: KeyValue, sign: 1 | -1): void {
    const h = this.entry(kv);
    for (let i = 0; i < 4; i++) sum[i] = (sum[i]! + sign * h[i]!) >>> 0;
  }

  private entry(kv: KeyValue): Lanes {
    let h = this.entries.get(kv);
    if (h === undefined) {
      const bytes = createHash('sha1').update(JSON.stringify(kv)).digest();
      h = [
        bytes.readUInt32LE(0),
        bytes.readUInt32LE(4),
        bytes.readUInt32LE(8),
        bytes.readUInt32LE(12),
      ];
      this.entries.set(kv, h);
    }
    return h;
  }
}
