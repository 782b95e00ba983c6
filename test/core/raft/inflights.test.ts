import { describe, expect, test } from 'vitest';
import { asIndex, Inflights } from '../../../core/raft/index.ts';

describe('Inflights', () => {
  test('fills up to capacity and frees acknowledged messages in order', () => {
    const in8 = new Inflights(4, Infinity);
    for (const i of [1, 2, 3, 4]) in8.add(asIndex(i), 10);
    expect(in8.full()).toBe(true);
    expect(() => in8.add(asIndex(5), 10)).toThrow(/full/);
    in8.freeLE(asIndex(2));
    expect(in8.size()).toBe(2);
    expect(in8.sizeBytes()).toBe(20);
    expect(in8.full()).toBe(false);
  });

  test('wraps around the ring buffer', () => {
    const ring = new Inflights(3, Infinity);
    let next = 1;
    for (let round = 0; round < 10; round++) {
      while (!ring.full()) ring.add(asIndex(next++), 1);
      ring.freeLE(asIndex(next - 2));
      expect(ring.size()).toBe(1);
    }
    ring.freeLE(asIndex(next));
    expect(ring.size()).toBe(0);
  });

  test('freeing below the first inflight index is a no-op', () => {
    const f = new Inflights(4, Infinity);
    f.add(asIndex(10), 1);
    f.add(asIndex(20), 1);
    f.freeLE(asIndex(5));
    expect(f.size()).toBe(2);
    f.freeLE(asIndex(15));
    expect(f.size()).toBe(1);
  });

  test('is full by bytes as well as by count', () => {
    const f = new Inflights(100, 50);
    f.add(asIndex(1), 30);
    expect(f.full()).toBe(false);
    f.add(asIndex(2), 30);
    expect(f.full()).toBe(true);
    f.freeLE(asIndex(1));
    expect(f.full()).toBe(false);
  });

  test('is full once its bytes reach maxBytes exactly (etcd: bytes >= maxBytes)', () => {
    const f = new Inflights(100, 50);
    f.add(asIndex(1), 20);
    f.add(asIndex(2), 29);
    expect(f.full()).toBe(false);
    f.freeLE(asIndex(1));
    f.add(asIndex(3), 21);
    expect(f.sizeBytes()).toBe(50);
    expect(f.full()).toBe(true);
  });

  test('refuses a capacity below one', () => {
    expect(() => new Inflights(0, Infinity)).toThrow('inflights capacity must be positive');
  });

  test('reset empties it', () => {
    const f = new Inflights(2, Infinity);
    f.add(asIndex(1), 1);
    f.add(asIndex(2), 1);
    f.reset();
    expect(f.size()).toBe(0);
    expect(f.full()).toBe(false);
  });
});
