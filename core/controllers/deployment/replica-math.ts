/**
 * The counting rules of pkg/controller/deployment/util/deployment_util.go: how many pods a
 * rollout may add or take away, and the replica totals over a Deployment's ReplicaSets.
 */
import type { Deployment } from '../../api/kinds/deployment.ts';
import type { ReplicaSet } from '../../api/replica-set-types.ts';
import { intOrPercentValue, type IntOrString } from '../../api/int-or-string.ts';
import { MAX_REPLICAS_ANNOTATION } from './annotations.ts';

export function isRollingUpdate(d: Deployment): boolean {
  return d.spec.strategy?.type !== 'Recreate';
}

export function specReplicas(o: { readonly spec: { readonly replicas?: number } }): number {
  return o.spec.replicas ?? 1;
}

/**
 * intstr.GetScaledValueFromIntOrPercent: an integer as is, a percentage of `total` rounded up
 * (maxSurge) or down (maxUnavailable).
 */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const percent = intOrPercentValue(v);
  const exact = (percent * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * ResolveFenceposts: maxSurge rounds up, maxUnavailable down, and when both come to 0 one pod
 * may be unavailable, or a rollout could never start.
 */
export function resolveFenceposts(
  maxSurge: IntOrString | undefined,
  maxUnavailable: IntOrString | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true);
  const unavailable = scaledValue(maxUnavailable, desired, false);
  return { surge, unavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, specReplicas(d)).surge;
}

/** MaxUnavailable: never more than the replicas themselves, 0 for Recreate or no replicas. */
export function maxUnavailable(d: Deployment): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

/** GetReplicaCountForReplicaSets: the sum of spec.replicas. */
export function specReplicaSum(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs !== undefined) n += specReplicas(rs);
  return n;
}

/** GetActualReplicaCountForReplicaSets: the sum of status.replicas. */
export function actualReplicaSum(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) n += rs?.status?.replicas ?? 0;
  return n;
}

export function readyReplicaSum(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) n += rs?.status?.readyReplicas ?? 0;
  return n;
}

export function availableReplicaSum(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) n += rs?.status?.availableReplicas ?? 0;
  return n;
}

/**
 * NewRSNewReplicas: Recreate goes straight to the replicas; a rolling update adds what fits
 * under replicas + maxSurge, counting the pods every ReplicaSet is asked for.
 */
export function newRSNewReplicas(
  d: Deployment,
  allRSs: readonly ReplicaSet[],
  newRS: ReplicaSet,
): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d)) return replicas;
  const current = specReplicaSum(allRSs);
  const maxTotal = replicas + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, replicas - specReplicas(newRS));
  return specReplicas(newRS) + scaleUp;
}

/**
 * GetProportion: the share of `toAdd` (negative to remove) that falls to `rs` when a Deployment
 * is resized in the middle of a rollout, from the size the RS had when it was last annotated.
 */
export function proportion(d: Deployment, rs: ReplicaSet, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(d, rs);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** getReplicaSetFraction, with Go's RoundToInt32 (half away from zero). */
function replicaSetFraction(d: Deployment, rs: ReplicaSet): number {
  const replicas = specReplicas(d);
  if (replicas === 0) return -specReplicas(rs);
  const deploymentReplicas = replicas + maxSurge(d);
  const annotated = intAnnotation(rs, MAX_REPLICAS_ANNOTATION) ?? d.status?.replicas ?? 0;
  const size = (specReplicas(rs) * deploymentReplicas) / annotated;
  return roundHalfAway(size) - specReplicas(rs);
}

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}
