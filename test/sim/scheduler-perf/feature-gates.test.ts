/**
 * A workload's feature gates against ksim's scheduler: a gate asking for the state ksim's
 * engine runs in (or one it runs alike in both states) lets the workload run; the other state,
 * or a gate ksim does not model, gives the reason it is skipped.
 */
import { describe, expect, it } from 'vitest';
import { gateSkipReason } from '../../../sim/scheduler-perf/feature-gates.ts';

describe('gateSkipReason', () => {
  it.each([
    [{}, undefined],
    [{ SchedulerQueueingHints: true }, undefined],
    [{ SchedulerAsyncPreemption: true, NodeInclusionPolicyInPodTopologySpread: true }, undefined],
    [{ SchedulerAsyncAPICalls: false }, undefined],
    [{ SchedulerAsyncAPICalls: true }, undefined],
    [{ MaxUnavailableStatefulSet: true }, undefined],
    [
      { SchedulerQueueingHints: false },
      "featureGates.SchedulerQueueingHints: false, but ksim's scheduler always runs with SchedulerQueueingHints=true",
    ],
    [
      { SchedulerAsyncPreemption: false },
      "featureGates.SchedulerAsyncPreemption: false, but ksim's scheduler always runs with SchedulerAsyncPreemption=true",
    ],
    [
      { GenericWorkload: true },
      "featureGates.GenericWorkload: ksim's scheduler does not model this feature gate",
    ],
  ] as const)('%j -> %s', (gates, want) => {
    const got = gateSkipReason(gates);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(want);
  });

  it('names every offending gate', () => {
    const got = gateSkipReason({ SchedulerQueueingHints: false, DRAPrioritizedList: true });
    expect(got?.split('; ')).toHaveLength(2);
  });
});
