import type { OwnerReference } from '../../api/meta-types.ts';

/**
 * reflect.DeepEqual of two label maps, as the pod and node update handlers compare them; cheaper
 * than serializing both on every update event (the hot path of a large rollout) and blind to key
 * order, as a Go map comparison is.
 */
export function sameLabels(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  if (a === b) return true;
  const aKeys = Object.keys(a ?? {});
  if (aKeys.length !== Object.keys(b ?? {}).length) return false;
  return aKeys.every((k) => b !== undefined && Object.hasOwn(b, k) && b[k] === a?.[k]);
}

/** reflect.DeepEqual of two controller references (either may be absent). */
export function sameControllerRef(
  a: OwnerReference | undefined,
  b: OwnerReference | undefined,
): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return (
    a.uid === b.uid &&
    a.name === b.name &&
    a.kind === b.kind &&
    a.apiVersion === b.apiVersion &&
    a.controller === b.controller &&
    a.blockOwnerDeletion === b.blockOwnerDeletion
  );
}
