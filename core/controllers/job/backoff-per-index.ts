/**
 * backoffLimitPerIndex (KEP-3850; pkg/controller/job/indexed_job_utils.go and backoff_utils.go):
 * each index of an Indexed Job has its own failure count, carried from a failed pod to its
 * replacement in the index-failure-count annotations, its own limit and its own backoff. The
 * last failed pod of an index keeps its tracking finalizer until its replacement exists, so the
 * count can be copied from it.
 */
import type { Job } from '../../api/kinds/job.ts';
import type { Pod } from '../../api/pod-types.ts';
import { parseTime } from '../../api/time.ts';
import { MAX_POD_FAILURE_BACKOFF_US, POD_FAILURE_BACKOFF_US } from './backoff.ts';
import {
  annotationCount,
  completionIndex,
  INDEX_FAILURE_COUNT_ANNOTATION,
  INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  indexAbsoluteFailureCount,
} from './indexes.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';

export function hasBackoffLimitPerIndex(job: Job): boolean {
  return job.spec.completionMode === 'Indexed' && job.spec.backoffLimitPerIndex !== undefined;
}

/**
 * isIndexFailed, for a pod counted as failed: a FailIndex rule matched, or the index had
 * already failed backoffLimitPerIndex times before this pod (ignored failures not counted).
 */
export function isIndexFailed(job: Job, failedPod: Pod): boolean {
  const match = matchPodFailurePolicy(job.spec.podFailurePolicy, failedPod);
  if (match.action === 'FailIndex') return true;
  return (
    match.countFailed &&
    annotationCount(failedPod, INDEX_FAILURE_COUNT_ANNOTATION) >=
      (job.spec.backoffLimitPerIndex ?? 0)
  );
}

/**
 * getPodsWithDelayedDeletionPerIndex: per index that is neither succeeded, failed nor running,
 * its last failed pod (highest failure count, then latest finish).
 */
export function podsWithDelayedDeletion(
  job: Job,
  failedPods: readonly Pod[],
  settled: (index: number) => boolean,
): Map<number, Pod> {
  const completions = job.spec.completions ?? 0;
  const out = new Map<number, Pod>();
  for (const pod of failedPods) {
    const ix = completionIndex(pod);
    if (ix === undefined || ix >= completions || settled(ix)) continue;
    const last = out.get(ix);
    if (
      last === undefined ||
      (indexAbsoluteFailureCount(last) <= indexAbsoluteFailureCount(pod) &&
        finishedTimeUs(pod) >= finishedTimeUs(last))
    )
      out.set(ix, pod);
  }
  return out;
}

/** getNewIndexFailureCounts: the annotations a replacement of `replaced` starts with. */
export function indexFailureAnnotations(
  job: Job,
  replaced: Pod | undefined,
): Record<string, string> {
  let counted = 0;
  let ignored = 0;
  if (replaced !== undefined) {
    counted = annotationCount(replaced, INDEX_FAILURE_COUNT_ANNOTATION);
    ignored = annotationCount(replaced, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION);
    if (matchPodFailurePolicy(job.spec.podFailurePolicy, replaced).countFailed) counted++;
    else ignored++;
  }
  return {
    [INDEX_FAILURE_COUNT_ANNOTATION]: String(counted),
    ...(ignored > 0 ? { [INDEX_IGNORED_FAILURE_COUNT_ANNOTATION]: String(ignored) } : {}),
  };
}

/** getRemainingTimePerIndex: how long the index's replacement must still wait. */
export function remainingIndexBackoffUs(lastFailed: Pod | undefined, nowUs: number): number {
  if (lastFailed === undefined) return 0;
  const failures = indexAbsoluteFailureCount(lastFailed) + 1;
  let delay = POD_FAILURE_BACKOFF_US;
  for (let i = 1; i < failures && delay < MAX_POD_FAILURE_BACKOFF_US; i++) delay *= 2;
  delay = Math.min(delay, MAX_POD_FAILURE_BACKOFF_US);
  return Math.max(0, finishedTimeUs(lastFailed) + delay - nowUs);
}

/**
 * getFinishedTime: the last container's finish, else when Ready turned False, else the
 * deletion's start, else the pod's creation.
 */
export function finishedTimeUs(pod: Pod): number {
  const statuses = pod.status?.containerStatuses ?? [];
  let latest: number | undefined;
  for (const s of statuses) {
    const at = s.state?.terminated?.finishedAt;
    const us = at === undefined ? undefined : parseTime(at);
    if (us === undefined) {
      latest = undefined;
      break;
    }
    latest = latest === undefined ? us : Math.max(latest, us);
  }
  if (latest !== undefined) return latest;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const readyFalseAt =
    ready?.status === 'False' && ready.lastTransitionTime !== undefined
      ? parseTime(ready.lastTransitionTime)
      : undefined;
  if (readyFalseAt !== undefined) return readyFalseAt;
  const deletedAt =
    pod.metadata.deletionTimestamp === undefined
      ? undefined
      : parseTime(pod.metadata.deletionTimestamp);
  if (deletedAt !== undefined)
    return deletedAt - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1_000_000;
  return parseTime(pod.metadata.creationTimestamp ?? '') ?? 0;
}
