/**
 * The last-change trigger time of a Service's endpoints (pkg/controller/util/endpoint
 * trigger_time_tracker.go), exported by the Endpoints and EndpointSlice controllers as the
 * `endpoints.kubernetes.io/last-change-trigger-time` annotation so that latency SLIs can measure
 * from the change that caused an endpoints update: the earliest of the trigger times (a pod's
 * Ready transition, the Service's creation) that changed since the Service's previous sync, or
 * the Service's creation on its first sync.
 */
import { keyOf } from '../../api/meta.ts';
import { parseTime } from '../../api/time.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { Service } from '../../api/kinds/service-types.ts';

export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION =
  'endpoints.kubernetes.io/last-change-trigger-time';

interface ServiceState {
  readonly podTriggerTimes: ReadonlyMap<string, number>;
  readonly serviceTriggerTime: number | undefined;
}

export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceState>();

  /**
   * ComputeEndpointLastChangeTriggerTime: the time to export (Unix microseconds), or undefined
   * when the annotation should be cleared. Records the sync's state for the next one.
   */
  compute(service: Service, pods: readonly Pod[]): number | undefined {
    const key = keyOf(service);
    const state = this.states.get(key);
    let minChanged: number | undefined;
    const podTriggerTimes = new Map<string, number>();
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (t === undefined) continue;
      const name = pod.metadata.name ?? '';
      podTriggerTimes.set(name, t);
      const last = state?.podTriggerTimes.get(name);
      if (last === undefined || t > last) minChanged = earliest(minChanged, t);
    }
    const serviceTime = serviceTriggerTime(service);
    if (
      serviceTime !== undefined &&
      (state?.serviceTriggerTime === undefined || serviceTime > state.serviceTriggerTime)
    ) {
      minChanged = earliest(minChanged, serviceTime);
    }
    this.states.set(key, { podTriggerTimes, serviceTriggerTime: serviceTime });
    // A Service seen for the first time: its creation.
    return state === undefined ? serviceTime : minChanged;
  }

  /** DeleteService, by the Service's key (`namespace/name`). */
  deleteService(key: string): void {
    this.states.delete(key);
  }
}

/** getPodTriggerTime: the last transition of the pod's Ready condition. */
function podTriggerTime(pod: Pod): number | undefined {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.lastTransitionTime === undefined ? undefined : parseTime(ready.lastTransitionTime);
}

/** getServiceTriggerTime: the Service's creation. */
function serviceTriggerTime(service: Service): number | undefined {
  const created = service.metadata.creationTimestamp;
  return created === undefined ? undefined : parseTime(created);
}

function earliest(current: number | undefined, t: number): number {
  return current === undefined || t < current ? t : current;
}
