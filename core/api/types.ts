/** The union of stored kinds, so switches over `kind` can end in assertNever. */
import type {
  SelfSubjectAccessReview,
  SelfSubjectRulesReview,
  SubjectAccessReview,
} from './access-review-types.ts';
import type { Binding, Event, Lease, Namespace } from './cluster-types.ts';
import type { ConfigMap } from './kinds/config-map.ts';
import type { Ingress } from './kinds/ingress.ts';
import type { IngressClass } from './kinds/ingress-class.ts';
import type { NetworkPolicy } from './kinds/network-policy.ts';
import type { PriorityClass } from './kinds/priority-class.ts';
import type { StorageClass } from './kinds/storage-class.ts';
import type { Endpoints } from './kinds/endpoints.ts';
import type { LimitRange } from './kinds/limit-range.ts';
import type { PersistentVolume } from './kinds/persistent-volume.ts';
import type { PersistentVolumeClaim } from './kinds/persistent-volume-claim.ts';
import type { PodTemplate } from './kinds/pod-template.ts';
import type { ReplicationController } from './kinds/replication-controller.ts';
import type { ResourceQuota } from './kinds/resource-quota.ts';
import type { Secret } from './kinds/secret.ts';
import type { ServiceAccount } from './kinds/service-account.ts';
import type { Service } from './kinds/service-types.ts';
import type { Node } from './node-types.ts';
import type { Pod } from './pod-types.ts';
import type { PodDisruptionBudget } from './policy-types.ts';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from './rbac-types.ts';
import type { ReplicaSet } from './replica-set-types.ts';
import type { ControllerRevision } from './kinds/controller-revision.ts';
import type { DaemonSet } from './kinds/daemon-set.ts';
import type { Deployment } from './kinds/deployment.ts';
import type { StatefulSet } from './kinds/stateful-set.ts';
import type { Job } from './kinds/job.ts';
import type { CronJob } from './kinds/cron-job.ts';
import type { EndpointSlice } from './kinds/endpoint-slice.ts';
import type { HorizontalPodAutoscaler } from './kinds/horizontal-pod-autoscaler.ts';
import type { CustomResourceDefinition } from './kinds/custom-resource-definition.ts';
import type { CertificateSigningRequest } from './kinds/certificate-signing-request.ts';

export type KObject =
  | Pod
  | CertificateSigningRequest
  | Node
  | ReplicaSet
  | Lease
  | Binding
  | Namespace
  | Event
  | PodDisruptionBudget
  | ConfigMap
  | PriorityClass
  | StorageClass
  | NetworkPolicy
  | Ingress
  | IngressClass
  | Secret
  | Service
  | ServiceAccount
  | Endpoints
  | LimitRange
  | PersistentVolume
  | PersistentVolumeClaim
  | PodTemplate
  | ReplicationController
  | ResourceQuota
  // apps, batch, autoscaling, discovery, networking, scheduling and storage kinds
  | ControllerRevision
  | DaemonSet
  | Deployment
  | StatefulSet
  | Job
  | CronJob
  | EndpointSlice
  | HorizontalPodAutoscaler
  | Role
  | ClusterRole
  | RoleBinding
  | ClusterRoleBinding
  | SubjectAccessReview
  | SelfSubjectAccessReview
  | SelfSubjectRulesReview
  | CustomResourceDefinition;

export type Kind = KObject['kind'];

/** Narrows the union by kind: `KindOf<'Pod'>` is `Pod`. */
export type KindOf<K extends Kind> = Extract<KObject, { kind: K }>;
