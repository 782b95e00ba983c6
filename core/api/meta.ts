/** Object-identity and ownership helpers (apimachinery meta/v1 controller_ref.go and friends). */
import type { ObjectMeta, OwnerReference } from './meta-types.ts';

/** Anything with metadata: every stored kind. */
export interface HasMeta {
  readonly metadata: ObjectMeta;
}

/** Group/version/kind of an owner, as newControllerRef needs it. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** Recursively removes `readonly`, for code that builds an object by editing a deep copy. */
export type Mutable<T> = T extends (infer U)[]
  ? Mutable<U>[]
  : T extends readonly (infer U)[]
    ? Mutable<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Mutable<T[K]> }
      : T;

/** The cache key client-go uses: "ns/name", or "name" for cluster-scoped objects. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function keyOf(obj: HasMeta): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name ?? '');
}

/** Splits an objectKey back into namespace ("" for cluster-scoped) and name. */
export function splitObjectKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export function getControllerOf(obj: HasMeta): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** True when `owner` is `obj`'s controller, compared by UID as upstream IsControlledBy does. */
export function isControlledBy(obj: HasMeta, owner: HasMeta): boolean {
  const ref = getControllerOf(obj);
  return ref !== undefined && owner.metadata.uid !== undefined && ref.uid === owner.metadata.uid;
}

export function newControllerRef(owner: HasMeta, gvk: GroupVersionKind): OwnerReference {
  return {
    apiVersion: gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`,
    kind: gvk.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A deep, mutable copy (objects are plain JSON, so structuredClone is exact). */
export function deepCopy<T>(obj: T): Mutable<T> {
  return structuredClone(obj) as Mutable<T>;
}

export function isBeingDeleted(obj: HasMeta): boolean {
  return obj.metadata.deletionTimestamp !== undefined && obj.metadata.deletionTimestamp !== null;
}

/** metav1.FinalizerOrphanDependents: the garbage collector orphans the dependents first. */
export const FINALIZER_ORPHAN = 'orphan';
/** metav1.FinalizerDeleteDependents: the garbage collector deletes the blocking dependents first. */
export const FINALIZER_FOREGROUND = 'foregroundDeletion';
