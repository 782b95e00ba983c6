/**
 * Authorizers and their chain (k8s.io/apiserver/pkg/authorization: authorizer/interfaces.go,
 * union/union.go): each authorizer allows, denies or has no opinion, with a reason; the chain
 * asks them in order until one decides, and a request nobody allows is forbidden with
 * upstream's message (endpoints/handlers/responsewriters/errors.go).
 */
import * as errors from '../../api/errors.ts';
import type { Status } from '../../api/status-types.ts';
import type { PolicyRule } from '../../api/rbac-types.ts';
import { isPrivileged, type UserInfo } from '../authn/user.ts';
import type { Attributes } from './attributes.ts';

export type Decision = 'allow' | 'deny' | 'no-opinion';

export interface AuthorizationResult {
  readonly decision: Decision;
  /** Why, for the log and the 403 message; "" when there is nothing to say. */
  readonly reason: string;
}

export interface Authorizer {
  readonly name: string;
  authorize(a: Attributes): AuthorizationResult;
}

/**
 * What a user may do in a namespace, as far as an authorizer can tell (authorizer.RuleResolver,
 * behind SelfSubjectRulesReview and RBAC's escalation check).
 */
export interface UserRules {
  readonly resourceRules: readonly PolicyRule[];
  readonly nonResourceRules: readonly PolicyRule[];
  /** The authorizer cannot list everything the user may do (the Node authorizer's graph). */
  readonly incomplete: boolean;
  readonly errors: readonly string[];
}

export interface RuleResolver {
  rulesFor(user: UserInfo, namespace: string): UserRules;
}

export const NO_OPINION: AuthorizationResult = { decision: 'no-opinion', reason: '' };
export const ALLOW: AuthorizationResult = { decision: 'allow', reason: '' };

/** union.unionAuthzHandler: the first decision wins; reasons of those without one are joined. */
export function authorizeChain(
  authorizers: readonly Authorizer[],
  a: Attributes,
): AuthorizationResult {
  const reasons: string[] = [];
  for (const z of authorizers) {
    const r = z.authorize(a);
    if (r.decision !== 'no-opinion') return r;
    if (r.reason !== '') reasons.push(r.reason);
  }
  return { decision: 'no-opinion', reason: reasons.join('\n') };
}

/** The rules of every resolver, merged (union.unionAuthzRulesHandler). */
export function rulesOfChain(
  resolvers: readonly RuleResolver[],
  user: UserInfo,
  namespace: string,
): UserRules {
  const out = {
    resourceRules: [] as PolicyRule[],
    nonResourceRules: [] as PolicyRule[],
    incomplete: false,
    errors: [] as string[],
  };
  for (const r of resolvers) {
    const rules = r.rulesFor(user, namespace);
    out.resourceRules.push(...rules.resourceRules);
    out.nonResourceRules.push(...rules.nonResourceRules);
    out.incomplete ||= rules.incomplete;
    out.errors.push(...rules.errors);
  }
  return out;
}

/**
 * authorizerfactory.NewPrivilegedGroups(system:masters): kube-apiserver's first authorizer, so
 * the cluster's super-users and the API server's own loopback requests never wait on RBAC.
 */
export const PRIVILEGED_GROUPS: Authorizer & RuleResolver = {
  name: 'privileged-groups',
  authorize: (a) => (isPrivileged(a.user) ? ALLOW : NO_OPINION),
  rulesFor: (user) =>
    isPrivileged(user)
      ? {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
          errors: [],
        }
      : { resourceRules: [], nonResourceRules: [], incomplete: false, errors: [] },
};

/** responsewriters.forbiddenMessage. */
export function forbiddenMessage(a: Attributes): string {
  const user = a.user.name;
  if (!a.resourceRequest) {
    return `User ${JSON.stringify(user)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  }
  const resource = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
  const what = `User ${JSON.stringify(user)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)}`;
  return a.namespace === ''
    ? `${what} at the cluster scope`
    : `${what} in the namespace ${JSON.stringify(a.namespace)}`;
}

/** responsewriters.Forbidden: the 403 of a request no authorizer allowed. */
export function forbiddenStatus(a: Attributes, reason: string): Status {
  const message = sanitize(forbiddenMessage(a));
  const cause = reason === '' ? message : `${message}: ${reason}`;
  const resource = a.apiGroup === '' ? a.resource : `${a.resource}.${a.apiGroup}`;
  return errors.forbidden(resource, a.name, cause);
}

function sanitize(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
