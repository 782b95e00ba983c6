import type { ControllerRevision } from '../../api/kinds/controller-revision.ts';
import type { StatefulSet } from '../../api/kinds/stateful-set.ts';
import type { Pod } from '../../api/pod-types.ts';
import {
  isCreated,
  isRunningAndAvailable,
  isRunningAndReady,
  isTerminating,
  podRevision,
} from './stateful-set-utils.ts';

export type StatefulSetStatus = NonNullable<StatefulSet['status']>;

/**
 * updateStatus/computeReplicaStatus (stateful_set_control.go): created pods count as replicas;
 * running and ready ones as ready (available after minReadySeconds); live ones by whether
 * their revision is the current or the update revision (a pod may be both).
 */
export function computeStatus(
  set: StatefulSet,
  pods: readonly Pod[],
  current: ControllerRevision,
  update: ControllerRevision,
  collisionCount: number,
  nowUs: number,
): StatefulSetStatus {
  const minReadySeconds = set.spec.minReadySeconds ?? 0;
  let replicas = 0;
  let readyReplicas = 0;
  let availableReplicas = 0;
  let currentReplicas = 0;
  let updatedReplicas = 0;
  for (const pod of pods) {
    if (isCreated(pod)) replicas++;
    if (isRunningAndReady(pod)) {
      readyReplicas++;
      if (isRunningAndAvailable(pod, minReadySeconds, nowUs)) availableReplicas++;
    }
    if (!isCreated(pod) || isTerminating(pod)) continue;
    const revision = podRevision(pod);
    if (revision === current.metadata.name) currentReplicas++;
    if (revision === update.metadata.name) updatedReplicas++;
  }
  return {
    ...set.status,
    ...(set.metadata.generation === undefined
      ? {}
      : { observedGeneration: set.metadata.generation }),
    replicas,
    readyReplicas,
    availableReplicas,
    currentReplicas,
    updatedReplicas,
    currentRevision: current.metadata.name ?? '',
    updateRevision: update.metadata.name ?? '',
    collisionCount,
  };
}

/**
 * completeRollingUpdate: once every pod is updated and ready, the update revision becomes the
 * current one.
 */
export function completeRollingUpdate(
  set: StatefulSet,
  status: StatefulSetStatus,
): StatefulSetStatus {
  if (
    set.spec.updateStrategy?.type === 'RollingUpdate' &&
    status.updatedReplicas === status.replicas &&
    status.readyReplicas === status.replicas
  ) {
    return {
      ...status,
      currentReplicas: status.updatedReplicas ?? 0,
      currentRevision: status.updateRevision ?? '',
    };
  }
  return status;
}

/** inconsistentStatus: whether the stored status differs from the computed one. */
export function statusChanged(set: StatefulSet, next: StatefulSetStatus): boolean {
  const cur = set.status;
  if (cur === undefined) return true;
  const fields = [
    'observedGeneration',
    'replicas',
    'readyReplicas',
    'availableReplicas',
    'currentReplicas',
    'updatedReplicas',
    'currentRevision',
    'updateRevision',
    'collisionCount',
  ] as const;
  return fields.some((f) => (cur[f] ?? 0) !== (next[f] ?? 0));
}
