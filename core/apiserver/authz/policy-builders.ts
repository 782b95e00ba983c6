/**
 * Builders for the bootstrap policy (pkg/apis/rbac/v1/helpers.go PolicyRuleBuilder and
 * ClusterRoleBindingBuilder): rules with their lists sorted, as upstream's RuleOrDie sorts them,
 * and the labels and annotation every bootstrap object carries.
 */
import type { ObjectMeta } from '../../api/meta-types.ts';
import {
  GROUP_KIND,
  RBAC_GROUP,
  SERVICE_ACCOUNT_KIND,
  USER_KIND,
  type ClusterRole,
  type ClusterRoleBinding,
  type PolicyRule,
  type Subject,
} from '../../api/rbac-types.ts';

export const READ = ['get', 'list', 'watch'];
export const READ_WRITE = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
];
export const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

export const LEGACY = '';
export const APPS = 'apps';
export const EXTENSIONS = 'extensions';
export const BATCH = 'batch';
export const POLICY = 'policy';
export const AUTOSCALING = 'autoscaling';
export const STORAGE = 'storage.k8s.io';
export const NETWORKING = 'networking.k8s.io';
export const COORDINATION = 'coordination.k8s.io';
export const DISCOVERY = 'discovery.k8s.io';
export const EVENTS = 'events.k8s.io';
export const AUTHENTICATION = 'authentication.k8s.io';
export const AUTHORIZATION = 'authorization.k8s.io';
export const CERTIFICATES = 'certificates.k8s.io';
export const NODE = 'node.k8s.io';

const sorted = (xs: readonly string[]): string[] => [...new Set(xs)].sort();

/** A resource rule: verbs on resources of groups, optionally only the named objects. */
export function rule(
  verbs: readonly string[],
  groups: readonly string[],
  resources: readonly string[],
  names: readonly string[] = [],
): PolicyRule {
  return {
    verbs: sorted(verbs),
    apiGroups: sorted(groups),
    resources: sorted(resources),
    ...(names.length > 0 ? { resourceNames: sorted(names) } : {}),
  };
}

/** A non-resource rule: verbs on URL paths. */
export function urls(verbs: readonly string[], paths: readonly string[]): PolicyRule {
  return { verbs: sorted(verbs), nonResourceURLs: sorted(paths) };
}

/** eventsRule: every component records events. */
export function eventsRule(): PolicyRule {
  return rule(['create', 'update', 'patch'], [LEGACY, EVENTS], ['events']);
}

/** The label and annotation of bootstrap objects; autoupdate lets reconciliation add to them. */
export function bootstrapMeta(name: string, labels: Record<string, string> = {}): ObjectMeta {
  return {
    name,
    labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels },
    annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
  };
}

export function clusterRole(
  name: string,
  rules: readonly PolicyRule[],
  labels: Record<string, string> = {},
): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: bootstrapMeta(name, labels),
    rules,
  };
}

/** A cluster role made of the cluster roles that carry `label: "true"`. */
export function aggregatedClusterRole(
  name: string,
  label: string,
  labels: Record<string, string> = {},
): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: bootstrapMeta(name, labels),
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [label]: 'true' } }] },
  };
}

export const user = (name: string): Subject => ({ apiGroup: RBAC_GROUP, kind: USER_KIND, name });
export const group = (name: string): Subject => ({ apiGroup: RBAC_GROUP, kind: GROUP_KIND, name });
export const serviceAccount = (namespace: string, name: string): Subject => ({
  kind: SERVICE_ACCOUNT_KIND,
  name,
  namespace,
});

/** A binding of the cluster role of the same name. */
export function clusterRoleBinding(name: string, subjects: readonly Subject[]): ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: bootstrapMeta(name),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name },
    ...(subjects.length > 0 ? { subjects } : {}),
  };
}
