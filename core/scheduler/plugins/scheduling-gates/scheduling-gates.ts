/**
 * PreEnqueue: a pod with spec.schedulingGates stays out of the active queue until every gate
 * is removed (pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go).
 */
import { ActionType, type ClusterEventWithHint } from '../../framework/cluster-event.ts';
import type { EnqueueExtensions, PreEnqueuePlugin } from '../../framework/interface.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { Status, type MaybeStatus } from '../../framework/status.ts';
import { SCHEDULING_GATES } from '../names/names.ts';

export const NAME = SCHEDULING_GATES;

export function reasonWaiting(gates: readonly string[]): string {
  return `waiting for scheduling gates: [${gates.join(' ')}]`;
}

export class SchedulingGates implements PreEnqueuePlugin, EnqueueExtensions {
  readonly name = NAME;

  preEnqueue(pod: PodInfo): MaybeStatus {
    const gates = pod.pod.spec.schedulingGates ?? [];
    if (gates.length === 0) return undefined;
    return Status.unresolvable(reasonWaiting(gates.map((g) => g.name))).withPlugin(NAME);
  }

  eventsToRegister(): readonly ClusterEventWithHint[] {
    return [
      {
        event: {
          resource: 'UnscheduledPod',
          actionType: ActionType.UpdatePodSchedulingGatesEliminated,
        },
      },
    ];
  }
}

export function New(): SchedulingGates {
  return new SchedulingGates();
}
