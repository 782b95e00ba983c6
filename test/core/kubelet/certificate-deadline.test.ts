/**
 * nextRotationDeadline (client-go certificate_manager.go): NotBefore plus 70 % of the lifetime
 * plus a uniform share of another 20 %, whatever the random draw.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { nextRotationDeadline } from '../../../core/kubelet/certificate-manager.ts';
import type { Random } from '../../../core/ports/random.ts';

/** A Random whose float() is `value` (the deadline takes nothing else from it). */
function fixed(value: number): Random {
  return {
    float: () => value,
    int: () => {
      throw new Error('not drawn');
    },
    fork: () => fixed(value),
  };
}

const HOUR_US = 3_600_000_000;

describe('nextRotationDeadline', () => {
  it.each<[number, number]>([
    [0, 0.7],
    [0.5, 0.8],
    [0.25, 0.75],
  ])('a draw of %s rotates at %s of the lifetime', (draw, fraction) => {
    const notBeforeUs = 1_700_000_000_000_000;
    const v = { notBeforeUs, notAfterUs: notBeforeUs + 10 * HOUR_US };
    expect(nextRotationDeadline(v, fixed(draw))).toBe(notBeforeUs + fraction * 10 * HOUR_US);
  });

  it('a year-long certificate backdated five minutes rotates between 255 and 329 days in', () => {
    const notBeforeUs = 1_700_000_000_000_000;
    const year = { notBeforeUs, notAfterUs: notBeforeUs + 365 * 24 * HOUR_US };
    const dayUs = 24 * HOUR_US;
    expect((nextRotationDeadline(year, fixed(0)) - notBeforeUs) / dayUs).toBeCloseTo(255.5, 5);
    expect((nextRotationDeadline(year, fixed(0.999999)) - notBeforeUs) / dayUs).toBeCloseTo(
      328.5,
      3,
    );
  });

  test.prop([
    fc.integer({ min: 0, max: 2_000_000_000_000_000 }),
    fc.integer({ min: 1, max: 10 * 365 * 24 * HOUR_US }),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  ])('stays within 70-90 % of the lifetime', (notBeforeUs, lifetimeUs, draw) => {
    const d = nextRotationDeadline(
      { notBeforeUs, notAfterUs: notBeforeUs + lifetimeUs },
      fixed(draw),
    );
    expect(Number.isInteger(d)).toBe(true);
    expect(d).toBeGreaterThanOrEqual(notBeforeUs + Math.floor(0.7 * lifetimeUs));
    expect(d).toBeLessThanOrEqual(notBeforeUs + Math.ceil(0.9 * lifetimeUs));
  });
});
