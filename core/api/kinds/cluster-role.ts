/**
 * ClusterRoles (pkg/apis/rbac/validation ValidateClusterRole; pkg/registry/rbac/clusterrole).
 * An aggregated role's rules are written by the aggregation controller; the authorizer reads
 * them from the matched roles directly, so a new matching role takes effect at once.
 */
import { validateObjectMeta } from '../meta-validation.ts';
import type { ClusterRole } from '../rbac-types.ts';
import { rbacName, validateAggregationRule, validateRules } from '../rbac-validation.ts';
import { defineResource } from './common.ts';

export function validateClusterRole(role: ClusterRole): ReturnType<typeof validateRules> {
  return [
    ...validateObjectMeta(role.metadata, false, rbacName),
    ...validateRules(role.rules, false),
    ...validateAggregationRule(role.aggregationRule),
  ];
}

export const CLUSTER_ROLE = defineResource<ClusterRole>({
  discovery: {
    kind: 'ClusterRole',
    group: 'rbac.authorization.k8s.io',
    resource: 'clusterroles',
    namespaced: false,
  },
  validate: validateClusterRole,
});
