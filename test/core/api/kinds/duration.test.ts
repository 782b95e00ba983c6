import { describe, expect, it } from 'vitest';
import { humanDuration } from '../../../../core/api/kinds/duration.ts';

const S = 1_000_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  const table: [number, string][] = [
    [-2 * S, '<invalid>'],
    [-S, '0s'],
    [0, '0s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [5 * M + 30 * S, '5m30s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [800 * D, '2y70d'],
    [8 * 365 * D, '8y'],
  ];
  it.each(table)('%d µs -> %s', (us, want) => {
    expect(humanDuration(us)).toBe(want);
  });
});
