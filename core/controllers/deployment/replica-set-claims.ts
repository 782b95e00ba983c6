import type { Deployment } from '../../api/kinds/deployment.ts';
import { getControllerOf, isBeingDeleted } from '../../api/meta.ts';
import type { OwnerReference } from '../../api/meta-types.ts';
import type { ReplicaSet } from '../../api/replica-set-types.ts';
import type { LabelMatcher } from '../../api/selectors.ts';
import type { ApiClient } from '../../client/api-client.ts';
import { describeFailure } from '../common/api-errors.ts';

export interface ReplicaSetClaim {
  readonly claimed: ReplicaSet[];
  readonly error: string | undefined;
}

/**
 * getReplicaSetsForDeployment: ReplicaSetControllerRefManager.ClaimReplicaSets
 * (pkg/controller/controller_ref_manager.go) over the namespace's ReplicaSets: keep the ones
 * this Deployment controls that still match, release the ones that stopped matching, adopt
 * matching orphans after a live read of the Deployment (RecheckDeletionTimestamp). Ownership
 * edits are merge patches guarded by the ReplicaSet's resourceVersion, as the pod claims do.
 */
export async function claimReplicaSets(
  api: ApiClient,
  d: Deployment,
  matcher: LabelMatcher,
  controllerRef: OwnerReference,
  candidates: readonly ReplicaSet[],
): Promise<ReplicaSetClaim> {
  const claimed: ReplicaSet[] = [];
  let error: string | undefined;
  let canAdopt: Promise<string | undefined> | undefined;
  const uid = d.metadata.uid;
  const deleting = isBeingDeleted(d);
  for (const rs of candidates) {
    const ref = getControllerOf(rs);
    const matches = matcher.matches(rs.metadata.labels);
    if (ref !== undefined) {
      if (ref.uid !== uid) continue;
      if (matches) {
        claimed.push(rs);
        continue;
      }
      if (deleting) continue;
      const r = await setOwners(
        api,
        rs,
        (rs.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid),
      );
      if (!r.ok && r.status !== 404 && r.status !== 422)
        error ??= `release ${rs.metadata.name}: ${describeFailure(r)}`;
      continue;
    }
    if (deleting || !matches || isBeingDeleted(rs)) continue;
    canAdopt ??= recheckOwner(api, d);
    const refused = await canAdopt;
    if (refused !== undefined) {
      error ??= refused;
      continue;
    }
    const r = await setOwners(api, rs, [...(rs.metadata.ownerReferences ?? []), controllerRef]);
    if (r.ok) claimed.push(r.value);
    else if (r.status !== 404) error ??= `adopt ${rs.metadata.name}: ${describeFailure(r)}`;
  }
  return { claimed, error };
}

function setOwners(api: ApiClient, rs: ReplicaSet, ownerReferences: readonly OwnerReference[]) {
  return api.patch('ReplicaSet', rs.metadata.namespace, rs.metadata.name ?? '', {
    metadata: { resourceVersion: rs.metadata.resourceVersion, ownerReferences },
  });
}

async function recheckOwner(api: ApiClient, d: Deployment): Promise<string | undefined> {
  const fresh = await api.get('Deployment', d.metadata.namespace, d.metadata.name ?? '');
  if (!fresh.ok) return `recheck Deployment ${d.metadata.name}: ${describeFailure(fresh)}`;
  if (fresh.value.metadata.uid !== d.metadata.uid)
    return `original Deployment ${d.metadata.namespace}/${d.metadata.name} is gone`;
  if (isBeingDeleted(fresh.value))
    return `Deployment ${d.metadata.namespace}/${d.metadata.name} is being deleted`;
  return undefined;
}
