/**
 * Every kind ksim serves, and the lookups over them. To add a kind, write its definition file
 * and list it here: the registry, the API server, the client paths and the discovery table all
 * follow.
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
import { EVENT } from './event.ts';
import { LEASE } from './lease.ts';
import { NAMESPACE } from './namespace.ts';
import { NODE } from './node.ts';
import { POD } from './pod.ts';
import { POD_DISRUPTION_BUDGET } from './pod-disruption-budget.ts';
import { REPLICA_SET } from './replica-set.ts';
import { SELF_SUBJECT_ACCESS_REVIEW } from './self-subject-access-review.ts';
import { SELF_SUBJECT_RULES_REVIEW } from './self-subject-rules-review.ts';
import { SUBJECT_ACCESS_REVIEW } from './subject-access-review.ts';
import { ROLE } from './role.ts';
import { ROLE_BINDING } from './role-binding.ts';

export type * from './definition.ts';
export { humanDuration } from './duration.ts';
export { podBinding } from './pod-binding.ts';

/** Sorted by group then resource, the order discovery documents list them in. */
export const DEFINITIONS: readonly ResourceDefinition[] = [
  BINDING,
  CONFIG_MAP,
  EVENT,
  NAMESPACE,
  NODE,
  POD,
  REPLICA_SET,
  SELF_SUBJECT_ACCESS_REVIEW,
  SELF_SUBJECT_RULES_REVIEW,
  SUBJECT_ACCESS_REVIEW,
  LEASE,
  POD_DISRUPTION_BUDGET,
  CLUSTER_ROLE_BINDING,
  CLUSTER_ROLE,
  ROLE_BINDING,
  ROLE,
];

const byKind = new Map<string, ResourceDefinition>(DEFINITIONS.map((d) => [d.resource.kind, d]));
const byPath = new Map<string, ResourceDefinition>(
  DEFINITIONS.map((d) => [`${d.resource.apiVersion}|${d.resource.resource}`, d]),
);

export function definitionFor(kind: string): ResourceDefinition | undefined {
  return byKind.get(kind);
}

/** For kinds the caller knows are served; crashes on anything else. */
export function mustDefinitionFor<K extends Kind>(kind: K): ResourceDefinition<KindOf<K>> {
  const d = byKind.get(kind);
  assert(d !== undefined, `no resource serves kind ${JSON.stringify(kind)}`);
  return d as unknown as ResourceDefinition<KindOf<K>>;
}

/** The resource a URL names: "apps/v1" and "replicasets". */
export function definitionForPath(
  apiVersion: string,
  resource: string,
): ResourceDefinition | undefined {
  return byPath.get(`${apiVersion}|${resource}`);
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
