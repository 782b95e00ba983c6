/**
 * The replicated lease table (core/store/lease-table.ts) on its own: the store's tests reach it
 * only through valid requests, so the table's own refusals (the invariants the store relies on)
 * and its orderings were unobserved (mutation testing, test/mutation/SCORES.md).
 */
import { describe, expect, it } from 'vitest';
import { LeaseTable, compareStrings } from '../../../core/store/lease-table.ts';
import { leaseId } from '../../../core/store/index.ts';

const L = leaseId(7);

describe('LeaseTable', () => {
  it('lists leases by ascending id with their keys sorted', () => {
    const t = new LeaseTable();
    t.grant(leaseId(9), 30);
    t.grant(L, 10);
    t.grant(leaseId(8), 20);
    for (const k of ['b', 'c', 'a']) t.attach(L, k);
    expect(t.list()).toEqual([
      { id: 7, ttlSeconds: 10, keys: ['a', 'b', 'c'] },
      { id: 8, ttlSeconds: 20, keys: [] },
      { id: 9, ttlSeconds: 30, keys: [] },
    ]);
    t.detach(L, 'b');
    expect(t.keysOf(L)).toEqual(['a', 'c']);
    expect(t.has(L)).toBe(true);
    expect(t.has(leaseId(1))).toBe(false);
  });

  it('keys sort by code unit, as etcd sorts bytes', () => {
    expect(['b', 'B', 'a', '/x', 'ab'].sort(compareStrings)).toEqual(['/x', 'B', 'a', 'ab', 'b']);
    expect(compareStrings('a', 'a')).toBe(0);
    expect(compareStrings('a', 'b')).toBe(-1);
    expect(compareStrings('b', 'a')).toBe(1);
  });

  it.each([
    ['granting a lease twice', (t: LeaseTable) => t.grant(L, 5), 'lease 7 already granted'],
    [
      'removing a lease that still holds keys',
      (t: LeaseTable) => t.remove(L),
      'remove lease 7: unknown or still holds keys',
    ],
    [
      'removing an unknown lease',
      (t: LeaseTable) => t.remove(leaseId(3)),
      'remove lease 3: unknown or still holds keys',
    ],
    [
      'listing keys of an unknown lease',
      (t: LeaseTable) => t.keysOf(leaseId(3)),
      'lease 3 not found',
    ],
    [
      'attaching to an unknown lease',
      (t: LeaseTable) => t.attach(leaseId(3), 'k'),
      'attach to unknown lease 3',
    ],
    [
      'detaching a key that is not attached',
      (t: LeaseTable) => t.detach(L, 'other'),
      'detach other from lease 7: not attached',
    ],
    [
      'detaching from an unknown lease',
      (t: LeaseTable) => t.detach(leaseId(3), 'k'),
      'detach k from lease 3: not attached',
    ],
  ])('refuses %s', (_name, act, message) => {
    const t = new LeaseTable();
    t.grant(L, 10);
    t.attach(L, 'k');
    expect(() => act(t)).toThrow(message);
  });

  it('a lease whose keys were all detached can be removed', () => {
    const t = new LeaseTable();
    t.grant(L, 10);
    t.attach(L, 'k');
    t.detach(L, 'k');
    t.remove(L);
    expect(t.has(L)).toBe(false);
    expect(t.list()).toEqual([]);
  });
});
