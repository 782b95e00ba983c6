/**
 * Choosing among preemption candidates (pkg/scheduler/framework/preemption/preemption.go
 * pickOneNodeForPreemption): fewest PDB violations, then the lowest highest-priority victim,
 * then the smallest priority sum, then the fewest victims, then the latest start of the
 * highest-priority victims, then the first candidate.
 */
import type { PodInfo } from '../../framework/pod-info.ts';

export interface Candidate {
  readonly nodeName: string;
  /** Most important first. */
  readonly victims: readonly PodInfo[];
  readonly numPDBViolations: number;
}

/** util.GetPodStartTime: status.startTime, or now for pods that have not started. */
export type StartTimeOf = (pod: PodInfo) => number;

/** util.MoreImportantPod: higher priority, then earlier start. */
export function moreImportant(a: PodInfo, b: PodInfo, startTime: StartTimeOf): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  return startTime(a) < startTime(b);
}

/** util.GetEarliestPodStartTime among the highest-priority victims. */
function earliestStartOfHighest(victims: readonly PodInfo[], startTime: StartTimeOf): number {
  const first = victims[0];
  if (first === undefined) return Number.MIN_SAFE_INTEGER;
  let earliest = startTime(first);
  let maxPriority = first.priority;
  for (const v of victims) {
    if (v.priority === maxPriority) {
      const t = startTime(v);
      if (t < earliest) earliest = t;
    } else if (v.priority > maxPriority) {
      maxPriority = v.priority;
      earliest = startTime(v);
    }
  }
  return earliest;
}

const INT32_OFFSET = 2 ** 31;

export function pickOneNodeForPreemption(
  candidates: readonly Candidate[],
  startTime: StartTimeOf,
): Candidate | undefined {
  if (candidates.length === 0) return undefined;
  const scoreFuncs: ((c: Candidate) => number)[] = [
    (c) => -c.numPDBViolations,
    (c) => -(c.victims[0]?.priority ?? 0),
    // MaxInt32+1 makes every term non-negative, so more low-priority victims never look cheaper.
    (c) => -c.victims.reduce((sum, v) => sum + v.priority + INT32_OFFSET, 0),
    (c) => -c.victims.length,
    (c) => earliestStartOfHighest(c.victims, startTime),
  ];
  let all = [...candidates];
  for (const f of scoreFuncs) {
    let best = -Infinity;
    let selected: Candidate[] = [];
    for (const c of all) {
      const s = f(c);
      if (s > best) {
        best = s;
        selected = [c];
      } else if (s === best) selected.push(c);
    }
    if (selected.length === 1) return selected[0];
    all = selected;
  }
  return all[0];
}
