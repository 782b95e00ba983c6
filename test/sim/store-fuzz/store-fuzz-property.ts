import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { describeReport, runStoreFuzz } from '../../../sim/store-fuzz/run-store-fuzz.ts';
import { clientNames, memberNames, scheduleArbitrary } from './schedule-arbitrary.ts';

const CLIENTS = 4;
const DURATION_US = 8_000_000;
const BATCHES = 4;

/**
 * Randomized faulty histories of a store of `members`: fast-check draws the seed (workload,
 * network jitter, election timeouts, snapshot interval) and the fault schedule, and shrinks the
 * schedule on failure. Every history must show zero safety violations, meet the liveness bound
 * after healing, be linearizable, and give gap-free exactly-once watch streams. Each member
 * count has its own test file so that vitest runs them in parallel.
 */
export function defineStoreFuzzProperty(members: 3 | 5, runsPerBatch: number): void {
  const schedule = scheduleArbitrary(memberNames(members), clientNames(CLIENTS), DURATION_US);
  for (let batch = 0; batch < BATCHES; batch++) {
    test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), schedule], { numRuns: runsPerBatch })(
      `${members} members: random faults keep the store safe, live and linearizable (batch ${batch})`,
      async (seed, faults) => {
        const report = await runStoreFuzz({
          seed,
          members,
          durationUs: DURATION_US,
          clients: CLIENTS,
          faultSchedule: faults,
        });
        expect(report.violations, describeReport(report)).toEqual([]);
      },
      // A batch takes 25-70 s on a quiet machine (CI, 2026-12-07); at load 9-12 (three helpers
      // running suites) batches passed 120 s and failed on time alone.
      400_000,
    );
  }
}
