import { getControllerOf, isBeingDeleted } from '../../api/meta.ts';
import type { OwnerReference } from '../../api/meta-types.ts';
import type { LabelMatcher } from '../../api/selectors.ts';
import type { Kind, KindOf, KObject } from '../../api/types.ts';
import type { ApiClient } from '../../client/api-client.ts';
import { describeFailure } from './api-errors.ts';

export interface ClaimResult<T> {
  readonly claimed: T[];
  /** The first adopt/release failure; the caller requeues and tries again. */
  readonly error: string | undefined;
}

/**
 * BaseControllerRefManager.ClaimObject (pkg/controller/controller_ref_manager.go) over a list of
 * candidates of `kind`: keep the ones `owner` controls whose labels still match, release the
 * ones that stopped matching, adopt matching orphans of its namespace. Adoption re-reads the
 * owner first (RecheckDeletionTimestamp), so a deleted and re-created owner of the same name
 * cannot steal objects meant for its predecessor.
 *
 * Ownership edits are merge patches of the whole ownerReferences list, guarded by the object's
 * resourceVersion: our API server applies strategic-merge patches as JSON merge patches, which
 * replace lists, so without the guard a concurrent owner edit could be lost.
 */
export async function claimObjects<K extends Kind>(
  api: ApiClient,
  owner: KObject,
  kind: K,
  matcher: LabelMatcher,
  controllerRef: OwnerReference,
  candidates: readonly KindOf<K>[],
): Promise<ClaimResult<KindOf<K>>> {
  const claimed: KindOf<K>[] = [];
  let error: string | undefined;
  let canAdopt: Promise<string | undefined> | undefined;
  const uid = owner.metadata?.uid;
  const ownerDeleting = owner.metadata !== undefined && isBeingDeleted(owner as KindOf<Kind>);
  for (const obj of candidates) {
    const ref = getControllerOf(obj);
    const matches = matcher.matches(obj.metadata.labels);
    const name = obj.metadata.name ?? '';
    if (ref !== undefined) {
      if (ref.uid !== uid) continue;
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      const r = await setOwners(
        api,
        kind,
        obj,
        (obj.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid),
      );
      if (!r.ok && r.status !== 404 && r.status !== 422)
        error ??= `release ${kind} ${name}: ${describeFailure(r)}`;
      continue;
    }
    if (
      ownerDeleting ||
      !matches ||
      isBeingDeleted(obj) ||
      obj.metadata.namespace !== owner.metadata?.namespace
    )
      continue;
    canAdopt ??= recheckOwner(api, owner);
    const refused = await canAdopt;
    if (refused !== undefined) {
      error ??= refused;
      continue;
    }
    const r = await setOwners(api, kind, obj, [
      ...(obj.metadata.ownerReferences ?? []),
      controllerRef,
    ]);
    if (r.ok) claimed.push(r.value);
    else if (r.status !== 404) error ??= `adopt ${kind} ${name}: ${describeFailure(r)}`;
  }
  return { claimed, error };
}

function setOwners<K extends Kind>(
  api: ApiClient,
  kind: K,
  obj: KindOf<K>,
  ownerReferences: readonly OwnerReference[],
) {
  return api.patch(kind, obj.metadata.namespace, obj.metadata.name ?? '', {
    metadata: { resourceVersion: obj.metadata.resourceVersion, ownerReferences },
  });
}

/** RecheckDeletionTimestamp: a live read, since the cache may still hold a deleted owner. */
async function recheckOwner(api: ApiClient, owner: KObject): Promise<string | undefined> {
  const ns = owner.metadata?.namespace;
  const name = owner.metadata?.name ?? '';
  const fresh = await api.get(owner.kind, ns, name);
  if (!fresh.ok) return `recheck ${owner.kind} ${name}: ${describeFailure(fresh)}`;
  const meta = fresh.value.metadata;
  if (meta?.uid !== owner.metadata?.uid) {
    return `original ${owner.kind} ${ns}/${name} is gone: got uid ${meta?.uid}, wanted ${owner.metadata?.uid}`;
  }
  if (meta?.deletionTimestamp) return `${owner.kind} ${ns}/${name} is being deleted`;
  return undefined;
}
