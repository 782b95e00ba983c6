/**
 * The annotations a Deployment and its ReplicaSets carry (pkg/controller/deployment/util/
 * deployment_util.go): the revision, the sizes a rolling update was planned for, and the
 * Deployment's own annotations copied to its ReplicaSets so a rollback can restore them.
 */
import type { Deployment } from '../../api/kinds/deployment.ts';
import type { ReplicaSet } from '../../api/replica-set-types.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/**
 * apps.DeprecatedRollbackTo: extensions/v1beta1's rollback subresource became this annotation;
 * the controller still honours it (rollback.go). The value is a revision, 0 for the previous one.
 */
export const ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** annotationsToSkip: annotations that belong to the object they are on, never copied. */
const SKIPPED = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  ROLLBACK_TO_ANNOTATION,
]);

/** maxRevHistoryLengthInChars (sync.go): the revision history annotation's length limit. */
const REVISION_HISTORY_LIMIT_CHARS = 2000;

type Annotations = Record<string, string>;

/** Revision: the RS's revision annotation as a number, 0 when absent or malformed. */
export function revisionOf(obj: { readonly metadata: { readonly annotations?: Annotations } }) {
  const v = obj.metadata.annotations?.[REVISION_ANNOTATION];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
}

export function maxRevision(rss: readonly ReplicaSet[]): number {
  let max = 0;
  for (const rs of rss) max = Math.max(max, revisionOf(rs));
  return max;
}

/** LastRevision: the second highest revision, the one `rollout undo` goes back to. */
export function lastRevision(rss: readonly ReplicaSet[]): number {
  let max = 0;
  let second = 0;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (v >= max) {
      second = max;
      max = v;
    } else if (v > second) second = v;
  }
  return second;
}

/**
 * SetNewReplicaSetAnnotations: copy the Deployment's annotations, raise the revision (recording
 * the old one in the revision history), and for a new RS the replica annotations. Returns the
 * annotations, or undefined when nothing changed.
 */
export function newReplicaSetAnnotations(
  d: Deployment,
  current: Readonly<Annotations> | undefined,
  newRevision: number,
  exists: boolean,
  replicaAnnotations: { desired: number; max: number },
): Annotations | undefined {
  const next: Annotations = { ...current };
  let changed = copyDeploymentAnnotations(d, next);
  const oldRevisionText = next[REVISION_ANNOTATION];
  const oldRevision =
    oldRevisionText !== undefined && /^\d+$/.test(oldRevisionText) ? Number(oldRevisionText) : 0;
  if (oldRevision < newRevision) {
    next[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (oldRevisionText !== undefined && oldRevisionText !== '') {
      next[REVISION_HISTORY_ANNOTATION] = appendHistory(
        next[REVISION_HISTORY_ANNOTATION],
        oldRevisionText,
      );
    }
  }
  if (!exists && setReplicasAnnotations(next, replicaAnnotations.desired, replicaAnnotations.max))
    changed = true;
  return changed ? next : undefined;
}

/** The revision history, oldest entries dropped to stay under the character limit. */
function appendHistory(history: string | undefined, revision: string): string {
  const entries = history === undefined || history === '' ? [] : history.split(',');
  entries.push(revision);
  while (entries.join(',').length > REVISION_HISTORY_LIMIT_CHARS && entries.length > 1)
    entries.shift();
  return entries.join(',');
}

/** copyDeploymentAnnotationsToReplicaSet: true when an annotation was added or changed. */
function copyDeploymentAnnotations(d: Deployment, target: Annotations): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SKIPPED.has(k) || target[k] === v) continue;
    target[k] = v;
    changed = true;
  }
  return changed;
}

/** SetReplicasAnnotations: true when either value changed. */
export function setReplicasAnnotations(target: Annotations, desired: number, max: number) {
  const d = String(desired);
  const m = String(max);
  const changed =
    target[DESIRED_REPLICAS_ANNOTATION] !== d || target[MAX_REPLICAS_ANNOTATION] !== m;
  target[DESIRED_REPLICAS_ANNOTATION] = d;
  target[MAX_REPLICAS_ANNOTATION] = m;
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number) {
  const a = rs.metadata.annotations ?? {};
  return (
    a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max)
  );
}

/**
 * SetDeploymentAnnotationsTo (rollback): the Deployment's annotations become the RS's, keeping
 * the ones that belong to the Deployment itself.
 */
export function annotationsForRollback(d: Deployment, rs: ReplicaSet): Annotations {
  const next: Annotations = {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {}))
    if (SKIPPED.has(k)) next[k] = v;
  for (const [k, v] of Object.entries(rs.metadata.annotations ?? {}))
    if (!SKIPPED.has(k)) next[k] = v;
  return next;
}

/** getRollbackTo: the requested revision, or undefined (absent or not a number: ignored). */
export function rollbackTo(d: Deployment): number | undefined {
  const v = d.metadata.annotations?.[ROLLBACK_TO_ANNOTATION];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}
