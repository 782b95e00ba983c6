import { describe, expect, it } from 'vitest';
import { fuzzStore, reproduceCommand } from '../../../sim/store-fuzz/fuzz-store.ts';
import type { ScheduledFault } from '../../../sim/store-fuzz/fault-schedule.ts';
import { describeReport, runStoreFuzz } from '../../../sim/store-fuzz/run-store-fuzz.ts';

const FAST_LINK = {
  kind: 'link',
  link: {
    latency: { kind: 'uniform', minUs: 100, maxUs: 800 },
    lossProbability: 0,
    duplicateProbability: 0,
  },
} as const;

/** Shrunk counterexamples of the property tests, each a bug since fixed. */
const REGRESSIONS: { readonly name: string; readonly schedule: readonly ScheduledFault[] }[] = [
  {
    // Every first member replaced at once: the clients knew only removed members, which
    // named no one, so no write was ever committed again.
    name: 'all first members replaced, one crashed',
    schedule: [
      { atUs: 0, fault: { kind: 'replace-member', process: 'etcd-0' } },
      { atUs: 0, fault: { kind: 'replace-member', process: 'etcd-2' } },
      { atUs: 0, fault: { kind: 'replace-member', process: 'etcd-1' } },
      { atUs: 0, fault: { kind: 'crash', process: 'etcd-0' } },
      { atUs: 100_000, fault: { kind: 'restart', process: 'etcd-0' } },
    ],
  },
  {
    name: 'all first members replaced on a fast network',
    schedule: [
      { atUs: 0, fault: { kind: 'replace-member', process: 'etcd-1' } },
      { atUs: 0, fault: { kind: 'replace-member', process: 'etcd-2' } },
      { atUs: 0, fault: { kind: 'replace-member', process: 'etcd-0' } },
      { atUs: 0, fault: FAST_LINK },
    ],
  },
];

/** The `ksim fuzz store` path: schedules drawn from the seed, 3 or 5 members by seed. */
describe('fuzzStore', () => {
  for (const root of [1_000, 2_000]) {
    it(`runs 100 seeded faulty histories from seed ${root} without a violation`, async () => {
      const result = await fuzzStore({ runs: 100, seed: root });
      expect(result.failures, result.firstFailure?.description).toBe(0);
      expect(result.runs).toBe(100);
    }, 120_000);
  }

  for (const { name, schedule } of REGRESSIONS) {
    it(`regression: ${name}`, async () => {
      const report = await runStoreFuzz({
        seed: 0,
        members: 3,
        durationUs: 8_000_000,
        clients: 4,
        faultSchedule: schedule,
      });
      expect(report.violations, describeReport(report)).toEqual([]);
      expect(report.stats.livenessUs).toBeDefined();
    });
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
