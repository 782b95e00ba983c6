import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { describeReport, runStoreFuzz } from '../../../sim/store-fuzz/run-store-fuzz.ts';
import { clientNames, memberNames, scheduleArbitrary } from './schedule-arbitrary.ts';

/**
 * Randomized faulty histories of a 3-member store: fast-check draws the seed (workload, network
 * jitter, election timeouts, snapshot interval) and the fault schedule, and shrinks the schedule
 * on failure. Every history must show zero safety violations, meet the liveness bound after
 * healing, be linearizable, and give gap-free exactly-once watch streams.
 */
const MEMBERS = 3;
const CLIENTS = 4;
const DURATION_US = 8_000_000;
const RUNS_PER_TEST = 120;
const schedule = scheduleArbitrary(memberNames(MEMBERS), clientNames(CLIENTS), DURATION_US);

for (let batch = 0; batch < 4; batch++) {
  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), schedule], { numRuns: RUNS_PER_TEST })(
    `3 members: random faults keep the store safe, live and linearizable (batch ${batch})`,
    async (seed, faults) => {
      const report = await runStoreFuzz({
        seed,
        members: MEMBERS,
        durationUs: DURATION_US,
        clients: CLIENTS,
        faultSchedule: faults,
      });
      expect(report.violations, describeReport(report)).toEqual([]);
    },
    120_000,
  );
}
