/** Validation of the access reviews (pkg/apis/authorization/validation/validation.go). */
import { fieldInvalid, type FieldError } from './field-error.ts';
import type { AccessReviewSpec } from './access-review-types.ts';
import type { ObjectMeta } from './meta-types.ts';

/** ValidateSubjectAccessReviewSpec / ValidateSelfSubjectAccessReviewSpec. */
export function validateAccessReviewSpec(
  spec: AccessReviewSpec | undefined,
  self: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  const resource = spec?.resourceAttributes;
  const nonResource = spec?.nonResourceAttributes;
  if (resource !== undefined && nonResource !== undefined) {
    errs.push(
      fieldInvalid(
        'spec.nonResourceAttributes',
        nonResource,
        'cannot be specified in combination with resourceAttributes',
      ),
    );
  }
  if (resource === undefined && nonResource === undefined) {
    errs.push(
      fieldInvalid(
        'spec.resourceAttributes',
        nonResource,
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      ),
    );
  }
  if (!self && !spec?.user && (spec?.groups ?? []).length === 0) {
    errs.push(
      fieldInvalid(
        'spec.user',
        spec?.user ?? '',
        'at least one of user or group must be specified',
      ),
    );
  }
  return errs;
}

/** A review has no identity: its metadata must be empty (managedFields aside). */
export function validateReviewMeta(meta: ObjectMeta): FieldError[] {
  const rest = Object.entries(meta).filter(([k, v]) => k !== 'managedFields' && v !== undefined);
  return rest.length === 0 ? [] : [fieldInvalid('metadata', meta, 'must be empty')];
}
