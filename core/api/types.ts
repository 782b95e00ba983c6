/** The union of stored kinds, so switches over `kind` can end in assertNever. */
import type {
  SelfSubjectAccessReview,
  SelfSubjectRulesReview,
  SubjectAccessReview,
} from './access-review-types.ts';
import type { Binding, Event, Lease, Namespace } from './cluster-types.ts';
import type { ConfigMap } from './kinds/config-map.ts';
import type { Node } from './node-types.ts';
import type { Pod } from './pod-types.ts';
import type { PodDisruptionBudget } from './policy-types.ts';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from './rbac-types.ts';
import type { ReplicaSet } from './replica-set-types.ts';

export type KObject =
  | Pod
  | Node
  | ReplicaSet
  | Lease
  | Binding
  | Namespace
  | Event
  | PodDisruptionBudget
  | ConfigMap
  | Role
  | ClusterRole
  | RoleBinding
  | ClusterRoleBinding
  | SubjectAccessReview
  | SelfSubjectAccessReview
  | SelfSubjectRulesReview;
export type Kind = KObject['kind'];

/** Narrows the union by kind: `KindOf<'Pod'>` is `Pod`. */
export type KindOf<K extends Kind> = Extract<KObject, { kind: K }>;
