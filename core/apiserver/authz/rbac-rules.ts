/**
 * RBAC rule matching and coverage (plugin/pkg/auth/authorizer/rbac/rbac.go RuleAllows,
 * pkg/apis/rbac/v1/evaluation_helpers.go, pkg/registry/rbac/validation/policy_comparator.go):
 * whether a rule allows a request, and whether one set of rules grants everything another does
 * (the escalation check), with the compact form upstream prints missing rules in.
 */
import { ALL, type PolicyRule } from '../../api/rbac-types.ts';
import type { Attributes } from './attributes.ts';

/** Whether any of `rules` allows the request (the authorizer's loop, on every request). */
export function rulesAllow(a: Attributes, rules: readonly PolicyRule[]): boolean {
  if (!a.resourceRequest) {
    for (const rule of rules) {
      if (includesOrAll(rule.verbs, a.verb) && nonResourceURLMatches(rule, a.path)) return true;
    }
    return false;
  }
  const combined = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
  for (const rule of rules) {
    if (
      includesOrAll(rule.verbs, a.verb) &&
      includesOrAll(rule.apiGroups, a.apiGroup) &&
      resourceMatches(rule, combined, a.subresource) &&
      resourceNameMatches(rule, a.name)
    ) {
      return true;
    }
  }
  return false;
}

function includesOrAll(values: readonly string[] | undefined, value: string): boolean {
  if (values === undefined) return false;
  for (const v of values) if (v === value || v === ALL) return true;
  return false;
}

/** An exact resource, "*", or "*" + "/<subresource>" for that subresource of any resource. */
function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  return (rule.resources ?? []).some(
    (r) =>
      r === ALL ||
      r === combined ||
      (subresource !== '' && r.length === subresource.length + 2 && r === `*/${subresource}`),
  );
}

function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === ALL || nonResourceURLCovers(u, path));
}

function nonResourceURLCovers(owner: string, path: string): boolean {
  return owner === path || (owner.endsWith('*') && path.startsWith(owner.replace(/\*+$/, '')));
}

/** Covers: whether `owner` grants every permission of `servant`, and the ones it does not. */
export function covers(
  owner: readonly PolicyRule[],
  servant: readonly PolicyRule[],
): { readonly covered: boolean; readonly missing: readonly PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const rule of servant) {
    for (const sub of breakdownRule(rule)) {
      if (!owner.some((o) => ruleCovers(o, sub))) missing.push(sub);
    }
  }
  return { covered: missing.length === 0, missing };
}

/** BreakdownRule: one rule per verb, group, resource and name (or per URL and verb). */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) {
          out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        }
        for (const name of names) {
          out.push({
            apiGroups: [group],
            resources: [resource],
            verbs: [verb],
            resourceNames: [name],
          });
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return out;
}

function has(set: readonly string[] | undefined, v: string): boolean {
  return (set ?? []).includes(v);
}

function hasAll(
  set: readonly string[] | undefined,
  values: readonly string[] | undefined,
): boolean {
  return (values ?? []).every((v) => has(set, v));
}

/** ruleCovers: `sub` is one broken-down rule. */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, ALL) || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, ALL) || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourceCoversAll(owner.resources ?? [], sub.resources ?? []);
  const urls = (sub.nonResourceURLs ?? []).every((u) =>
    (owner.nonResourceURLs ?? []).some((o) => nonResourceURLCovers(o, u)),
  );
  const ownerNames = owner.resourceNames ?? [];
  const subNames = sub.resourceNames ?? [];
  const names =
    subNames.length === 0
      ? ownerNames.length === 0
      : ownerNames.length === 0 || hasAll(ownerNames, subNames);
  return verbs && groups && resources && urls && names;
}

function resourceCoversAll(owner: readonly string[], servant: readonly string[]): boolean {
  if (has(owner, ALL) || hasAll(owner, servant)) return true;
  return servant.every((r) => {
    if (has(owner, r)) return true;
    const slash = r.indexOf('/');
    return slash >= 0 && has(owner, `*${r.slice(slash)}`);
  });
}

/**
 * CompactRules: simple resource rules (one group, one resource, at most one name, no URLs)
 * that differ only in their verbs become one rule.
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, { rule: PolicyRule; verbs: string[] }>();
  for (const rule of rules) {
    const key = simpleKey(rule);
    if (key === undefined) {
      out.push(rule);
      continue;
    }
    const existing = simple.get(key);
    if (existing === undefined) simple.set(key, { rule, verbs: [...rule.verbs] });
    else existing.verbs.push(...rule.verbs);
  }
  for (const { rule, verbs } of simple.values()) out.push({ ...rule, verbs });
  return out;
}

function simpleKey(rule: PolicyRule): string | undefined {
  const groups = rule.apiGroups ?? [];
  const resources = rule.resources ?? [];
  const names = rule.resourceNames ?? [];
  if (groups.length !== 1 || resources.length !== 1 || names.length > 1) return undefined;
  if ((rule.nonResourceURLs ?? []).length > 0) return undefined;
  return JSON.stringify([groups[0], resources[0], names[0] ?? null]);
}

/** rbacv1helpers.CompactString: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}`. */
export function compactString(rule: PolicyRule): string {
  const parts: string[] = [];
  const field = (label: string, values: readonly string[] | undefined): void => {
    if (values !== undefined && values.length > 0) parts.push(`${label}:${goQuotedList(values)}`);
  };
  field('APIGroups', rule.apiGroups);
  field('Resources', rule.resources);
  field('NonResourceURLs', rule.nonResourceURLs);
  field('ResourceNames', rule.resourceNames);
  field('Verbs', rule.verbs);
  return `{${parts.join(', ')}}`;
}

/** Go's %q of a []string: `["a" "b"]`. */
export function goQuotedList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}
