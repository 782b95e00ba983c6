/**
 * What an authorizer decides on (k8s.io/apiserver/pkg/authorization/authorizer): the user, the
 * verb, and the resource or non-resource path a request touches, parsed from the request line
 * alone as upstream's RequestInfoFactory does, so authorization runs before routing and a user
 * without access is told 403 even about resources that do not exist.
 */
import {
  isFieldSelectorError,
  parseFieldSelector,
  type FieldRequirement,
} from '../../api/field-selectors.ts';
import type { HttpMethod } from '../../api/http.ts';
import type { UserInfo } from '../authn/user.ts';
import { pathSegments } from '../path-segments.ts';

export interface Attributes {
  readonly user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection; a non-resource request's lowercase method; or a special verb (bind, escalate, impersonate, ...). */
  readonly verb: string;
  readonly resourceRequest: boolean;
  /** The URL path (non-resource requests are authorized by it). */
  readonly path: string;
  /** "" for cluster-scoped requests. */
  readonly namespace: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
  readonly subresource: string;
  /** "" when the request names no object (list, create, deletecollection). */
  readonly name: string;
  /** The request's field selector requirements (upstream's AuthorizeWithSelectors). */
  readonly fieldSelector: readonly FieldRequirement[];
}

/** The namespace subresources the path syntax shares with namespaced collections. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** No field selector: shared, and frozen so that no holder can add to it. */
const NO_REQUIREMENTS: readonly FieldRequirement[] = Object.freeze([]);

/** NewRequestInfo: the attributes of a request line, before anything knows what it names. */
export function requestAttributes(
  user: UserInfo,
  method: HttpMethod,
  path: string,
  query: Readonly<Record<string, string>>,
): Attributes {
  // Segments are read by position (`at` is where the version begins): every request comes
  // here, and slicing the array at each step cost an array per step.
  const parts = pathSegments(path);
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) {
    return nonResourceAttributes(user, method, path);
  }
  let apiGroup = '';
  let at = 1;
  if (parts[0] === 'apis') {
    if (parts.length < 4) return nonResourceAttributes(user, method, path);
    apiGroup = parts[1] as string;
    at = 2;
  }
  const apiVersion = parts[at] as string;
  at++;
  let namespace = '';
  if (parts[at] === 'namespaces' && parts.length - at > 1) {
    namespace = parts[at + 1] as string;
    if (parts.length - at > 2 && !NAMESPACE_SUBRESOURCES.has(parts[at + 2] as string)) at += 2;
  }
  const resource = parts[at] ?? '';
  const named = parts[at + 1] ?? '';
  const subresource = parts[at + 2] ?? '';
  let verb = verbOf(method);
  let name = named;
  const fieldSelector = selectorRequirements(query.fieldSelector);
  if (name === '' && verb === 'get') {
    verb = query.watch === 'true' || query.watch === '1' ? 'watch' : 'list';
    const exact = fieldSelector.find((r) => r.field === 'metadata.name' && r.operator === '=');
    if (exact !== undefined && isPathSegmentName(exact.value)) name = exact.value;
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  return {
    user,
    verb,
    resourceRequest: true,
    path,
    namespace,
    apiGroup,
    apiVersion,
    resource,
    subresource,
    name,
    fieldSelector,
  };
}

function nonResourceAttributes(user: UserInfo, method: HttpMethod, path: string): Attributes {
  return {
    user,
    verb: method.toLowerCase(),
    resourceRequest: false,
    path,
    namespace: '',
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    name: '',
    fieldSelector: NO_REQUIREMENTS,
  };
}

function verbOf(method: HttpMethod): string {
  switch (method) {
    case 'POST':
      return 'create';
    case 'GET':
      return 'get';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
  }
}

function selectorRequirements(text: string | undefined): readonly FieldRequirement[] {
  if (!text) return NO_REQUIREMENTS;
  const m = parseFieldSelector(text);
  return isFieldSelectorError(m) ? NO_REQUIREMENTS : m.requirements;
}

/** path.IsValidPathSegmentName. */
function isPathSegmentName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}
