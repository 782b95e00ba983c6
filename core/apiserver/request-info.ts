import {
  BUILTIN_CATALOG,
  type DefinitionCatalog,
  type ResourceDefinition,
} from '../api/kinds/index.ts';
import type { ResourceInfo } from '../api/resources.ts';
import type { HttpMethod } from '../api/http.ts';
import { APISERVER, type UserInfo } from './authn/user.ts';
import { pathSegments } from './path-segments.ts';

export type RequestVerb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** What a request is about, parsed from its path as upstream's RequestInfoFactory does. */
export interface RequestInfo {
  readonly definition: ResourceDefinition;
  /** The definition's discovery row. */
  readonly resource: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  readonly verb: RequestVerb;
  /** Who asks: the authenticated user (upstream keeps it in the request's context). */
  readonly user: UserInfo;
}

export type ParseResult =
  | { readonly ok: true; readonly info: RequestInfo }
  | { readonly ok: false; readonly message: string };

/**
 * A request the API server makes of itself (system namespaces, an action on another object),
 * as its own user unless `user` says on whose behalf.
 */
export function requestInfoFor(
  definition: ResourceDefinition,
  verb: RequestVerb,
  namespace: string | undefined,
  name?: string,
  subresource?: string,
  user: UserInfo = APISERVER,
): RequestInfo {
  return {
    definition,
    resource: definition.resource,
    namespace: definition.resource.namespaced ? namespace : undefined,
    name,
    subresource,
    verb,
    user,
  };
}

export function parseRequest(
  method: HttpMethod,
  path: string,
  query: Readonly<Record<string, string>>,
  user: UserInfo = APISERVER,
  catalog: DefinitionCatalog = BUILTIN_CATALOG,
): ParseResult {
  // Segments are read by position (`at` is where the resource part begins), not sliced.
  const parts = pathSegments(path);
  let apiVersion: string;
  let at: number;
  if (parts[0] === 'api' && parts.length >= 2) {
    apiVersion = parts[1] as string;
    at = 2;
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    apiVersion = `${parts[1]}/${parts[2]}`;
    at = 3;
  } else {
    return {
      ok: false,
      message: `the server could not find the requested resource (path ${path})`,
    };
  }
  let namespace: string | undefined;
  // `namespaces/{ns}/{resource}` selects a namespaced collection; `namespaces/{ns}` alone is the
  // namespace object itself, and `namespaces/{ns}/{sub}` one of its subresources.
  if (
    parts[at] === NAMESPACES &&
    parts.length - at >= 3 &&
    !isNamespaceSubresource(catalog, parts[at + 2])
  ) {
    namespace = parts[at + 1];
    at += 2;
  }
  const resourceName = parts[at];
  const name = parts[at + 1];
  const subresource = parts[at + 2];
  const definition =
    resourceName === undefined ? undefined : catalog.forPath(apiVersion, resourceName);
  if (definition === undefined || parts.length - at > 3) {
    return {
      ok: false,
      message: `the server could not find the requested resource (${method} ${path})`,
    };
  }
  if (namespace !== undefined && !definition.resource.namespaced) {
    return { ok: false, message: `${definition.resource.resource} is not a namespaced resource` };
  }
  const watch = query.watch === 'true' || query.watch === '1';
  const verb = verbOf(method, name !== undefined, watch);
  return {
    ok: true,
    info: {
      definition,
      resource: definition.resource,
      namespace,
      name,
      subresource,
      verb,
      user,
    },
  };
}

/** The URL segment that names namespaces, whose own subresources share the collection syntax. */
const NAMESPACES = 'namespaces';

function isNamespaceSubresource(catalog: DefinitionCatalog, segment: string | undefined): boolean {
  const subresources = catalog.forPath('v1', NAMESPACES)?.resource.subresources ?? [];
  return segment !== undefined && subresources.includes(segment);
}

/** The verb of a request (RequestInfoFactory): by method, and whether it names an object. */
export function verbOf(method: HttpMethod, named: boolean, watch: boolean): RequestVerb {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
  }
}
