/**
 * fast-check arbitraries for store fault schedules: the same kinds of faults as the seeded
 * generator (sim/store-fuzz/fault-schedule.ts), as data fast-check can shrink (fewer faults,
 * earlier times, milder parameters).
 */
import { fc } from '@fast-check/vitest';
import { DEFAULT_LINK } from '../../../sim/network.ts';
import type { ScheduledFault, StoreFault } from '../../../sim/store-fuzz/fault-schedule.ts';

export function memberNames(members: number): string[] {
  return Array.from({ length: members }, (_, i) => `etcd-${i}`);
}

export function clientNames(clients: number): string[] {
  return Array.from({ length: clients }, (_, i) => `client-${i}`);
}

export function scheduleArbitrary(
  members: readonly string[],
  clients: readonly string[],
  durationUs: number,
  maxFaults = 10,
): fc.Arbitrary<ScheduledFault[]> {
  const at = fc.integer({ min: 0, max: Math.floor(durationUs * 0.9) });
  const member = fc.constantFrom(...members);
  const later = fc.integer({ min: 100_000, max: 3_000_000 });
  const one = (fault: fc.Arbitrary<StoreFault>): fc.Arbitrary<ScheduledFault[]> =>
    fc.record({ atUs: at, fault }).map((f) => [f]);
  /** A fault and, `later`, its end. */
  const episode = (
    fault: fc.Arbitrary<StoreFault>,
    end: StoreFault,
  ): fc.Arbitrary<ScheduledFault[]> =>
    fc.tuple(at, fault, later).map(([atUs, f, d]) => [
      { atUs, fault: f },
      { atUs: atUs + d, fault: end },
    ]);
  const partition: fc.Arbitrary<StoreFault> = fc
    .tuple(
      fc.subarray([...members], { minLength: 1, maxLength: members.length - 1 }),
      fc.subarray([...clients]),
    )
    .map(([side, cs]) => ({
      kind: 'partition' as const,
      groups: [[...side, ...cs], members.filter((m) => !side.includes(m))],
    }));
  const block: fc.Arbitrary<StoreFault> = fc
    .tuple(member, member)
    .filter(([a, b]) => a !== b)
    .map(([from, to]) => ({ kind: 'block' as const, from, to }));
  const link: fc.Arbitrary<StoreFault> = fc
    .record({
      maxUs: fc.integer({ min: 800, max: 20_000 }),
      lossPct: fc.integer({ min: 0, max: 30 }),
      dupPct: fc.integer({ min: 0, max: 20 }),
    })
    .map(({ maxUs, lossPct, dupPct }) => ({
      kind: 'link' as const,
      link: {
        latency: { kind: 'uniform' as const, minUs: 100, maxUs },
        lossProbability: lossPct / 100,
        duplicateProbability: dupPct / 100,
      },
    }));
  const heal: StoreFault = { kind: 'heal' };
  const crash = fc.tuple(at, member, later).map(([atUs, process, d]): ScheduledFault[] => [
    { atUs, fault: { kind: 'crash', process } },
    { atUs: atUs + d, fault: { kind: 'restart', process } },
  ]);
  const fault = fc.oneof(
    { weight: 8, arbitrary: episode(partition, heal) },
    { weight: 4, arbitrary: one(partition) },
    { weight: 8, arbitrary: episode(block, heal) },
    { weight: 8, arbitrary: episode(fc.constant({ kind: 'isolate-leader' as const }), heal) },
    { weight: 16, arbitrary: crash },
    {
      weight: 4,
      arbitrary: one(member.map((process) => ({ kind: 'replace-member' as const, process }))),
    },
    {
      weight: 8,
      arbitrary: one(later.map((d) => ({ kind: 'crash-leader' as const, restartAfterUs: d }))),
    },
    { weight: 10, arbitrary: episode(link, { kind: 'link', link: DEFAULT_LINK }) },
    {
      weight: 6,
      arbitrary: one(
        fc
          .tuple(member, fc.integer({ min: 50_000, max: 2_000_000 }))
          .map(([process, durationUs]) => ({ kind: 'clog' as const, process, durationUs })),
      ),
    },
    {
      weight: 10,
      arbitrary: one(
        fc
          .tuple(member, fc.integer({ min: 50, max: 100 }), fc.constantFrom(0, 0, 0.2))
          .map(([process, tornPct, readErrorProbability]) => ({
            kind: 'disk-faults' as const,
            process,
            tornWriteProbability: tornPct / 100,
            readErrorProbability,
          })),
      ),
    },
  );
  // One lost member at most: two lost before the first is replaced is a lost quorum for three.
  const lost = fc.oneof(
    { weight: 5, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.record({
        atUs: at,
        fault: member.map((process) => ({ kind: 'lose-member' as const, process })),
      }),
    },
  );
  return fc
    .tuple(fc.array(fault, { minLength: 1, maxLength: maxFaults }), lost)
    .map(([groups, loss]) =>
      [...groups.flat(), ...(loss === undefined ? [] : [loss])].sort((a, b) => a.atUs - b.atUs),
    );
}
