/**
 * RoleBindings (pkg/apis/rbac/validation ValidateRoleBinding(Update); defaults.go). The check
 * that a user may bind the role it names (escalation) is the API server's, not the kind's.
 */
import type { FieldError } from '../field-error.ts';
import { deepEqual, validateObjectMeta, validateObjectMetaUpdate } from '../meta-validation.ts';
import { fieldInvalid } from '../field-error.ts';
import type { RoleBinding } from '../rbac-types.ts';
import {
  defaultRoleRef,
  defaultSubjects,
  rbacName,
  validateRoleRef,
  validateSubjects,
} from '../rbac-validation.ts';
import { BINDING_TABLE } from './binding-columns.ts';
import { defineResource } from './common.ts';

export function validateRoleBinding(b: RoleBinding): FieldError[] {
  return [
    ...validateObjectMeta(b.metadata, true, rbacName),
    ...validateRoleRef(b.roleRef, ['Role', 'ClusterRole']),
    ...validateSubjects(b.subjects, true),
  ];
}

/** The defaults of a RoleBinding or ClusterRoleBinding: its roleRef's and subjects' API groups. */
export function defaultBinding<T extends Pick<RoleBinding, 'roleRef' | 'subjects'>>(b: T): T {
  const subjects = defaultSubjects(b.subjects);
  return { ...b, roleRef: defaultRoleRef(b.roleRef), ...(subjects ? { subjects } : {}) };
}

/** A binding's role never changes: delete and recreate it instead. */
export function validateRoleRefUpdate<T extends Pick<RoleBinding, 'roleRef'>>(
  next: T,
  old: T,
): FieldError[] {
  return deepEqual(next.roleRef, old.roleRef)
    ? []
    : [fieldInvalid('roleRef', next.roleRef, 'cannot change roleRef')];
}

export const ROLE_BINDING = defineResource<RoleBinding>({
  discovery: {
    kind: 'RoleBinding',
    group: 'rbac.authorization.k8s.io',
    resource: 'rolebindings',
    namespaced: true,
  },
  defaults: defaultBinding,
  validate: validateRoleBinding,
  update: {
    prepareForUpdate: (next) => next,
    validateUpdate: (next, old) => [
      ...validateObjectMetaUpdate(next.metadata, old.metadata),
      ...validateRoleBinding(next),
      ...validateRoleRefUpdate(next, old),
    ],
  },
  table: BINDING_TABLE,
});
