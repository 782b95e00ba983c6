/**
 * The fuzzer's power: how many seeds of the default campaign catch each planted bug
 * (planted-bugs.ts). Runs are deterministic, so the counts are too, and the floors below are the
 * counts measured on seeds 1-12: a change to the workload or the fault mix that makes the fuzzer
 * blinder to one of these bugs fails here. The rates are printed; more seeds with
 * `KSIM_PLANTED_SEEDS=30 npx vitest run test/sim/store-fuzz/planted-bugs.test.ts`.
 *
 * Tuning history, seeds 1-30 unless said: a leader serving reads without ReadIndex was caught
 * on 3 of 60 seeds by the first workload (the review that filed issue 15) and 2 of 20 here
 * before tuning; isolating leaders twice as often with the reading clients attached, a writer
 * kept with the majority, the isolation held for two election timeouts, shorter client
 * timeouts and twice as many readers raised it to 5 of 30. A stale read needs the majority to
 * elect a leader and commit a write before the isolated leader's CheckQuorum makes it step
 * down, which the election timeouts allow in about half of the isolations: that bounds it.
 * Keep-alives that do not extend the deadline: 28 of 30 (the lease-deadline check). Compaction
 * that drops the version visible at the compaction revision: 23 of 30 (past reads; a member's
 * own assertion on 4).
 *
 * The Figure 8 shape (figure-eight.ts), in a quarter of the schedules since, spends the safety
 * phase of its runs on itself (most of it without a leader the majority follows, so no lease
 * expires and few writes compare), and its runs are mostly blind to these bugs: of seeds 1-12,
 * 2, 9, 10 and 11 have it, and the floors fell from 12 to 9 (keep-alive, caught on 11 of the
 * four) and from 10 to 8 (compaction, caught on 9); stale-read still 2 (6 and 7).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fuzzRunOptions } from '../../../sim/store-fuzz/fuzz-store.ts';
import { runStoreFuzz } from '../../../sim/store-fuzz/run-store-fuzz.ts';
import { plant, plantOldTermCommit, PLANTED_BUGS, type PlantedBug } from './planted-bugs.ts';

const SEEDS = Number(process.env.KSIM_PLANTED_SEEDS ?? 12);
/**
 * A non-linearizable history costs the checker its whole budget before it says so; a tenth of
 * the default keeps a campaign of buggy runs short, at the price of calling a few of them
 * undecided instead of caught (counted as missed here).
 */
const BUDGET = 200_000;

/** Seeds of 1..12 that catch each bug (measured), and the checker expected among them. */
const PLANTED_FLOORS: Record<PlantedBug, { readonly floor: number; readonly by: string }> = {
  'stale-read': { floor: 2, by: 'linearizability' },
  'keep-alive-no-extend': { floor: 9, by: 'lease' },
  'compaction-off-by-one': { floor: 8, by: 'linearizability' },
};

describe('planted bugs', () => {
  let undo: (() => void) | undefined;
  afterEach(() => {
    undo?.();
    undo = undefined;
  });

  for (const bug of PLANTED_BUGS) {
    it(`catches ${bug} on at least ${PLANTED_FLOORS[bug].floor} of seeds 1-12`, async () => {
      undo = plant(bug);
      const caughtBy: Record<string, number> = {};
      let caught = 0;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const report = await runStoreFuzz({
          ...fuzzRunOptions(seed, { checkerMaxSteps: BUDGET }),
          illustrationMaxSteps: 1_000,
        });
        if (report.violations.length === 0) continue;
        caught++;
        for (const kind of new Set(report.violations.map((v) => v.kind)))
          caughtBy[kind] = (caughtBy[kind] ?? 0) + 1;
      }
      console.log(`${bug}: caught on ${caught} of ${SEEDS} seeds ${JSON.stringify(caughtBy)}`);
      if (SEEDS >= 12) expect(caught).toBeGreaterThanOrEqual(PLANTED_FLOORS[bug].floor);
      expect(caughtBy[PLANTED_FLOORS[bug].by] ?? 0).toBeGreaterThan(0);
    }, 300_000);
  }

  it('without a planted bug the same seeds are clean', async () => {
    for (let seed = 1; seed <= 4; seed++) {
      const report = await runStoreFuzz(fuzzRunOptions(seed));
      expect(report.violations).toEqual([]);
    }
  }, 120_000);

  // Figure 8 of the Raft paper, by the fault shape made for it (figure-eight.ts, in a quarter
  // of the schedules). Measured on seeds 1-20: seeds 2, 9 and 11 find it, of the five whose
  // schedule has the shape (10 and 13 do not: the members are not where the shape needs them
  // when it starts), always as leader-completeness.
  it('finds Raft committing an entry of an older term by counting replicas by seed 2', async () => {
    undo = plantOldTermCommit();
    const FOUND_BY = 2;
    let found: { seed: number; message: string } | undefined;
    for (let seed = 1; seed <= FOUND_BY && found === undefined; seed++) {
      const report = await runStoreFuzz({
        ...fuzzRunOptions(seed, { checkerMaxSteps: BUDGET }),
        illustrationMaxSteps: 1_000,
      });
      const raft = report.violations.find((v) => v.kind === 'raft');
      if (raft !== undefined) found = { seed, message: raft.message };
    }
    expect(found, `not found in seeds 1-${FOUND_BY}`).toBeDefined();
    console.log(`old-term-commit: found by seed ${found!.seed}: ${found!.message}`);
    expect(found!.message).toMatch(
      /^leader-completeness at \d+us: leader \d+ of term \d+ has term \d+ at \d+, where \d+\/\d+ was committed by term \d+/,
    );
    undo();
    undo = undefined;
    const clean = await runStoreFuzz(fuzzRunOptions(found!.seed));
    expect(clean.violations).toEqual([]);
    expect(clean.schedule.some((f) => f.fault.kind === 'figure-8')).toBe(true);
  }, 300_000);
});
