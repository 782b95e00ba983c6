import { getPodCondition, readyConditionAvailable } from '../../api/pod-helpers.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { ReplicaSetCondition, ReplicaSetStatus } from '../../api/replica-set-types.ts';
import { selectorFromSet, type LabelMatcher } from '../../api/selectors.ts';
import type { ReplicatedSpec } from './replicated-kind.ts';

export const REPLICA_FAILURE = 'ReplicaFailure';

/** The counts calculateStatus makes over a ReplicaSet's active pods. */
export interface PodStatusCounts {
  readonly replicas: number;
  readonly fullyLabeled: number;
  readonly ready: number;
  readonly available: number;
}

/**
 * calculateStatus (pkg/controller/replicaset/replica_set_utils.go): counts over the active
 * pods, and the ReplicaFailure condition set when creating or deleting failed, cleared when a
 * sync succeeds. observedGeneration is stamped by the writer, not here.
 */
export function calculateStatus(
  spec: ReplicatedSpec,
  status: ReplicaSetStatus | undefined,
  activePods: readonly Pod[],
  manageError: string | undefined,
  nowUs: number,
  nowIso: string,
): ReplicaSetStatus {
  return statusFromCounts(spec, status, countPods(spec, activePods, nowUs), manageError, nowIso);
}

/** calculateStatus's counting loop. */
export function countPods(
  spec: ReplicatedSpec,
  activePods: readonly Pod[],
  nowUs: number,
): PodStatusCounts {
  const templateLabels = templateLabelsMatcher(spec);
  const minReadySeconds = spec.minReadySeconds;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of activePods) {
    if (templateLabels.matches(pod.metadata.labels)) fullyLabeled++;
    // One look-up of the Ready condition serves both counts (IsPodReady, IsPodAvailable).
    const cond = getPodCondition(pod, 'Ready');
    if (cond?.status !== 'True') continue;
    ready++;
    if (readyConditionAvailable(cond, minReadySeconds, nowUs)) available++;
  }
  return { replicas: activePods.length, fullyLabeled, ready, available };
}

/** What "fully labeled" compares against: every label of the pod template. */
export function templateLabelsMatcher(spec: ReplicatedSpec): LabelMatcher {
  return selectorFromSet(spec.template?.metadata?.labels ?? {});
}

/** calculateStatus given the counts: the status fields and the ReplicaFailure condition. */
export function statusFromCounts(
  spec: ReplicatedSpec,
  status: ReplicaSetStatus | undefined,
  counts: PodStatusCounts,
  manageError: string | undefined,
  nowIso: string,
): ReplicaSetStatus {
  let conditions = status?.conditions ?? [];
  const failure = conditions.find((c) => c.type === REPLICA_FAILURE);
  if (manageError !== undefined && failure === undefined) {
    const diff = counts.replicas - spec.replicas;
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const cond: ReplicaSetCondition = {
      type: REPLICA_FAILURE,
      status: 'True',
      lastTransitionTime: nowIso,
      reason,
      message: manageError,
    };
    conditions = [...conditions, cond];
  } else if (manageError === undefined && failure !== undefined) {
    conditions = conditions.filter((c) => c.type !== REPLICA_FAILURE);
  }
  return {
    replicas: counts.replicas,
    fullyLabeledReplicas: counts.fullyLabeled,
    readyReplicas: counts.ready,
    availableReplicas: counts.available,
    ...(status?.observedGeneration === undefined
      ? {}
      : { observedGeneration: status.observedGeneration }),
    ...(conditions.length === 0 ? {} : { conditions }),
  };
}

/** updateReplicaSetStatus's early return: nothing to write. */
export function statusUnchanged(
  cur: ReplicaSetStatus | undefined,
  generation: number | undefined,
  next: ReplicaSetStatus,
): boolean {
  return (
    cur !== undefined &&
    cur.replicas === next.replicas &&
    (cur.fullyLabeledReplicas ?? 0) === next.fullyLabeledReplicas &&
    (cur.readyReplicas ?? 0) === next.readyReplicas &&
    (cur.availableReplicas ?? 0) === next.availableReplicas &&
    generation === cur.observedGeneration &&
    JSON.stringify(cur.conditions ?? []) === JSON.stringify(next.conditions ?? [])
  );
}
