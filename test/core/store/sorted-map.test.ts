import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SortedMap } from '../../../core/store/sorted-map.ts';

const keyArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '/', '\uffff'), maxLength: 4 });

function visitAll(map: SortedMap<number>, start: string, end: string): [string, number][] {
  const seen: [string, number][] = [];
  map.forEachInRange(start, end, (key, value) => {
    seen.push([key, value]);
  });
  return seen;
}

describe('SortedMap', () => {
  test.prop([
    fc.array(fc.tuple(fc.boolean(), keyArb), { maxLength: 300 }),
    keyArb,
    keyArb,
    fc.integer({ min: 1, max: 4 }),
  ])(
    'matches a sorted reference through inserts, removes and range scans (tiny chunks)',
    (ops, start, end, chunkLoad) => {
      const map = new SortedMap<number>(chunkLoad);
      const reference = new Map<string, number>();
      ops.forEach(([insert, key], i) => {
        if (insert && !reference.has(key)) {
          map.insert(key, i);
          reference.set(key, i);
        } else if (!insert && reference.has(key)) {
          map.remove(key);
          reference.delete(key);
        }
      });
      const sorted = [...reference].sort(([a], [b]) => (a < b ? -1 : 1));
      expect(map.size).toBe(sorted.length);
      expect(visitAll(map, '', '')).toEqual(sorted);
      expect(visitAll(map, start, end)).toEqual(
        sorted.filter(([k]) => k >= start && (end === '' || k < end)),
      );
      expect(visitAll(SortedMap.fromSorted(sorted, chunkLoad), start, '')).toEqual(
        sorted.filter(([k]) => k >= start),
      );
      const firstTwo: string[] = [];
      map.forEachInRange('', '', (k) => firstTwo.push(k) < 2);
      expect(firstTwo).toEqual(sorted.slice(0, 2).map(([k]) => k));
    },
  );

  it('refuses duplicate inserts and removing missing keys', () => {
    const map = new SortedMap<number>();
    map.insert('a', 1);
    expect(() => map.insert('a', 2)).toThrow(/duplicate/);
    expect(() => map.remove('b')).toThrow(/missing/);
    expect(() =>
      SortedMap.fromSorted([
        ['b', 1],
        ['a', 2],
      ]),
    ).toThrow(/sorted/);
  });
});
