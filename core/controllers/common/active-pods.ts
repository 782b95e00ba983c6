/**
 * Which pods count as replicas and which go first on scale-down: IsPodActive and
 * ActivePodsWithRanks.Less from pkg/controller/controller_utils.go, with the LogarithmicScaleDown
 * and PodDeletionCost features on (both GA upstream).
 */
import { getPodCondition, isPodReady, isPodTerminal } from '../../api/pod-helpers.ts';
import { isBeingDeleted } from '../../api/meta.ts';
import type { Pod } from '../../api/pod-types.ts';
import { parseTime } from '../../api/time.ts';

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** Not terminal and not being deleted: what a ReplicaSet counts toward its replicas. */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !isBeingDeleted(pod);
}

export interface RankedPod {
  readonly pod: Pod;
  /** How many active related pods share this pod's node ("doubled up" pods go first). */
  readonly rank: number;
}

const PHASE_ORDINAL: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Negative when `a` should be deleted before `b`. The order, from upstream:
 * unassigned < assigned; Pending < Unknown < Running; not ready < ready; lower deletion cost;
 * more related pods on the same node; ready for less time (log2 buckets); more restarts;
 * newer (log2 buckets); then UID so the order is total.
 */
export function compareForDeletion(a: RankedPod, b: RankedPod, nowUs: number): number {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa.spec.nodeName ?? '';
  const nb = pb.spec.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  const phaseA = PHASE_ORDINAL[pa.status?.phase ?? ''] ?? 0;
  const phaseB = PHASE_ORDINAL[pb.status?.phase ?? ''] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  const readyA = isPodReady(pa);
  const readyB = isPodReady(pb);
  if (readyA !== readyB) return readyA ? 1 : -1;
  const costA = deletionCost(pa);
  const costB = deletionCost(pb);
  if (costA !== costB) return costA - costB;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (readyA && readyB) {
    const c = compareTimes(readyTimeUs(pa), readyTimeUs(pb), nowUs, pa, pb);
    if (c !== 0) return c;
  }
  const restarts = compareRestarts(pa, pb);
  if (restarts !== 0) return restarts;
  return compareTimes(
    timeUs(pa.metadata.creationTimestamp),
    timeUs(pb.metadata.creationTimestamp),
    nowUs,
    pa,
    pb,
  );
}

/**
 * The `diff` pods to delete: all of them when every pod goes, else the first `diff` by
 * `compareForDeletion`, ranked against the related pods (getPodsToDelete).
 */
export function podsToDelete(
  filtered: readonly Pod[],
  related: readonly Pod[],
  diff: number,
  nowUs: number,
): Pod[] {
  if (diff >= filtered.length) return [...filtered];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const node = p.spec.nodeName ?? '';
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked: RankedPod[] = filtered.map((pod) => ({
    pod,
    rank: onNode.get(pod.spec.nodeName ?? '') ?? 0,
  }));
  ranked.sort((x, y) => compareForDeletion(x, y, nowUs));
  return ranked.slice(0, diff).map((r) => r.pod);
}

function deletionCost(pod: Pod): number {
  const v = pod.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

function timeUs(t: string | undefined): number | undefined {
  return t === undefined ? undefined : parseTime(t);
}

function readyTimeUs(pod: Pod): number | undefined {
  const c = getPodCondition(pod, 'Ready');
  return c?.status === 'True' ? timeUs(c.lastTransitionTime) : undefined;
}

/**
 * Newer first, compared by floor(log2(age in ns)) so pods of similar age are picked at random
 * (by UID) instead of always the youngest; a missing time sorts first (afterOrZero).
 */
function compareTimes(
  ta: number | undefined,
  tb: number | undefined,
  nowUs: number,
  pa: Pod,
  pb: Pod,
): number {
  if (ta === tb) return 0;
  if (ta === undefined || tb === undefined) return ta === undefined ? -1 : 1;
  const diff = log2Bucket(nowUs - ta) - log2Bucket(nowUs - tb);
  if (diff !== 0) return diff;
  const ua = pa.metadata.uid ?? '';
  const ub = pb.metadata.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** floor(log2(ageUs in nanoseconds)), exactly (bit length), -1 for a non-positive age. */
function log2Bucket(ageUs: number): number {
  if (ageUs <= 0) return -1;
  return (ageUs * 1000).toString(2).length - 1;
}

function compareRestarts(a: Pod, b: Pod): number {
  const ra = maxRestarts(a.status?.containerStatuses);
  const rb = maxRestarts(b.status?.containerStatuses);
  if (ra !== rb) return rb - ra;
  return (
    maxRestarts(b.status?.initContainerStatuses) - maxRestarts(a.status?.initContainerStatuses)
  );
}

function maxRestarts(statuses: readonly { readonly restartCount: number }[] | undefined): number {
  let m = 0;
  for (const s of statuses ?? []) m = Math.max(m, s.restartCount);
  return m;
}
