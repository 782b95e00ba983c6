/**
 * The RBAC authorizer (plugin/pkg/auth/authorizer/rbac/rbac.go) and its rule resolver
 * (pkg/registry/rbac/validation/rule.go DefaultRuleResolver): the rules of every cluster role
 * binding whose subjects include the user, then of the role bindings in the request's
 * namespace. A binding to a role that does not exist grants nothing and is named in the reason.
 */
import {
  GROUP_KIND,
  SERVICE_ACCOUNT_KIND,
  USER_KIND,
  type PolicyRule,
  type RoleRef,
  type Subject,
} from '../../api/rbac-types.ts';
import { serviceAccountUsername, type UserInfo } from '../authn/user.ts';
import type { Attributes } from './attributes.ts';
import {
  ALLOW,
  type AuthorizationResult,
  type Authorizer,
  type RuleResolver,
  type UserRules,
} from './authorizer.ts';
import type { RbacCache } from './rbac-cache.ts';
import { rulesAllow } from './rbac-rules.ts';

/** Called per rule, or per resolution error; returning false stops the visit. */
type RuleVisitor = (rule: PolicyRule | undefined, error: string | undefined) => boolean;

interface ResolvedRules {
  readonly rules: readonly PolicyRule[];
  readonly errors: readonly string[];
}

/**
 * Users whose resolved rules are remembered, by identity: the authentication cache hands out
 * the same user object for every request with the same credential. Past it the memo starts over.
 */
const MAX_MEMOIZED_USERS = 4096;

/**
 * The authorizer is on every request's path, so the rules a user holds in a namespace are
 * resolved once and remembered until the RBAC objects change (the cache's generation).
 */
export class RbacAuthorizer implements Authorizer, RuleResolver {
  readonly name = 'rbac';
  private memo = new WeakMap<UserInfo, Map<string, ResolvedRules>>();
  private memoUsers = 0;
  private memoGeneration = -1;

  constructor(private readonly cache: RbacCache) {}

  authorize(a: Attributes): AuthorizationResult {
    const { rules, errors } = this.resolved(a.user, a.namespace);
    if (rulesAllow(a, rules)) return ALLOW;
    return {
      decision: 'no-opinion',
      reason: errors.length > 0 ? `RBAC: ${aggregate(errors)}` : '',
    };
  }

  private resolved(user: UserInfo, namespace: string): ResolvedRules {
    if (this.memoGeneration !== this.cache.generation || this.memoUsers >= MAX_MEMOIZED_USERS) {
      this.memo = new WeakMap();
      this.memoUsers = 0;
      this.memoGeneration = this.cache.generation;
    }
    let byNamespace = this.memo.get(user);
    if (byNamespace === undefined) {
      byNamespace = new Map();
      this.memo.set(user, byNamespace);
      this.memoUsers++;
    }
    let r = byNamespace.get(namespace);
    if (r === undefined) {
      r = this.policyRulesFor(user, namespace);
      byNamespace.set(namespace, r);
    }
    return r;
  }

  rulesFor(user: UserInfo, namespace: string): UserRules {
    const resourceRules: PolicyRule[] = [];
    const nonResourceRules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRulesFor(user, namespace, (rule, error) => {
      if (error !== undefined) errors.push(error);
      if (rule === undefined) return true;
      if ((rule.resources ?? []).length > 0) {
        resourceRules.push({
          verbs: rule.verbs,
          apiGroups: rule.apiGroups ?? [],
          resources: rule.resources ?? [],
          resourceNames: rule.resourceNames ?? [],
        });
      }
      if ((rule.nonResourceURLs ?? []).length > 0) {
        nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs ?? [] });
      }
      return true;
    });
    return { resourceRules, nonResourceRules, incomplete: false, errors };
  }

  /** Every rule `user` holds in `namespace` (cluster-wide ones included), as PolicyRules. */
  policyRulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRulesFor(user, namespace, (rule, error) => {
      if (error !== undefined) errors.push(error);
      if (rule !== undefined) rules.push(rule);
      return true;
    });
    return { rules, errors };
  }

  /** GetRoleReferenceRules: the rules a binding's roleRef grants, or why it grants none. */
  roleReferenceRules(
    ref: RoleRef,
    bindingNamespace: string,
  ): { rules: readonly PolicyRule[] } | { error: string } {
    switch (ref.kind) {
      case 'Role': {
        const role = this.cache.role(bindingNamespace, ref.name);
        return role === undefined
          ? { error: `role.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found` }
          : { rules: role.rules ?? [] };
      }
      case 'ClusterRole': {
        const rules = this.cache.clusterRoleRules(ref.name);
        return rules === undefined
          ? { error: `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found` }
          : { rules };
      }
      default:
        return { error: `unsupported role reference kind: ${JSON.stringify(ref.kind)}` };
    }
  }

  private visitRulesFor(user: UserInfo, namespace: string, visit: RuleVisitor): void {
    for (const b of this.cache.clusterRoleBindings()) {
      if (!appliesTo(user, b.subjects ?? [], '')) continue;
      if (!this.visitRef(b.roleRef, '', visit)) return;
    }
    if (namespace === '') return;
    for (const b of this.cache.roleBindingsIn(namespace)) {
      if (!appliesTo(user, b.subjects ?? [], namespace)) continue;
      if (!this.visitRef(b.roleRef, namespace, visit)) return;
    }
  }

  private visitRef(ref: RoleRef, namespace: string, visit: RuleVisitor): boolean {
    const r = this.roleReferenceRules(ref, namespace);
    if ('error' in r) return visit(undefined, r.error);
    for (const rule of r.rules) if (!visit(rule, undefined)) return false;
    return true;
  }
}

/** appliesTo / appliesToUser. */
export function appliesTo(
  user: UserInfo,
  subjects: readonly Subject[],
  namespace: string,
): boolean {
  return subjects.some((s) => subjectMatches(user, s, namespace));
}

function subjectMatches(user: UserInfo, s: Subject, namespace: string): boolean {
  switch (s.kind) {
    case USER_KIND:
      return user.name === s.name;
    case GROUP_KIND:
      return user.groups.includes(s.name);
    case SERVICE_ACCOUNT_KIND: {
      // A subject without a namespace means the binding's own.
      const ns = s.namespace || namespace;
      return ns !== '' && user.name === serviceAccountUsername(ns, s.name);
    }
    default:
      return false;
  }
}

/** utilerrors.NewAggregate(errs).Error(): one message, or "[a, b]" without repeats. */
export function aggregate(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? (unique[0] as string) : `[${unique.join(', ')}]`;
}
