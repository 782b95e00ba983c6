/**
 * What the replicated apps kinds share: the autoscaling/v1 Scale view of their replicas
 * (upstream's ScaleREST of deployments and statefulsets) and the status checks their
 * ValidateXStatusUpdate functions make alike.
 */
import { child, fieldInvalid, type FieldError } from '../field-error.ts';
import type { LabelSelector } from '../meta-types.ts';
import { validateNonnegative } from '../workload-validation.ts';
import type { KObject } from '../types.ts';
import type { ScaleSubresource } from './definition.ts';

interface Replicated {
  readonly spec: { readonly replicas?: number; readonly selector: LabelSelector };
}

/**
 * The scale subresource of a kind with spec.replicas and spec.selector. A missing replicas
 * count reads as 1, as decoding into upstream's internal type defaults it.
 */
export function scaleSubresource<T extends KObject & Replicated>(
  statusReplicas: (obj: T) => number,
  withSpecReplicas: (obj: T, replicas: number) => T,
): ScaleSubresource<T> {
  return {
    kind: 'scale',
    name: 'scale',
    verbs: ['get', 'patch', 'update'],
    specReplicas: (obj) => obj.spec.replicas ?? 1,
    statusReplicas,
    selector: (obj) => obj.spec.selector,
    withSpecReplicas,
  };
}

/** ValidateNonnegativeField of each named status count. */
export function validateStatusCounts<S extends object>(
  status: S,
  fields: readonly (keyof S & string)[],
): FieldError[] {
  return fields.flatMap((f) =>
    validateNonnegative(status[f] as number | undefined, child('status', f)),
  );
}

/** apivalidation.IsDecremented: a count that was set went down or away. */
export function isDecremented(next: number | undefined, old: number | undefined): boolean {
  return old !== undefined && (next === undefined || next < old);
}

/** The "cannot be greater than status.replicas" bounds of a status. */
export function validateBoundedByReplicas(
  replicas: number,
  counts: readonly (readonly [string, number | undefined])[],
): FieldError[] {
  return counts
    .filter(([, v]) => (v ?? 0) > replicas)
    .map(([f, v]) => fieldInvalid(child('status', f), v, 'cannot be greater than status.replicas'));
}
