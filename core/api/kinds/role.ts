/** Roles (pkg/apis/rbac/validation ValidateRole; pkg/registry/rbac/role/strategy.go). */
import { validateObjectMeta } from '../meta-validation.ts';
import type { Role } from '../rbac-types.ts';
import { rbacName, validateRules } from '../rbac-validation.ts';
import { defineResource } from './common.ts';

export function validateRole(role: Role): ReturnType<typeof validateRules> {
  return [...validateObjectMeta(role.metadata, true, rbacName), ...validateRules(role.rules, true)];
}

export const ROLE = defineResource<Role>({
  discovery: {
    kind: 'Role',
    group: 'rbac.authorization.k8s.io',
    resource: 'roles',
    namespaced: true,
  },
  validate: validateRole,
});
