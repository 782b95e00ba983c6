import { getControllerOf, isBeingDeleted } from '../../api/meta.ts';
import type { OwnerReference } from '../../api/meta-types.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { ReplicaSet } from '../../api/replica-set-types.ts';
import type { LabelMatcher } from '../../api/selectors.ts';
import type { ApiClient } from '../../client/api-client.ts';
import { describeFailure } from '../common/api-errors.ts';

export interface ClaimResult {
  readonly claimed: Pod[];
  /** The first adopt/release failure; the caller requeues and tries again. */
  readonly error: string | undefined;
}

/**
 * PodControllerRefManager.ClaimPods (pkg/controller/controller_ref_manager.go): keep the pods
 * this RS controls whose labels still match, release the ones that stopped matching, adopt
 * matching orphans. Adoption re-reads the RS first (RecheckDeletionTimestamp), so a deleted and
 * re-created RS of the same name cannot steal pods meant for its predecessor.
 *
 * Ownership edits are merge patches of the whole ownerReferences list, guarded by the pod's
 * resourceVersion: our API server applies strategic-merge patches as JSON merge patches, which
 * replace lists, so without the guard a concurrent owner edit could be lost.
 */
export async function claimPods(
  api: ApiClient,
  rs: ReplicaSet,
  matcher: LabelMatcher,
  controllerRef: OwnerReference,
  pods: readonly Pod[],
): Promise<ClaimResult> {
  const claimed: Pod[] = [];
  let error: string | undefined;
  let canAdopt: Promise<string | undefined> | undefined;
  const uid = rs.metadata.uid;
  const rsDeleting = isBeingDeleted(rs);
  for (const pod of pods) {
    const ref = getControllerOf(pod);
    const matches = matcher.matches(pod.metadata.labels);
    if (ref !== undefined) {
      if (ref.uid !== uid) continue;
      if (matches) {
        claimed.push(pod);
        continue;
      }
      if (rsDeleting) continue;
      const r = await setOwners(
        api,
        pod,
        (pod.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid),
      );
      if (!r.ok && r.status !== 404 && r.status !== 422)
        error ??= `release ${pod.metadata.name}: ${describeFailure(r)}`;
      continue;
    }
    if (
      rsDeleting ||
      !matches ||
      isBeingDeleted(pod) ||
      pod.metadata.namespace !== rs.metadata.namespace
    )
      continue;
    canAdopt ??= recheckOwner(api, rs);
    const refused = await canAdopt;
    if (refused !== undefined) {
      error ??= refused;
      continue;
    }
    const r = await setOwners(api, pod, [...(pod.metadata.ownerReferences ?? []), controllerRef]);
    if (r.ok) claimed.push(r.value);
    else if (r.status !== 404) error ??= `adopt ${pod.metadata.name}: ${describeFailure(r)}`;
  }
  return { claimed, error };
}

function setOwners(api: ApiClient, pod: Pod, ownerReferences: readonly OwnerReference[]) {
  return api.patch('Pod', pod.metadata.namespace, pod.metadata.name ?? '', {
    metadata: { resourceVersion: pod.metadata.resourceVersion, ownerReferences },
  });
}

/** RecheckDeletionTimestamp: a live read, since the cache may still hold a deleted RS. */
async function recheckOwner(api: ApiClient, rs: ReplicaSet): Promise<string | undefined> {
  const fresh = await api.get('ReplicaSet', rs.metadata.namespace, rs.metadata.name ?? '');
  if (!fresh.ok) return `recheck ReplicaSet ${rs.metadata.name}: ${describeFailure(fresh)}`;
  if (fresh.value.metadata.uid !== rs.metadata.uid) {
    return `original ReplicaSet ${rs.metadata.namespace}/${rs.metadata.name} is gone: got uid ${fresh.value.metadata.uid}, wanted ${rs.metadata.uid}`;
  }
  if (isBeingDeleted(fresh.value))
    return `ReplicaSet ${rs.metadata.namespace}/${rs.metadata.name} is being deleted`;
  return undefined;
}
