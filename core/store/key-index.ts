/**
 * Every key the store remembers (live or tombstoned until compaction), with its history: a Map
 * for O(1) single-key reads and writes, and a SortedMap in key order for range scans.
 */
import { assert } from '../util/assert.ts';
import type { KeyHistory } from './key-history.ts';
import type { KeySpan } from './key-range.ts';
import { SortedMap } from './sorted-map.ts';

export class KeyIndex {
  private readonly histories: Map<string, KeyHistory>;
  private readonly ordered: SortedMap<KeyHistory>;

  constructor(sortedEntries: readonly (readonly [string, KeyHistory])[] = []) {
    this.histories = new Map(sortedEntries);
    this.ordered = SortedMap.fromSorted(sortedEntries);
  }

  get size(): number {
    return this.ordered.size;
  }

  get(key: string): KeyHistory | undefined {
    return this.histories.get(key);
  }

  add(key: string, history: KeyHistory): void {
    assert(!this.histories.has(key), `KeyIndex.add: ${key} exists`);
    this.histories.set(key, history);
    this.ordered.insert(key, history);
  }

  remove(key: string): void {
    assert(this.histories.delete(key), `KeyIndex.remove: ${key} missing`);
    this.ordered.remove(key);
  }

  /** Calls `visit` with the history of each key in the span, in key order. */
  forEachInSpan(span: KeySpan, visit: (key: string, history: KeyHistory) => void): void {
    if (span.end === null) {
      const history = this.histories.get(span.start);
      if (history !== undefined) visit(span.start, history);
      return;
    }
    if (span.end !== '' && span.end <= span.start) return;
    this.ordered.forEachInRange(span.start, span.end, visit);
  }

  /** All entries in key order (for snapshots). */
  entries(): [string, KeyHistory][] {
    const all: [string, KeyHistory][] = [];
    this.ordered.forEachInRange('', '', (key, history) => {
      all.push([key, history]);
    });
    return all;
  }
}
