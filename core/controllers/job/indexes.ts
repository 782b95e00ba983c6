/**
 * Completion indexes of Indexed Jobs (pkg/controller/job/indexed_job_utils.go): the index a pod
 * carries, and status.completedIndexes as intervals ("1,3-5,7").
 */
import type { Pod } from '../../api/pod-types.ts';

export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

/** getCompletionIndex: the pod's index, undefined when absent or malformed. */
export function completionIndex(pod: Pod): number | undefined {
  const v =
    pod.metadata.annotations?.[COMPLETION_INDEX_ANNOTATION] ??
    pod.metadata.labels?.[COMPLETION_INDEX_ANNOTATION];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** parseIndexesFromString: a sorted set of indexes below `completions`. */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  if (text === undefined || text === '') return out;
  for (const part of text.split(',')) {
    const [a, b] = part.split('-');
    const first = Number(a);
    const last = b === undefined ? first : Number(b);
    if (!Number.isInteger(first) || !Number.isInteger(last)) continue;
    for (let i = first; i <= last && i < completions; i++) out.add(i);
  }
  return out;
}

/** orderedIntervals.String: runs of three or more become `first-last`. */
export function formatIndexes(indexes: ReadonlySet<number>): string {
  const sorted = [...indexes].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    const first = sorted[i] as number;
    const last = sorted[j] as number;
    if (last === first) parts.push(String(first));
    else if (last === first + 1) parts.push(`${first},${last}`);
    else parts.push(`${first}-${last}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * firstPendingIndexes: the lowest `count` indexes below `completions` that are neither
 * completed nor held by an active pod.
 */
export function firstPendingIndexes(
  completed: ReadonlySet<number>,
  active: ReadonlySet<number>,
  count: number,
  completions: number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++)
    if (!completed.has(i) && !active.has(i)) out.push(i);
  return out;
}

/** batch.JobIndexFailureCountAnnotation: failures of the pod's index before this pod. */
export const INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';
/** batch.JobIndexIgnoredFailureCountAnnotation: failures an Ignore rule left uncounted. */
export const INDEX_IGNORED_FAILURE_COUNT_ANNOTATION =
  'batch.kubernetes.io/job-index-ignored-failure-count';

const INT32_MAX = 2147483647;

/** parseInt32 of an annotation: 0 when absent, unparsable, negative or beyond int32. */
export function annotationCount(pod: Pod, key: string): number {
  const v = pod.metadata.annotations?.[key];
  if (v === undefined || !/^\d+$/.test(v)) return 0;
  const n = Number(v);
  return n > INT32_MAX ? 0 : n;
}

/** getIndexAbsoluteFailureCount: counted and ignored failures of the pod's index. */
export function indexAbsoluteFailureCount(pod: Pod): number {
  return (
    annotationCount(pod, INDEX_FAILURE_COUNT_ANNOTATION) +
    annotationCount(pod, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION)
  );
}
