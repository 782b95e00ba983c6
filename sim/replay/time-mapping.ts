/**
 * When each task of a trace is created and deleted in virtual time. The trace's own times span
 * months, so a replay either compresses them or drops them for an arrival rate:
 *
 * - `time-scale` X: a task created s seconds after the trace's first creation is created
 *   s / X seconds after the replay's start, and deleted likewise at its own deletion_time. The
 *   cluster sees the trace's arrivals and departures, X times as fast.
 * - `rate` R: tasks arrive in creation order (file order when the file has no times), R per
 *   second, and are never deleted: the paper's method, which fills the cluster until it is full.
 */
import type { TracePod } from './alibaba-csv.ts';

export type TimeMapping =
  | { readonly kind: 'time-scale'; readonly factor: number }
  | { readonly kind: 'rate'; readonly perSecond: number };

/** A task's place in virtual time, microseconds from the start of the simulation. */
export interface TimedPod {
  readonly pod: TracePod;
  readonly createAtUs: number;
  /** Absent: never deleted. */
  readonly deleteAtUs?: number;
}

const US_PER_SECOND = 1_000_000;

/**
 * The tasks in the order they are created, each with its times; `startUs` is when the first
 * one is created (after the nodes have registered).
 */
export function mapTimes(
  pods: readonly TracePod[],
  mapping: TimeMapping,
  startUs: number,
): TimedPod[] {
  const ordered = creationOrder(pods);
  if (mapping.kind === 'rate') {
    return ordered.map((pod, i) => ({
      pod,
      createAtUs: startUs + Math.round((i * US_PER_SECOND) / mapping.perSecond),
    }));
  }
  const untimed = ordered.find((p) => p.creationS === undefined);
  if (untimed !== undefined) {
    throw new Error(
      `line ${untimed.line}: pod ${untimed.name} has no creation_time: replay this file with a rate instead of a time scale`,
    );
  }
  const first = ordered[0]?.creationS ?? 0;
  const at = (s: number): number =>
    startUs + Math.round(((s - first) * US_PER_SECOND) / mapping.factor);
  return ordered.map((pod) => ({
    pod,
    createAtUs: at(pod.creationS as number),
    ...(pod.deletionS === undefined ? {} : { deleteAtUs: at(pod.deletionS) }),
  }));
}

/** By creation_time; equal times (and files without times) keep the file's order. */
function creationOrder(pods: readonly TracePod[]): TracePod[] {
  return pods
    .map((pod, i) => ({ pod, i }))
    .sort((a, b) => (a.pod.creationS ?? 0) - (b.pod.creationS ?? 0) || a.i - b.i)
    .map((x) => x.pod);
}
