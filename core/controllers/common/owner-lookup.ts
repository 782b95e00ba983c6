import { objectKey, type HasMeta } from '../../api/meta.ts';
import type { LabelSelector, OwnerReference } from '../../api/meta-types.ts';
import { labelSelectorMatcher } from '../../api/selectors.ts';
import { CONTROLLER_INDEX, orphanIndexKey } from './pod-indexes.ts';

/** An owner kind's cache as these helpers read it: objects with a label selector. */
interface OwnerCache<T extends HasMeta & { readonly spec: { readonly selector?: LabelSelector } }> {
  get(key: string): T | undefined;
  list(): T[];
}

/**
 * resolveControllerRef, as every controller has it: the cached owner a controller reference
 * names, if it is of `kind` and still the same object (same UID).
 */
export function resolveControllerRef<T extends HasMeta>(
  cache: { get(key: string): T | undefined },
  kind: string,
  namespace: string | undefined,
  ref: OwnerReference,
): T | undefined {
  if (ref.kind !== kind) return undefined;
  const owner = cache.get(objectKey(namespace, ref.name));
  return owner !== undefined && owner.metadata.uid === ref.uid ? owner : undefined;
}

/**
 * The owners of the object's namespace whose selector matches its labels: who could adopt an
 * orphan (getPodReplicaSets, getPodStatefulSets, getDaemonSetsForPod, ...). An empty selector
 * would select everything and is never a match.
 */
export function ownersSelecting<
  T extends HasMeta & { readonly spec: { readonly selector?: LabelSelector } },
>(cache: OwnerCache<T>, obj: HasMeta): T[] {
  return cache.list().filter((owner) => {
    if (owner.metadata.namespace !== obj.metadata.namespace) return false;
    const m = labelSelectorMatcher(owner.spec.selector);
    return !m.empty && m.matches(obj.metadata.labels);
  });
}

/** The objects an owner controls and the orphans of its namespace, from the controller index. */
export function ownedOrOrphans<T>(
  cache: { byIndex(name: string, value: string): T[] },
  owner: HasMeta,
): T[] {
  const owned = cache.byIndex(CONTROLLER_INDEX, owner.metadata.uid ?? '');
  const orphans = cache.byIndex(CONTROLLER_INDEX, orphanIndexKey(owner.metadata.namespace ?? ''));
  // byIndex returns a fresh array: append to it rather than copy 10,000 owned pods again.
  for (const o of orphans) owned.push(o);
  return owned;
}
