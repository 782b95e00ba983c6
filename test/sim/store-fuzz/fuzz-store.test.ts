import { describe, expect, it } from 'vitest';
import { fuzzStore, reproduceCommand } from '../../../sim/store-fuzz/fuzz-store.ts';
import { runStoreFuzz } from '../../../sim/store-fuzz/run-store-fuzz.ts';

/** The `ksim fuzz store` path: schedules drawn from the seed, 3 or 5 members by seed. */
describe('fuzzStore', () => {
  for (const root of [1_000, 2_000]) {
    it(`runs 100 seeded faulty histories from seed ${root} without a violation`, async () => {
      const result = await fuzzStore({ runs: 100, seed: root });
      expect(result.failures, result.firstFailure?.description).toBe(0);
      expect(result.runs).toBe(100);
    }, 120_000);
  }

  it('is deterministic: one seed, one history', async () => {
    const a = await runStoreFuzz({ seed: 42, members: 3, durationUs: 4_000_000, clients: 3 });
    const b = await runStoreFuzz({ seed: 42, members: 3, durationUs: 4_000_000, clients: 3 });
    expect(b).toEqual(a);
    const c = await runStoreFuzz({ seed: 43, members: 3, durationUs: 4_000_000, clients: 3 });
    expect(c.schedule).not.toEqual(a.schedule);
  });

  it('prints a reproducing command', () => {
    expect(reproduceCommand(17)).toBe('ksim fuzz store --seed 17 --runs 1');
    expect(reproduceCommand(17, { members: 5 })).toBe(
      'ksim fuzz store --seed 17 --runs 1 --members 5',
    );
  });
});
