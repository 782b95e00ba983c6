import { describe, expect, it } from 'vitest';
import { main } from '../../../sim/cli/main.ts';
import {
  fuzzStore,
  fuzzStoreCommand,
  reproduceCommand,
} from '../../../sim/store-fuzz/fuzz-store.ts';
import { Simulation } from '../../../sim/simulation.ts';
import { StoreCluster } from '../../../sim/store-cluster.ts';
import {
  applyStoreFault,
  healAll,
  type ScheduledFault,
} from '../../../sim/store-fuzz/fault-schedule.ts';
import { describeReport, runStoreFuzz } from '../../../sim/store-fuzz/run-store-fuzz.ts';
import { COVERAGE_PATHS } from '../../../sim/store-fuzz/coverage.ts';

const FAST_LINK = {
  kind: 'link',
  link: {
    latency: { kind: 'uniform', minUs: 100, maxUs: 800 },
    lossProbability: 0,
    duplicateProbability: 0,
  },
} as const;

/** Shrunk counterexamples of the property tests, each a bug since fixed. */
const REGRESSIONS: {
  readonly name: string;
  readonly seed?: number;
  readonly schedule: readonly ScheduledFault[];
}[] = [
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
  {
    // The restart that crash-leader schedules brought back a lost member, with its disk
    // wiped: it voted again in a term it had already voted in, and a leader without a
    // committed entry was elected (leader completeness).
    name: 'a crashed leader lost before its restart stays down',
    seed: 1004080588,
    schedule: [
      {
        atUs: 723_900,
        fault: {
          kind: 'partition',
          groups: [
            ['etcd-0', 'client-0'],
            ['etcd-1', 'etcd-2'],
          ],
        },
      },
      { atUs: 1_006_079, fault: { kind: 'heal' } },
      { atUs: 1_007_894, fault: { kind: 'crash-leader', restartAfterUs: 1_192_315 } },
      { atUs: 1_801_425, fault: { kind: 'partition', groups: [['etcd-0'], ['etcd-1', 'etcd-2']] } },
      { atUs: 1_994_298, fault: { kind: 'lose-member', process: 'etcd-1' } },
      { atUs: 2_201_021, fault: { kind: 'heal' } },
    ],
  },
];

/**
 * The `ksim fuzz store` path: schedules drawn from the seed, 3 or 5 members by seed. 100
 * histories here (the property tests beside this file draw 240 + 160 more from fast-check's
 * own schedules each run); larger campaigns: `ksim fuzz store --runs N --workers 2`.
 */
describe('fuzzStore', () => {
  it('runs 100 seeded faulty histories from seed 1000 without a violation', async () => {
    const result = await fuzzStore({ runs: 100, seed: 1_000 });
    expect(result.failures, result.firstFailure?.description).toBe(0);
    expect(result.runs).toBe(100);
  }, 400_000);

  it('replaces a member whose disk is lost, through a partition', async () => {
    // Convergence requires every member of the final configuration to be up and equal, so
    // the lost member must have been removed.
    const report = await runStoreFuzz({
      seed: 3,
      members: 3,
      durationUs: 6_000_000,
      clients: 4,
      faultSchedule: [
        { atUs: 1_000_000, fault: { kind: 'lose-member', process: 'etcd-1' } },
        { atUs: 1_200_000, fault: { kind: 'partition', groups: [['etcd-0'], ['etcd-2']] } },
        { atUs: 2_000_000, fault: { kind: 'restart', process: 'etcd-1' } },
        { atUs: 2_500_000, fault: { kind: 'heal' } },
      ],
    });
    expect(report.violations, describeReport(report)).toEqual([]);
    expect(report.stats.linearizability).toBe('ok');
  });

  it('the checkers catch a member that comes back with a wiped disk under its old id', async () => {
    // Why a lost member is removed and never restarted: having forgotten its log and its vote,
    // etcd-0 helps the lagging etcd-2 win an election without the entries committed meanwhile.
    const wiped = (atUs: number, process: string): ScheduledFault[] => [
      { atUs, fault: { kind: 'crash', process } },
      { atUs, fault: { kind: 'wipe-disk', process } },
      { atUs: atUs + 100_000, fault: { kind: 'restart', process } },
    ];
    const report = await runStoreFuzz({
      seed: 0,
      members: 3,
      durationUs: 8_000_000,
      clients: 4,
      mix: 'kv',
      faultSchedule: [
        ...wiped(0, 'etcd-2'),
        { atUs: 995_288, fault: { kind: 'partition', groups: [['etcd-2'], ['etcd-0', 'etcd-1']] } },
        { atUs: 1_901_021, fault: { kind: 'heal' } },
        ...wiped(1_911_388, 'etcd-0'),
      ],
    });
    expect(report.violations.map((v) => v.kind)).toContain('raft');
    expect(report.violations.find((v) => v.kind === 'raft')?.message).toMatch(
      /^leader-completeness at \d+us: leader 3 of term 2 has no entry at \d+/,
    );
  });

  it('never starts a lost member again: faults aimed at it do nothing', async () => {
    const sim = new Simulation({ seed: 1 });
    const cluster = new StoreCluster(sim, { members: 3 });
    await sim.run({ untilUs: 2_000_000 });
    applyStoreFault(sim, cluster, { kind: 'lose-member', process: 'etcd-1' });
    for (const fault of [
      { kind: 'restart', process: 'etcd-1' },
      { kind: 'crash', process: 'etcd-1' },
      { kind: 'restart', process: 'etcd-1' },
    ] as const)
      applyStoreFault(sim, cluster, fault);
    healAll(sim, cluster);
    await sim.run({ untilUs: 5_000_000 });
    expect(cluster.member('etcd-1')).toBeUndefined();
    expect(cluster.views().map((v) => v.name)).toEqual(['etcd-0', 'etcd-2', 'etcd-3']);
    expect(cluster.leader()?.voters).toEqual([1, 3, 4]);
  });

  const SEEDED_REGRESSIONS = [
    // The add's reply was lost and the admin waited for a leader to confirm it before starting
    // the new member; with one voter lost, the four-voter configuration needed the new
    // member's vote to elect that leader.
    { seed: 91652, name: 'a member lost while the voter added before it has not started' },
    // The leader committed etcd-0's removal and was lost; etcd-1 held the removal without
    // knowing it committed, and needed the vote of etcd-0, which had gone silent on applying it.
    { seed: 124138, name: 'a lagging member needs the vote of a member removed since' },
  ];
  for (const { seed, name } of SEEDED_REGRESSIONS) {
    it(`regression: ${name}`, async () => {
      // Found with the first op mix, which replays them draw for draw.
      const result = await fuzzStore({ runs: 1, seed, mix: 'kv' });
      expect(result.failures, result.firstFailure?.description).toBe(0);
    });
  }

  for (const { name, seed = 0, schedule } of REGRESSIONS) {
    it(`regression: ${name}`, async () => {
      const report = await runStoreFuzz({
        seed,
        members: 3,
        durationUs: 8_000_000,
        clients: 4,
        mix: 'kv',
        faultSchedule: schedule,
      });
      expect(report.violations, describeReport(report)).toEqual([]);
      expect(report.stats.livenessUs).toBeDefined();
    });
  }

  it('the default mix reaches every store path a client can take', async () => {
    const result = await fuzzStore({ runs: 6, seed: 100 });
    expect(result.failures, result.firstFailure?.description).toBe(0);
    const missed = COVERAGE_PATHS.filter((p) => (result.coverage[p] ?? 0) === 0);
    expect(missed).toEqual([]);
    // The watch streams were checked against a history that compaction did not cut short.
    expect(result.coverage.compact).toBeGreaterThan(0);
  }, 60_000);

  it('--mix names an op mix; anything else is refused', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const args = ['fuzz', 'store', '--runs', '1', '--mix', 'everything'];
    expect(
      await main(['node', 'ksim', ...args], (s) => lines.push(s), { err: (s) => errors.push(s) }),
    ).toBe(2);
    expect(lines).toEqual([]);
    expect(errors[0]).toBe(
      `ksim: option '--mix <mix>' argument 'everything' is invalid. expected one of kv, full, got "everything"`,
    );
    expect(reproduceCommand(5, { mix: 'kv' })).toBe('ksim fuzz store --seed 5 --runs 1 --mix kv');
  });

  it('--workers spreads the runs over threads; the output is the same line for line', async () => {
    const base = ['node', 'ksim', 'fuzz', 'store', '--runs', '3', '--seed', '7'];
    const args = [...base, '--duration', '2s', '--clients', '3'];
    const alone: string[] = [];
    expect(await main(args, (s) => alone.push(s))).toBe(0);
    const spread: string[] = [];
    expect(await main([...args, '--workers', '2'], (s) => spread.push(s))).toBe(0);
    expect(spread).toEqual(alone);
    expect(alone).toHaveLength(5);
  }, 60_000);

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

  it('counts histories the checker cannot decide, and fails on them with --strict', async () => {
    const options = { members: 3 as const, durationUs: 3_000_000, clients: 3, checkerMaxSteps: 2 };
    const lenient = await fuzzStore({ runs: 2, seed: 31, ...options });
    expect(lenient.failures).toBe(0);
    expect(lenient.inconclusive).toBe(2);
    const lines: string[] = [];
    const args = reproduceCommand(31, { ...options, strict: true }).split(' ');
    expect(await main(['node', ...args], (s) => lines.push(s))).toBe(1);
    expect(lines.join('\n')).toContain(
      'linearizability undecided within 2 checker steps (--strict)',
    );
    expect(lines.join('\n')).toContain(`reproduce: ${args.join(' ')}`);
    const generous = await fuzzStore({ runs: 2, seed: 31, ...options, checkerMaxSteps: undefined });
    expect(generous.inconclusive).toBe(0);
    expect(generous.maxCheckerSteps).toBeGreaterThan(2);
  });

  it('the reproducing command runs the same history through the CLI', async () => {
    const options = { members: 3 as const, durationUs: 1_500_000, clients: 2 };
    const direct: string[] = [];
    await fuzzStoreCommand({ runs: 1, seed: 23, ...options }, (s) => direct.push(s));
    const args = reproduceCommand(23, options).split(' ');
    expect(args).toContain('--duration');
    const viaCli: string[] = [];
    expect(await main(['node', ...args], (s) => viaCli.push(s))).toBe(0);
    expect(viaCli).toEqual(direct);
  });
});
