import { describe, expect, it } from 'vitest';
import { Lessor } from '../../../../core/store/member/lessor.ts';
import { leaseId } from '../../../../core/store/types.ts';

const a = leaseId(1);
const b = leaseId(2);

describe('Lessor', () => {
  it('only a primary times leases; promotion restarts every deadline at a full TTL', () => {
    const l = new Lessor();
    l.granted(a, 5, 0);
    expect(l.takeExpired(10_000_000)).toEqual([]);
    l.promote([{ id: a, ttlSeconds: 5, keys: [] }], 1_000_000);
    expect(l.remainingUs(a, 2_000_000)).toBe(4_000_000);
    expect(l.takeExpired(5_999_999)).toEqual([]);
    expect(l.takeExpired(6_000_000)).toEqual([a]);
    // Not proposed twice while the revoke is in flight.
    expect(l.takeExpired(7_000_000)).toEqual([]);
    l.revokeDropped(a);
    expect(l.takeExpired(7_000_000)).toEqual([a]);
    l.revoked(a);
    expect(l.remainingUs(a, 7_000_000)).toBeUndefined();
  });

  it('keep-alive renews; unknown or revoking leases are not renewed; demotion forgets all', () => {
    const l = new Lessor();
    l.promote([], 0);
    l.granted(a, 2, 0);
    l.granted(b, 2, 0);
    expect(l.keepAlive(a, 1_500_000)).toBe(2);
    expect(l.takeExpired(2_000_000)).toEqual([b]);
    expect(l.keepAlive(b, 2_000_000)).toBeUndefined();
    expect(l.keepAlive(leaseId(9), 0)).toBeUndefined();
    expect(l.takeExpired(3_500_000)).toEqual([a]);
    l.demote();
    expect(l.isPrimary).toBe(false);
    expect(l.keepAlive(a, 0)).toBeUndefined();
  });
});
