/**
 * RBAC's escalation check (pkg/registry/rbac: escalation_check.go, the policy-based storage of
 * roles, cluster roles and their bindings; validation/rule.go ConfirmNoEscalation): a user may
 * write a role only with rules they already hold, and bind a role only when they hold its rules,
 * unless they are in system:masters, may `escalate` roles or may `bind` that role. Upstream
 * makes the check in the storage of the four kinds, after mutating admission and before the
 * strategy's validation; the registry calls `checkWrite` at that point for every write.
 */
import * as errors from '../../api/errors.ts';
import type { ClusterRole, PolicyRule, Role, RoleBinding, RoleRef } from '../../api/rbac-types.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import type { AdmissionAttributes } from '../admission/attributes.ts';
import { deepEqual } from '../../api/meta-validation.ts';
import { isPrivileged, type UserInfo } from '../authn/user.ts';
import type { Attributes } from './attributes.ts';
import type { AuthorizationResult } from './authorizer.ts';
import { aggregate, type RbacAuthorizer } from './rbac-authorizer.ts';
import { compactRules, compactString, covers, goQuotedList } from './rbac-rules.ts';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** `*` on `*.*` and on every URL: what setting an aggregationRule requires. */
const FULL_AUTHORITY: readonly PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

export interface EscalationPorts {
  readonly rbac: RbacAuthorizer;
  /** The whole authorizer chain (the `escalate` and `bind` verbs are asked of all of it). */
  authorize(a: Attributes): AuthorizationResult | Promise<AuthorizationResult>;
}

/** Whether `a` is a write the check is about (cheap: every write of the server asks). */
export function isEscalationChecked(a: AdmissionAttributes): boolean {
  return (
    a.resource.group === RBAC_GROUP &&
    a.subresource === '' &&
    (a.operation === 'CREATE' || a.operation === 'UPDATE') &&
    // EscalationAllowed: system:masters, the API server's own loopback identity among them (its
    // bootstrap policy is written before the check could consult that policy).
    !isPrivileged(a.userInfo)
  );
}

/**
 * Whether `a`, a create or update of a role or binding with its object after mutating
 * admission, may be written: undefined, or the Status that refuses it.
 */
export async function checkEscalation(
  ports: EscalationPorts,
  a: AdmissionAttributes,
): Promise<Status | undefined> {
  if (!isEscalationChecked(a) || a.object === undefined) return undefined;
  if (a.operation === 'UPDATE' && onlyGarbageCollectorFields(a.object, a.oldObject)) {
    return undefined;
  }
  const resource = a.resource.resource;
  const name = a.object.metadata.name ?? a.name;
  switch (resource) {
    case 'roles':
    case 'clusterroles': {
      if (await roleEscalationAuthorized(ports, a)) return undefined;
      const role = a.object as Role | ClusterRole;
      const refused = await confirmNoEscalation(ports, a, resource, name, role.rules ?? []);
      if (refused !== undefined || resource === 'roles') return refused;
      const old = a.oldObject as ClusterRole | undefined;
      if (!hasAggregationRule(role as ClusterRole) && !hasAggregationRule(old)) return undefined;
      const full = await confirmNoEscalation(ports, a, resource, name, FULL_AUTHORITY);
      return full === undefined
        ? undefined
        : errors.forbidden(
            qualified(resource),
            name,
            'must have cluster-admin privileges to use the aggregationRule',
          );
    }
    case 'rolebindings':
    case 'clusterrolebindings': {
      const ref = (a.object as RoleBinding).roleRef;
      if (await bindingAuthorized(ports, a.userInfo, ref, a.namespace)) return undefined;
      const referenced = ports.rbac.roleReferenceRules(ref, a.namespace);
      if ('error' in referenced) {
        // The role's storage answers upstream's GetRoleReferenceRules: its NotFound.
        return errors.notFound(qualified(ref.kind === 'Role' ? 'roles' : 'clusterroles'), ref.name);
      }
      return confirmNoEscalation(ports, a, resource, name, referenced.rules);
    }
    default:
      return undefined;
  }
}

/** RoleEscalationAuthorized: the `escalate` verb on the role being written (by its URL name). */
function roleEscalationAuthorized(
  ports: EscalationPorts,
  a: AdmissionAttributes,
): Promise<boolean> {
  // A create's URL names no object.
  const name = a.operation === 'CREATE' ? '' : a.name;
  return allowed(ports, a.userInfo, 'escalate', a.namespace, RBAC_GROUP, a.resource.resource, name);
}

/** BindingAuthorized: the `bind` verb on the referenced role, in the binding's namespace. */
function bindingAuthorized(
  ports: EscalationPorts,
  user: UserInfo,
  ref: RoleRef,
  namespace: string,
): Promise<boolean> {
  if (ref.kind !== 'Role' && ref.kind !== 'ClusterRole') return Promise.resolve(false);
  const resource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
  return allowed(ports, user, 'bind', namespace, ref.apiGroup, resource, ref.name);
}

/** Whether the authorizer chain allows `verb` on the named resource object. */
async function allowed(
  ports: EscalationPorts,
  user: UserInfo,
  verb: string,
  namespace: string,
  apiGroup: string,
  resource: string,
  name: string,
): Promise<boolean> {
  const r = await ports.authorize({
    user,
    verb,
    resourceRequest: true,
    path: '',
    namespace,
    apiGroup,
    apiVersion: '*',
    resource,
    subresource: '',
    name,
    fieldSelector: [],
  });
  return r.decision === 'allow';
}

/** ConfirmNoEscalation against the rules RBAC grants the user in the request's namespace. */
async function confirmNoEscalation(
  ports: EscalationPorts,
  a: AdmissionAttributes,
  resource: string,
  name: string,
  rules: readonly PolicyRule[],
): Promise<Status | undefined> {
  const owner = ports.rbac.policyRulesFor(a.userInfo, a.namespace);
  const { covered, missing } = covers(owner.rules, rules);
  if (covered) return undefined;
  const described = [...new Set(compactRules(missing).map(compactString))].sort();
  let message =
    `user ${JSON.stringify(a.userInfo.name)} (groups=${goQuotedList(a.userInfo.groups)}) ` +
    `is attempting to grant RBAC permissions not currently held:\n${described.join('\n')}`;
  if (owner.errors.length > 0) {
    message += `; resolution errors: [${aggregate(owner.errors)}]`;
  }
  return errors.forbidden(qualified(resource), name, message);
}

function hasAggregationRule(role: ClusterRole | undefined): boolean {
  return (role?.aggregationRule?.clusterRoleSelectors ?? []).length > 0;
}

/**
 * IsOnlyMutatingGCFields: the update changes only what the garbage collector writes (owner
 * references, finalizers, the deletion fields), so the GC can delete a role it could not grant.
 * The resourceVersion and managedFields a write always carries are not the user's change.
 */
function onlyGarbageCollectorFields(next: KObject, old: KObject | undefined): boolean {
  if (old === undefined) return false;
  const strip = (o: KObject): KObject => {
    const {
      ownerReferences: _o,
      finalizers: _f,
      deletionTimestamp: _d,
      deletionGracePeriodSeconds: _g,
      resourceVersion: _r,
      managedFields: _m,
      ...metadata
    } = o.metadata;
    return { ...o, metadata };
  };
  return deepEqual(strip(next), strip(old));
}

function qualified(resource: string): string {
  return `${resource}.${RBAC_GROUP}`;
}
