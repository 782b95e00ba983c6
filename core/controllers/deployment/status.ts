/**
 * A Deployment's status and conditions (pkg/controller/deployment/sync.go calculateStatus,
 * progress.go syncRolloutStatus, util/deployment_util.go: DeploymentComplete,
 * DeploymentProgressing, DeploymentTimedOut, SetDeploymentCondition). Pure: the controller
 * writes what these return.
 */
import type { Deployment } from '../../api/kinds/deployment.ts';
import type { ReplicaSet } from '../../api/replica-set-types.ts';
import { parseTime } from '../../api/time.ts';
import { canonicalJson } from '../common/canonical-json.ts';
import {
  actualReplicaSum,
  availableReplicaSum,
  maxUnavailable,
  readyReplicaSum,
  specReplicaSum,
  specReplicas,
} from './replica-math.ts';

type DeploymentStatus = NonNullable<Deployment['status']>;
export type DeploymentCondition = NonNullable<DeploymentStatus['conditions']>[number];

export const PROGRESSING = 'Progressing';
export const AVAILABLE = 'Available';
export const REPLICA_FAILURE = 'ReplicaFailure';

/** The reasons of util/deployment_util.go. */
export const REASON = {
  newRSAvailable: 'NewReplicaSetAvailable',
  rsUpdated: 'ReplicaSetUpdated',
  timedOut: 'ProgressDeadlineExceeded',
  foundNewRS: 'FoundNewReplicaSet',
  newRSCreated: 'NewReplicaSetCreated',
  failedRSCreate: 'ReplicaSetCreateError',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumAvailable: 'MinimumReplicasAvailable',
  minimumUnavailable: 'MinimumReplicasUnavailable',
} as const;

export function newCondition(
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  message: string,
  nowIso: string,
): DeploymentCondition {
  return { type, status, reason, message, lastUpdateTime: nowIso, lastTransitionTime: nowIso };
}

export function getDeploymentCondition(
  status: DeploymentStatus | undefined,
  type: string,
): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * SetDeploymentCondition: nothing changes when status and reason are the same (not even the
 * message); the transition time is kept while the status is.
 */
export function setDeploymentCondition(
  status: DeploymentStatus,
  cond: DeploymentCondition,
): DeploymentStatus {
  const current = getDeploymentCondition(status, cond.type);
  if (current !== undefined && current.status === cond.status && current.reason === cond.reason)
    return status;
  const next =
    current !== undefined && current.status === cond.status
      ? { ...cond, lastTransitionTime: current.lastTransitionTime }
      : cond;
  return { ...status, conditions: [...withoutCondition(status, cond.type), next] };
}

export function removeDeploymentCondition(
  status: DeploymentStatus,
  type: string,
): DeploymentStatus {
  if (getDeploymentCondition(status, type) === undefined) return status;
  return { ...status, conditions: withoutCondition(status, type) };
}

function withoutCondition(status: DeploymentStatus, type: string): DeploymentCondition[] {
  return (status.conditions ?? []).filter((c) => c.type !== type);
}

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec.progressDeadlineSeconds;
  return s !== undefined && s !== 2 ** 31 - 1;
}

/** calculateStatus: counts over the ReplicaSets and the Available condition. */
export function calculateStatus(
  d: Deployment,
  allRSs: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  nowIso: string,
): DeploymentStatus {
  const available = availableReplicaSum(allRSs);
  const total = specReplicaSum(allRSs);
  const collision = d.status?.collisionCount;
  let status: DeploymentStatus = {
    ...(d.metadata.generation === undefined ? {} : { observedGeneration: d.metadata.generation }),
    replicas: actualReplicaSum(allRSs),
    updatedReplicas: actualReplicaSum([newRS]),
    readyReplicas: readyReplicaSum(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    ...(collision === undefined ? {} : { collisionCount: collision }),
    ...(d.status?.conditions === undefined ? {} : { conditions: d.status.conditions }),
  };
  status =
    available >= specReplicas(d) - maxUnavailable(d)
      ? setDeploymentCondition(
          status,
          newCondition(
            AVAILABLE,
            'True',
            REASON.minimumAvailable,
            'Deployment has minimum availability.',
            nowIso,
          ),
        )
      : setDeploymentCondition(
          status,
          newCondition(
            AVAILABLE,
            'False',
            REASON.minimumUnavailable,
            'Deployment does not have minimum availability.',
            nowIso,
          ),
        );
  return status;
}

/** DeploymentComplete: every replica updated and available, and this generation observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const replicas = specReplicas(d);
  return (
    (s.updatedReplicas ?? 0) === replicas &&
    (s.replicas ?? 0) === replicas &&
    (s.availableReplicas ?? 0) === replicas &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** DeploymentProgressing: more updated, ready or available pods, or fewer old ones. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut: no progress recorded for progressDeadlineSeconds. */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowUs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getDeploymentCondition(s, PROGRESSING);
  if (cond === undefined || cond.reason === REASON.newRSAvailable) return false;
  if (cond.reason === REASON.timedOut) return true;
  const from = parseTime(cond.lastUpdateTime ?? '') ?? 0;
  return from + (d.spec.progressDeadlineSeconds ?? 0) * 1_000_000 < nowUs;
}

/**
 * syncRolloutStatus's status: the Progressing condition from the rollout's progress and the
 * ReplicaFailure condition copied from the ReplicaSets.
 */
export function rolloutStatus(
  d: Deployment,
  allRSs: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  nowUs: number,
  nowIso: string,
): DeploymentStatus {
  let s = calculateStatus(d, allRSs, newRS, nowIso);
  if (!hasProgressDeadline(d)) s = removeDeploymentCondition(s, PROGRESSING);
  const current = getDeploymentCondition(s, PROGRESSING);
  const complete = s.replicas === s.updatedReplicas && current?.reason === REASON.newRSAvailable;
  const rsName = newRS?.metadata.name ?? '';
  if (hasProgressDeadline(d) && !complete) {
    if (deploymentComplete(d, s)) {
      s = setDeploymentCondition(
        s,
        newCondition(
          PROGRESSING,
          'True',
          REASON.newRSAvailable,
          `ReplicaSet "${rsName}" has successfully progressed.`,
          nowIso,
        ),
      );
    } else if (deploymentProgressing(d, s)) {
      // Progress moves the deadline: lastUpdateTime is now, the transition time is kept.
      const cond = newCondition(
        PROGRESSING,
        'True',
        REASON.rsUpdated,
        `ReplicaSet "${rsName}" is progressing.`,
        nowIso,
      );
      const kept =
        current?.status === 'True'
          ? { ...cond, lastTransitionTime: current.lastTransitionTime ?? nowIso }
          : cond;
      s = setDeploymentCondition(removeDeploymentCondition(s, PROGRESSING), kept);
    } else if (deploymentTimedOut(d, s, nowUs)) {
      s = setDeploymentCondition(
        s,
        newCondition(
          PROGRESSING,
          'False',
          REASON.timedOut,
          `ReplicaSet "${rsName}" has timed out progressing.`,
          nowIso,
        ),
      );
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  s =
    failure === undefined
      ? removeDeploymentCondition(s, REPLICA_FAILURE)
      : setDeploymentCondition(s, failure);
  return s;
}

/** getReplicaFailures: the new RS's ReplicaFailure condition, else the first old RS's. */
function replicaFailure(
  allRSs: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
): DeploymentCondition | undefined {
  const ordered = newRS === undefined ? allRSs : [newRS, ...allRSs.filter((r) => r !== newRS)];
  for (const rs of ordered) {
    const c = rs.status?.conditions?.find((x) => x.type === REPLICA_FAILURE);
    if (c === undefined) continue;
    const t = c.lastTransitionTime ?? '';
    return {
      type: REPLICA_FAILURE,
      status: c.status,
      ...(c.reason === undefined ? {} : { reason: c.reason }),
      ...(c.message === undefined ? {} : { message: c.message }),
      lastUpdateTime: t,
      lastTransitionTime: t,
    };
  }
  return undefined;
}

/**
 * requeueStuckDeployment: when the rollout can still time out, how long until it would (0: now),
 * or undefined when nothing is pending.
 */
export function progressCheckDelayUs(
  d: Deployment,
  s: DeploymentStatus,
  nowUs: number,
): number | undefined {
  const cond = getDeploymentCondition(s, PROGRESSING);
  if (!hasProgressDeadline(d) || cond === undefined) return undefined;
  if (deploymentComplete(d, s) || cond.reason === REASON.timedOut) return undefined;
  const from = parseTime(cond.lastUpdateTime ?? '') ?? nowUs;
  const after = from + (d.spec.progressDeadlineSeconds ?? 0) * 1_000_000 - nowUs;
  return after < 1_000_000 ? 0 : after;
}

/** The status writer's equality: nothing to write. */
export function sameStatus(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b);
}
