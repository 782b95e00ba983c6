import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../sim/random.ts';
import { parseUsage, Usage } from '../../sim/usage-model.ts';

const MI = 1024 * 1024;
const S = 1_000_000;

describe('container usage patterns', () => {
  it.each([
    ['200m', 'millicores', 0, 200],
    ['128Mi', 'bytes', 50 * S, 128 * MI],
    ['ramp:64Mi..512Mi/100s', 'bytes', 0, 64 * MI],
    ['ramp:64Mi..512Mi/100s', 'bytes', 50 * S, 288 * MI],
    ['ramp:64Mi..512Mi/100s', 'bytes', 500 * S, 512 * MI],
    ['periodic:100m..500m/60s', 'millicores', 0, 100],
    ['periodic:100m..500m/60s', 'millicores', 30 * S, 500],
    ['periodic:100m..500m/60s', 'millicores', 15 * S, 300],
    ['periodic:100m..500m/1m', 'millicores', 60 * S, 100],
  ] as const)('%s (%s) at %i us is %i', (text, unit, atUs, expected) => {
    const p = parseUsage(text, unit);
    expect(p).toBeDefined();
    const u = new Usage(p!, new SeededRandom(String(1)));
    expect(u.at(atUs)).toBeCloseTo(expected, 6);
  });

  it.each(['', 'lots', 'ramp:1Gi/10s', 'walk:1..2/0s', 'periodic:a..b/1s'])('rejects %j', (text) =>
    expect(parseUsage(text, 'bytes')).toBeUndefined(),
  );

  it('a random walk stays in its range, moves by at most a tenth of it per step, and repeats per seed', () => {
    const p = parseUsage('walk:100Mi..200Mi/10s', 'bytes')!;
    const walk = (seed: number) => {
      const u = new Usage(p, new SeededRandom(String(seed)));
      return Array.from({ length: 200 }, (_, i) => u.at(i * 10 * S));
    };
    const a = walk(1);
    expect(a[0]).toBe(100 * MI);
    for (let i = 1; i < a.length; i++) {
      expect(a[i]).toBeGreaterThanOrEqual(100 * MI);
      expect(a[i]).toBeLessThanOrEqual(200 * MI);
      expect(Math.abs((a[i] as number) - (a[i - 1] as number))).toBeLessThanOrEqual(10 * MI + 1);
    }
    expect(walk(1)).toEqual(a);
    expect(walk(2)).not.toEqual(a);
  });

  it.each([
    'ramp:64Mi..512Mi/100s',
    'ramp:512Mi..64Mi/100s',
    'periodic:64Mi..512Mi/60s',
    'walk:64Mi..512Mi/5s',
    '300Mi',
    '100Mi',
  ])('firstAbove of %s agrees with sampling every millisecond', (text) => {
    const p = parseUsage(text, 'bytes')!;
    for (const fromUs of [0, 7 * S, 45 * S]) {
      const u = new Usage(p, new SeededRandom(String(3)));
      const limit = 256 * MI;
      const got = u.firstAbove(limit, fromUs, 300 * S);
      let sampled: number | undefined;
      for (let t = fromUs; t <= 300 * S; t += 1_000) {
        if (u.at(t) > limit) {
          sampled = t;
          break;
        }
      }
      if (sampled === undefined) expect(got).toBeUndefined();
      else {
        expect(got).toBeDefined();
        expect(u.at(got!)).toBeGreaterThan(limit);
        // Never later than sampling finds it, at most a sampling step earlier.
        expect(got!).toBeLessThanOrEqual(sampled);
        expect(sampled - got!).toBeLessThan(1_000);
      }
    }
  });
});
