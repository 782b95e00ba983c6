/**
 * Which FlowSchema a request belongs to (k8s.io/apiserver/pkg/util/flowcontrol/matching.go): the
 * first schema, in order of matchingPrecedence then name, one of whose rules matches the user
 * (subjects) and the request (a resource rule for a resource request, a non-resource rule for
 * any other path). The request is described as upstream's RequestInfoFactory does, from the
 * method and path alone, before the resource is known to exist.
 */
import type { HttpMethod } from '../../api/http.ts';
import type { UserInfo } from '../authn/user.ts';
import { splitServiceAccountUsername } from '../authn/user.ts';
import { pathSegments } from '../path-segments.ts';
import { verbOf } from '../request-info.ts';
import {
  ALL,
  type FlowSchemaConfig,
  type NonResourcePolicyRule,
  type PolicyRulesWithSubjects,
  type ResourcePolicyRule,
  type Subject,
} from './config.ts';

/** What the rules look at: upstream's RequestDigest (request.RequestInfo and the user). */
export type RequestDigest =
  | {
      readonly kind: 'resource';
      readonly verb: string;
      readonly apiGroup: string;
      /** "pods", or "pods/status" for a subresource. */
      readonly resource: string;
      /** "" for a cluster-scoped request. */
      readonly namespace: string;
    }
  | { readonly kind: 'non-resource'; readonly verb: string; readonly path: string };

/** Subresources of a namespace, which share the syntax of a namespaced collection. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** RequestInfoFactory.NewRequestInfo, reduced to what flow control matches on. */
export function requestDigest(
  method: HttpMethod,
  path: string,
  query: Readonly<Record<string, string>>,
): RequestDigest {
  const parts = pathSegments(path);
  let apiGroup: string;
  let at: number;
  if (parts[0] === 'api' && parts.length >= 3) {
    apiGroup = '';
    at = 2;
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiGroup = parts[1] as string;
    at = 3;
  } else {
    return { kind: 'non-resource', verb: method.toLowerCase(), path };
  }
  let namespace = '';
  if (parts[at] === 'namespaces' && parts.length - at > 1) {
    namespace = parts[at + 1] as string;
    const next = parts[at + 2];
    if (next !== undefined && !NAMESPACE_SUBRESOURCES.has(next)) at += 2;
  }
  const resource = parts[at] as string;
  const named = parts.length - at > 1;
  const subresource = parts[at + 2];
  return {
    kind: 'resource',
    verb: verbOf(method, named, query.watch === 'true' || query.watch === '1'),
    apiGroup,
    resource: subresource === undefined ? resource : `${resource}/${subresource}`,
    namespace,
  };
}

/** FlowSchemas in the order they are tried: matchingPrecedence, then name. */
export function precedenceOrder(schemas: readonly FlowSchemaConfig[]): FlowSchemaConfig[] {
  return [...schemas].sort(
    (a, b) =>
      a.matchingPrecedence - b.matchingPrecedence ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

export function matchesFlowSchema(
  schema: FlowSchemaConfig,
  user: UserInfo,
  digest: RequestDigest,
): boolean {
  return schema.rules.some((rule) => matchesRule(rule, user, digest));
}

function matchesRule(rule: PolicyRulesWithSubjects, user: UserInfo, digest: RequestDigest) {
  if (!rule.subjects.some((s) => matchesSubject(s, user))) return false;
  return digest.kind === 'resource'
    ? (rule.resourceRules ?? []).some((r) => matchesResourceRule(r, digest))
    : (rule.nonResourceRules ?? []).some((r) => matchesNonResourceRule(r, digest));
}

function matchesSubject(subject: Subject, user: UserInfo): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.user.name === ALL || subject.user.name === user.name;
    case 'Group':
      return subject.group.name === ALL || user.groups.includes(subject.group.name);
    case 'ServiceAccount': {
      const account = splitServiceAccountUsername(user.name);
      if (account === undefined) return false;
      const { namespace, name } = subject.serviceAccount;
      return account.namespace === namespace && (name === ALL || name === account.name);
    }
  }
}

const listed = (values: readonly string[], value: string): boolean =>
  values.includes(ALL) || values.includes(value);

function matchesResourceRule(
  rule: ResourcePolicyRule,
  digest: RequestDigest & { kind: 'resource' },
): boolean {
  if (!listed(rule.verbs, digest.verb) || !listed(rule.apiGroups, digest.apiGroup)) return false;
  if (!listed(rule.resources, digest.resource)) return false;
  return digest.namespace === ''
    ? rule.clusterScope === true
    : listed(rule.namespaces ?? [], digest.namespace);
}

/** A URL matches "*", itself, or a pattern ending in "*" whose stem is a prefix of it. */
function matchesNonResourceRule(
  rule: NonResourcePolicyRule,
  digest: RequestDigest & { kind: 'non-resource' },
): boolean {
  if (!listed(rule.verbs, digest.verb)) return false;
  return rule.nonResourceURLs.some(
    (url) =>
      url === ALL ||
      url === digest.path ||
      (url.endsWith('*') && digest.path.startsWith(url.slice(0, -1))),
  );
}
