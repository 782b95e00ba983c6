import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../sim/random.ts';
import { shuffle, uid } from '../../core/ports/random.ts';

const draw = (r: { float(): number }, n: number) => Array.from({ length: n }, () => r.float());

describe('SeededRandom', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    expect(draw(SeededRandom.root(7), 5)).toEqual(draw(SeededRandom.root(7), 5));
    expect(draw(SeededRandom.root(7), 5)).not.toEqual(draw(SeededRandom.root(8), 5));
  });

  it('forks without consuming the parent, so new forks never shift existing streams', () => {
    const a = SeededRandom.root(1);
    const before = draw(a.fork('net'), 3);
    const b = SeededRandom.root(1);
    b.fork('new-component');
    draw(b, 10);
    expect(draw(b.fork('net'), 3)).toEqual(before);
    expect(draw(a.fork('disk'), 3)).not.toEqual(before);
  });

  it('draws integers in range', () => {
    const r = SeededRandom.root(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(counts.reduce((a, b) => a + b)).toBe(6000);
  });

  it('makes reproducible v4-shaped uids and permutations', () => {
    const id = uid(SeededRandom.root(1));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uid(SeededRandom.root(1))).toBe(id);
    const p = shuffle(SeededRandom.root(2), [1, 2, 3, 4, 5, 6]);
    expect([...p].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('makes a uid of 32 draws, one hex digit each, the version and variant digits fixed', () => {
    let draws = 0;
    const counting = {
      int: (n: number) => {
        expect(n).toBe(16);
        return draws++ % 16;
      },
      float: () => 0,
      fork: () => counting,
    };
    expect(uid(counting)).toBe('01234567-89ab-4def-8123-456789abcdef');
    expect(draws).toBe(32);
    expect(uid(counting)).toBe('01234567-89ab-4def-8123-456789abcdef');
  });
});
