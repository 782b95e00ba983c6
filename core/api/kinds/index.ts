/**
 * Every built-in kind ksim serves, and the lookups over them. To add a kind, write its
 * definition file and list it here: the registry, the API server, the client paths and the
 * discovery table all follow. Custom resources are served by each API server's own catalog
 * (catalog.ts), which starts from these.
 */
import { assert } from '../../util/assert.ts';
import { fieldInvalid, type FieldError } from '../field-error.ts';
import { IMMUTABLE_ERROR } from '../meta-validation.ts';
import type { Kind, KindOf, KObject } from '../types.ts';
import { BINDING } from './binding.ts';
import { CLUSTER_ROLE } from './cluster-role.ts';
import { CLUSTER_ROLE_BINDING } from './cluster-role-binding.ts';
import { CONFIG_MAP } from './config-map.ts';
import type { ResourceDefinition } from './definition.ts';
import { DefinitionCatalog } from './catalog.ts';
import { ENDPOINTS } from './endpoints.ts';
import { EVENT } from './event.ts';
import { INGRESS } from './ingress.ts';
import { INGRESS_CLASS } from './ingress-class.ts';
import { LIMIT_RANGE } from './limit-range.ts';
import { PERSISTENT_VOLUME } from './persistent-volume.ts';
import { PERSISTENT_VOLUME_CLAIM } from './persistent-volume-claim.ts';
import { POD_TEMPLATE } from './pod-template.ts';
import { REPLICATION_CONTROLLER } from './replication-controller.ts';
import { RESOURCE_QUOTA } from './resource-quota.ts';
import { LEASE } from './lease.ts';
import { NAMESPACE } from './namespace.ts';
import { NETWORK_POLICY } from './network-policy.ts';
import { NODE } from './node.ts';
import { POD } from './pod.ts';
import { POD_DISRUPTION_BUDGET } from './pod-disruption-budget.ts';
import { PRIORITY_CLASS } from './priority-class.ts';
import { REPLICA_SET } from './replica-set.ts';
import { STORAGE_CLASS } from './storage-class.ts';
import { SECRET } from './secret.ts';
import { SERVICE } from './service.ts';
import { SERVICE_ACCOUNT } from './service-account.ts';
import { CONTROLLER_REVISION } from './controller-revision.ts';
import { DAEMON_SET } from './daemon-set.ts';
import { DEPLOYMENT } from './deployment.ts';
import { STATEFUL_SET } from './stateful-set.ts';
import { JOB } from './job.ts';
import { CRON_JOB } from './cron-job.ts';
import { EVENTS_V1_EVENT } from './events-v1-event.ts';
import { ENDPOINT_SLICE } from './endpoint-slice.ts';
import { HORIZONTAL_POD_AUTOSCALER } from './horizontal-pod-autoscaler.ts';
import { SELF_SUBJECT_ACCESS_REVIEW } from './self-subject-access-review.ts';
import { SELF_SUBJECT_RULES_REVIEW } from './self-subject-rules-review.ts';
import { SUBJECT_ACCESS_REVIEW } from './subject-access-review.ts';
import { ROLE } from './role.ts';
import { ROLE_BINDING } from './role-binding.ts';
import { CUSTOM_RESOURCE_DEFINITION } from './custom-resource-definition.ts';
import { CERTIFICATE_SIGNING_REQUEST } from './certificate-signing-request.ts';

export type * from './definition.ts';
export { subresourceKind } from './definition.ts';
export { DefinitionCatalog } from './catalog.ts';
export { configuredRange } from './common.ts';
export { humanDuration } from './duration.ts';
export { podBinding } from './pod-binding.ts';

/** Every served resource, in any order: DEFINITIONS sorts them. */
const SERVED: readonly ResourceDefinition[] = [
  BINDING,
  CONFIG_MAP,
  ENDPOINTS,
  EVENT,
  LIMIT_RANGE,
  NAMESPACE,
  NODE,
  PERSISTENT_VOLUME_CLAIM,
  PERSISTENT_VOLUME,
  POD,
  POD_TEMPLATE,
  REPLICATION_CONTROLLER,
  RESOURCE_QUOTA,
  SECRET,
  SERVICE_ACCOUNT,
  SERVICE,
  REPLICA_SET,
  SELF_SUBJECT_ACCESS_REVIEW,
  SELF_SUBJECT_RULES_REVIEW,
  SUBJECT_ACCESS_REVIEW,
  LEASE,
  INGRESS_CLASS,
  INGRESS,
  NETWORK_POLICY,
  POD_DISRUPTION_BUDGET,
  PRIORITY_CLASS,
  STORAGE_CLASS,
  // apps, autoscaling, batch, discovery.k8s.io, events.k8s.io, networking.k8s.io,
  // scheduling.k8s.io, storage.k8s.io
  CONTROLLER_REVISION,
  DAEMON_SET,
  DEPLOYMENT,
  STATEFUL_SET,
  JOB,
  CRON_JOB,
  EVENTS_V1_EVENT,
  ENDPOINT_SLICE,
  HORIZONTAL_POD_AUTOSCALER,
  CLUSTER_ROLE_BINDING,
  CLUSTER_ROLE,
  ROLE_BINDING,
  ROLE,
  CUSTOM_RESOURCE_DEFINITION,
  CERTIFICATE_SIGNING_REQUEST,
];

/** The built-in kinds: what every API server serves before any custom resource. */
export const BUILTIN_CATALOG = new DefinitionCatalog(SERVED);

/** The built-in definitions, sorted by group then resource (discovery's order). */
export const DEFINITIONS: readonly ResourceDefinition[] = BUILTIN_CATALOG.all;

/** The built-in definition serving `kind` at `apiVersion`: the kind's own, or another version. */
export function definitionForVersion(
  apiVersion: string,
  kind: string,
): ResourceDefinition | undefined {
  return BUILTIN_CATALOG.forVersion(apiVersion, kind);
}

export function definitionFor(kind: string): ResourceDefinition | undefined {
  return BUILTIN_CATALOG.forKind(kind);
}

/** For kinds the caller knows are served; crashes on anything else. */
export function mustDefinitionFor<K extends Kind>(kind: K): ResourceDefinition<KindOf<K>> {
  const d = BUILTIN_CATALOG.forKind(kind);
  assert(d !== undefined, `no resource serves kind ${JSON.stringify(kind)}`);
  return d as unknown as ResourceDefinition<KindOf<K>>;
}

/** The built-in resource a URL names: "apps/v1" and "replicasets". */
export function definitionForPath(
  apiVersion: string,
  resource: string,
): ResourceDefinition | undefined {
  return BUILTIN_CATALOG.forPath(apiVersion, resource);
}

/** Defaulting of any kind, as the API server applies it to a decoded body. */
export function defaultObject(obj: KObject): KObject {
  return mustDefinitionFor(obj.kind).defaults(obj as never);
}

/** Create validation of any kind. */
export function validateObject(obj: KObject): FieldError[] {
  return mustDefinitionFor(obj.kind).validate(obj as never);
}

/** Update validation of the main resource of any kind. */
export function validateObjectUpdate(next: KObject, old: KObject): FieldError[] {
  if (next.kind !== old.kind) {
    return [fieldInvalid('kind', next.kind, IMMUTABLE_ERROR)];
  }
  return mustDefinitionFor(next.kind).update.validateUpdate(next as never, old as never);
}
