import type { Job } from '../../api/kinds/job.ts';
import type { Pod } from '../../api/pod-types.ts';

export type JobStatus = NonNullable<Job['status']>;
export type JobCondition = NonNullable<JobStatus['conditions']>[number];

/** IsJobFinished: a Complete or Failed condition that is True. */
export function isFinished(job: Job): boolean {
  return (
    job.status?.conditions?.some(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    ) === true
  );
}

/**
 * ensureJobConditionStatus: add the condition, or replace one of the same type whose status,
 * reason or message differ (keeping its transition time while the status is the same).
 */
export function setJobCondition(status: JobStatus, cond: JobCondition, nowIso: string): JobStatus {
  const list = status.conditions ?? [];
  const old = list.find((c) => c.type === cond.type);
  if (
    old !== undefined &&
    old.status === cond.status &&
    old.reason === cond.reason &&
    old.message === cond.message
  )
    return status;
  const next =
    old !== undefined && old.status === cond.status
      ? { ...cond, lastTransitionTime: old.lastTransitionTime ?? nowIso }
      : cond;
  return {
    ...status,
    conditions: old === undefined ? [...list, next] : list.map((c) => (c === old ? next : c)),
  };
}

/**
 * pastBackoffLimitOnFailure: with restartPolicy OnFailure the kubelet restarts failed
 * containers in place, so the restarts of the running and pending pods count toward
 * backoffLimit.
 */
export function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec.template.spec.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (phase !== 'Running' && phase !== 'Pending') continue;
    for (const s of pod.status?.initContainerStatuses ?? []) restarts += s.restartCount;
    for (const s of pod.status?.containerStatuses ?? []) restarts += s.restartCount;
  }
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}
