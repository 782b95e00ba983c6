/** ClusterRoleBindings (pkg/apis/rbac/validation ValidateClusterRoleBinding(Update)). */
import type { FieldError } from '../field-error.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../meta-validation.ts';
import type { ClusterRoleBinding } from '../rbac-types.ts';
import { rbacName, validateRoleRef, validateSubjects } from '../rbac-validation.ts';
import { BINDING_TABLE } from './binding-columns.ts';
import { defineResource } from './common.ts';
import { defaultBinding, validateRoleRefUpdate } from './role-binding.ts';

export function validateClusterRoleBinding(b: ClusterRoleBinding): FieldError[] {
  return [
    ...validateObjectMeta(b.metadata, false, rbacName),
    ...validateRoleRef(b.roleRef, ['ClusterRole']),
    ...validateSubjects(b.subjects, false),
  ];
}

export const CLUSTER_ROLE_BINDING = defineResource<ClusterRoleBinding>({
  discovery: {
    kind: 'ClusterRoleBinding',
    group: 'rbac.authorization.k8s.io',
    resource: 'clusterrolebindings',
    namespaced: false,
  },
  defaults: defaultBinding,
  validate: validateClusterRoleBinding,
  update: {
    prepareForUpdate: (next) => next,
    validateUpdate: (next, old) => [
      ...validateObjectMetaUpdate(next.metadata, old.metadata),
      ...validateClusterRoleBinding(next),
      ...validateRoleRefUpdate(next, old),
    ],
  },
  table: BINDING_TABLE,
});
