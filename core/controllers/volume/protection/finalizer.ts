import type { ObjectMeta } from '../../../api/meta-types.ts';

/** The object's metadata with `finalizer` added (if missing) or removed. */
export function withFinalizer(meta: ObjectMeta, finalizer: string, present: boolean): ObjectMeta {
  const others = (meta.finalizers ?? []).filter((f) => f !== finalizer);
  return { ...meta, finalizers: present ? [...others, finalizer] : others };
}

export function hasFinalizer(meta: ObjectMeta, finalizer: string): boolean {
  return (meta.finalizers ?? []).includes(finalizer);
}
