import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EPOCH,
  formatMicroTime,
  formatTime,
  parseRfc3339,
  parseTime,
} from '../../../core/api/time.ts';

describe('formatTime', () => {
  const S = 1_000_000;
  const table: [number, string, string][] = [
    [0, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000000Z'],
    [1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000001Z'],
    [999_999, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.999999Z'],
    [61 * S + 250, '2026-01-01T00:01:01Z', '2026-01-01T00:01:01.000250Z'],
    [86_400 * S, '2026-01-02T00:00:00Z', '2026-01-02T00:00:00.000000Z'],
    // 2026 is not a leap year: day 59 is March 1st.
    [59 * 86_400 * S, '2026-03-01T00:00:00Z', '2026-03-01T00:00:00.000000Z'],
    [365 * 86_400 * S, '2027-01-01T00:00:00Z', '2027-01-01T00:00:00.000000Z'],
    // Before the epoch rounds down to the previous second.
    [-1, '2025-12-31T23:59:59Z', '2025-12-31T23:59:59.999999Z'],
  ];
  it.each(table)('%d us', (us, t, micro) => {
    expect(formatTime(us)).toBe(t);
    expect(formatMicroTime(us)).toBe(micro);
    expect(parseTime(micro)).toBe(us);
  });

  it('supports other epochs, including leap days', () => {
    expect(formatTime(0, '2024-02-28T23:00:00Z')).toBe('2024-02-28T23:00:00Z');
    expect(formatTime(3600 * 1_000_000, '2024-02-28T23:00:00Z')).toBe('2024-02-29T00:00:00Z');
    expect(formatTime(0, '1970-01-01T00:00:00Z')).toBe('1970-01-01T00:00:00Z');
    expect(formatTime(951_782_400 * 1_000_000, '1970-01-01T00:00:00Z')).toBe(
      '2000-02-29T00:00:00Z',
    );
  });

  it('parses RFC3339 with offsets and rejects garbage', () => {
    expect(parseRfc3339('1970-01-01T01:00:00+01:00')).toBe(0);
    expect(parseRfc3339('1970-01-01T00:00:00.5Z')).toBe(500_000);
    expect(parseTime(DEFAULT_EPOCH)).toBe(0);
    expect(parseRfc3339('2026-02-30T00:00:00Z')).toBeUndefined();
    expect(parseRfc3339('yesterday')).toBeUndefined();
    expect(() => formatTime(0, 'not a time')).toThrow(/epoch is not RFC3339/);
  });
});
