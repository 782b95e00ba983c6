/**
 * Pod failure backoff of a Job (pkg/controller/job/backoff_utils.go): after a pod fails, new
 * pods wait 10 s, doubling with each further failure since the last success, capped at 6 min
 * (DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff as kube-controller-manager has long
 * shipped them).
 */
export const POD_FAILURE_BACKOFF_US = 10_000_000;
export const MAX_POD_FAILURE_BACKOFF_US = 360_000_000;

export interface BackoffRecord {
  readonly failuresAfterLastSuccess: number;
  readonly lastFailureUs: number | undefined;
}

export const NO_BACKOFF: BackoffRecord = { failuresAfterLastSuccess: 0, lastFailureUs: undefined };

/** The record after `succeeded` and `failed` newly finished pods (failures last at `nowUs`). */
export function nextBackoff(
  prev: BackoffRecord,
  succeeded: number,
  failed: number,
  nowUs: number,
): BackoffRecord {
  if (succeeded > 0 && failed === 0) return NO_BACKOFF;
  if (failed === 0) return prev;
  const base = succeeded > 0 ? 0 : prev.failuresAfterLastSuccess;
  return { failuresAfterLastSuccess: base + failed, lastFailureUs: nowUs };
}

/** ActualWait: how long new pods must still wait, 0 when they may start now. */
export function remainingBackoffUs(record: BackoffRecord, nowUs: number): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureUs === undefined) return 0;
  let delay = POD_FAILURE_BACKOFF_US;
  for (let i = 1; i < record.failuresAfterLastSuccess && delay < MAX_POD_FAILURE_BACKOFF_US; i++)
    delay *= 2;
  delay = Math.min(delay, MAX_POD_FAILURE_BACKOFF_US);
  return Math.max(0, record.lastFailureUs + delay - nowUs);
}
