/**
 * rbac.authorization.k8s.io/v1 objects (staging/src/k8s.io/api/rbac/v1/types.go), from
 * kubernetes-types through Stored<T>; the aggregation rule's selectors are ksim's LabelSelector,
 * which the selector helpers read.
 */
import type {
  ClusterRole as UpstreamClusterRole,
  ClusterRoleBinding as UpstreamClusterRoleBinding,
  PolicyRule as UpstreamPolicyRule,
  Role as UpstreamRole,
  RoleBinding as UpstreamRoleBinding,
  RoleRef as UpstreamRoleRef,
  Subject as UpstreamSubject,
} from 'kubernetes-types/rbac/v1.d.ts';
import type { LabelSelector } from './meta-types.ts';
import type { DeepReadonly, Stored } from './stored.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

export type PolicyRule = DeepReadonly<UpstreamPolicyRule>;
export type Subject = DeepReadonly<UpstreamSubject>;
export type RoleRef = DeepReadonly<UpstreamRoleRef>;

export interface AggregationRule {
  readonly clusterRoleSelectors?: readonly LabelSelector[];
}

export type Role = Stored<UpstreamRole>;
export type ClusterRole = Stored<UpstreamClusterRole, { aggregationRule?: AggregationRule }>;
export type RoleBinding = Stored<UpstreamRoleBinding>;
export type ClusterRoleBinding = Stored<UpstreamClusterRoleBinding>;

/** Subject kinds (rbacv1.UserKind, GroupKind, ServiceAccountKind). */
export const USER_KIND = 'User';
export const GROUP_KIND = 'Group';
export const SERVICE_ACCOUNT_KIND = 'ServiceAccount';

/** The wildcard of verbs, groups, resources and non-resource URLs (rbacv1.VerbAll, ...). */
export const ALL = '*';
