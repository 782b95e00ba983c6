/**
 * An ordered map from strings for the key index: a list of sorted chunks (the layout of Python's
 * sortedcontainers), so an insert moves at most one chunk instead of the whole array, and values
 * sit next to their keys so a range scan does no hash lookups.
 *
 * Cost with n entries and chunk capacity C (2 × chunk load, 1024 by default):
 * - insert / remove: O(log n + C) (binary search over chunk maxima, then one chunk splice;
 *   a split or an emptied chunk also splices the chunk list, O(n / C));
 * - visit [start, end): O(log n + k) for k entries.
 * At 10^5 keys a plain sorted array would move ~50 000 references per insert; here it is ≤ 1024.
 */
import { assert } from '../util/assert.ts';

const DEFAULT_CHUNK_LOAD = 512;

interface Chunk<V> {
  readonly keys: string[];
  readonly values: V[];
}

export class SortedMap<V> {
  private chunks: Chunk<V>[] = [];
  /** maxes[i] = last key of chunks[i]. */
  private maxes: string[] = [];
  private count = 0;

  /** `chunkLoad` is the chunk size after a split; tests shrink it to exercise splits. */
  constructor(private readonly chunkLoad = DEFAULT_CHUNK_LOAD) {
    assert(Number.isInteger(chunkLoad) && chunkLoad >= 1, 'SortedMap: bad chunk load');
  }

  static fromSorted<V>(
    entries: readonly (readonly [string, V])[],
    chunkLoad = DEFAULT_CHUNK_LOAD,
  ): SortedMap<V> {
    for (let i = 1; i < entries.length; i++) {
      assert(entries[i - 1]![0] < entries[i]![0], 'SortedMap.fromSorted: keys not strictly sorted');
    }
    const map = new SortedMap<V>(chunkLoad);
    for (let i = 0; i < entries.length; i += chunkLoad) {
      const slice = entries.slice(i, i + chunkLoad);
      map.chunks.push({ keys: slice.map(([key]) => key), values: slice.map(([, value]) => value) });
      map.maxes.push(slice[slice.length - 1]![0]);
    }
    map.count = entries.length;
    return map;
  }

  get size(): number {
    return this.count;
  }

  /** Adds a key that is not yet present. */
  insert(key: string, value: V): void {
    this.count++;
    if (this.chunks.length === 0) {
      this.chunks.push({ keys: [key], values: [value] });
      this.maxes.push(key);
      return;
    }
    let c = lowerBound(this.maxes, key);
    if (c === this.chunks.length) c--;
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk.keys, key);
    assert(chunk.keys[i] !== key, `SortedMap.insert: duplicate key ${key}`);
    chunk.keys.splice(i, 0, key);
    chunk.values.splice(i, 0, value);
    this.maxes[c] = chunk.keys[chunk.keys.length - 1]!;
    if (chunk.keys.length > 2 * this.chunkLoad) {
      const tail = {
        keys: chunk.keys.splice(this.chunkLoad),
        values: chunk.values.splice(this.chunkLoad),
      };
      this.chunks.splice(c + 1, 0, tail);
      this.maxes[c] = chunk.keys[chunk.keys.length - 1]!;
      this.maxes.splice(c + 1, 0, tail.keys[tail.keys.length - 1]!);
    }
  }

  /** Removes a key that is present. */
  remove(key: string): void {
    const c = lowerBound(this.maxes, key);
    const chunk = this.chunks[c];
    assert(chunk !== undefined, `SortedMap.remove: missing key ${key}`);
    const i = lowerBound(chunk.keys, key);
    assert(chunk.keys[i] === key, `SortedMap.remove: missing key ${key}`);
    chunk.keys.splice(i, 1);
    chunk.values.splice(i, 1);
    this.count--;
    if (chunk.keys.length === 0) {
      this.chunks.splice(c, 1);
      this.maxes.splice(c, 1);
    } else {
      this.maxes[c] = chunk.keys[chunk.keys.length - 1]!;
    }
  }

  /**
   * Calls `visit` for each entry with start <= key and (end === '' or key < end), ascending,
   * until it returns false. A plain loop rather than a generator: this is the hot path of lists.
   */
  forEachInRange(
    start: string,
    end: string,
    visit: (key: string, value: V) => boolean | void,
  ): void {
    const first = lowerBound(this.maxes, start);
    for (let c = first; c < this.chunks.length; c++) {
      const { keys, values } = this.chunks[c]!;
      for (let i = c === first ? lowerBound(keys, start) : 0; i < keys.length; i++) {
        const key = keys[i]!;
        if ((end !== '' && key >= end) || visit(key, values[i]!) === false) return;
      }
    }
  }
}

/** First index whose element is >= key (sorted.length if none). */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
