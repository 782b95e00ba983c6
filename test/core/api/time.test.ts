import { describe, expect, it } from 'vitest';
import { formatMicroTime, formatTime, parseRfc3339, parseTime } from '../../../core/api/time.ts';

describe('formatTime', () => {
  const S = 1_000_000;
  /** 2026-01-01T00:00:00Z: 56 years of which 14 leap, 20,454 days after the Unix epoch. */
  const Y2026 = 1_767_225_600 * S;
  const table: [number, string, string][] = [
    [0, '1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000000Z'],
    [Y2026, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000000Z'],
    [Y2026 + 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000001Z'],
    [Y2026 + 999_999, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.999999Z'],
    [Y2026 + 61 * S + 250, '2026-01-01T00:01:01Z', '2026-01-01T00:01:01.000250Z'],
    [Y2026 + 86_400 * S, '2026-01-02T00:00:00Z', '2026-01-02T00:00:00.000000Z'],
    // 2026 is not a leap year: day 59 is March 1st.
    [Y2026 + 59 * 86_400 * S, '2026-03-01T00:00:00Z', '2026-03-01T00:00:00.000000Z'],
    [Y2026 + 365 * 86_400 * S, '2027-01-01T00:00:00Z', '2027-01-01T00:00:00.000000Z'],
    // A fraction of a second rounds down to the previous second, also before 1970.
    [Y2026 - 1, '2025-12-31T23:59:59Z', '2025-12-31T23:59:59.999999Z'],
    [-1, '1969-12-31T23:59:59Z', '1969-12-31T23:59:59.999999Z'],
    // Leap days.
    [951_782_400 * S, '2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000000Z'],
    [1_709_164_800 * S, '2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000000Z'],
  ];
  it.each(table)('%d us', (us, t, micro) => {
    expect(formatTime(us)).toBe(t);
    expect(formatMicroTime(us)).toBe(micro);
    expect(parseTime(micro)).toBe(us);
    expect(parseTime(t)).toBe(us - (((us % S) + S) % S));
  });

  it('parses RFC3339 with offsets and rejects garbage', () => {
    expect(parseRfc3339('1970-01-01T01:00:00+01:00')).toBe(0);
    expect(parseRfc3339('1970-01-01T00:00:00.5Z')).toBe(500_000);
    expect(parseRfc3339('2026-02-30T00:00:00Z')).toBeUndefined();
    expect(parseRfc3339('yesterday')).toBeUndefined();
    expect(parseTime('2026-01-01 00:00:00')).toBeUndefined();
  });

  it('refuses a time that is not an integer number of microseconds', () => {
    expect(() => formatTime(0.5)).toThrow(/not an integer/);
  });
});
