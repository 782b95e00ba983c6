/**
 * A workload's `featureGates` against what ksim's scheduler implements. Upstream sets the gates
 * on the in-process kube-scheduler and fails a workload naming a gate it does not know. ksim's
 * engine implements a gate's behaviour in one state only (as upstream does for a GA gate locked
 * to its default), so a workload runs when every gate it sets asks for that state, and is
 * skipped, with the reason printed, when it asks for the other state or names a gate ksim does
 * not model: a skipped workload never reports a throughput for behaviour ksim did not run.
 */
import { isFeatureGateName } from '../../core/api/feature-gates.ts';

interface EngineGate {
  /**
   * The state ksim's scheduler always runs in; 'either' when both states schedule alike in
   * ksim, so a workload may ask for either.
   */
  readonly state: boolean | 'either';
  /** Where the behaviour lives, for the skip reason and README. */
  readonly behaviour: string;
}

/** Scheduler gates whose behaviour ksim's engine implements (in one state). */
export const ENGINE_GATES: Readonly<Record<string, EngineGate>> = {
  SchedulerQueueingHints: {
    state: true,
    behaviour: 'plugins register queueing hints that decide which cluster events requeue a pod',
  },
  SchedulerAsyncPreemption: {
    state: true,
    behaviour: "preemption's victim deletions leave the scheduling cycle (fire and forget)",
  },
  SchedulerAsyncAPICalls: {
    state: 'either',
    behaviour:
      "the harness's API calls complete at once, so issuing them inline or through upstream's API dispatcher schedules the same",
  },
  NodeInclusionPolicyInPodTopologySpread: {
    state: true,
    behaviour: 'PodTopologySpread honours nodeAffinityPolicy and nodeTaintsPolicy',
  },
};

/** Why a workload with these gates cannot run in ksim, or undefined when it can. */
export function gateSkipReason(gates: Readonly<Record<string, boolean>>): string | undefined {
  const reasons: string[] = [];
  for (const [name, on] of Object.entries(gates)) {
    const g = ENGINE_GATES[name];
    if (g !== undefined) {
      if (g.state !== 'either' && on !== g.state)
        reasons.push(
          `featureGates.${name}: ${on}, but ksim's scheduler always runs with ${name}=${g.state} (${g.behaviour})`,
        );
      continue;
    }
    if (isFeatureGateName(name)) continue;
    reasons.push(`featureGates.${name}: ksim's scheduler does not model this feature gate`);
  }
  return reasons.length === 0 ? undefined : reasons.join('; ');
}
