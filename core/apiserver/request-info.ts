import { RESOURCES, type ResourceInfo } from '../api/resources.ts';
import type { HttpMethod } from '../api/http.ts';

/** What a request is about, parsed from its path as upstream's RequestInfoFactory does. */
export interface RequestInfo {
  readonly resource: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  readonly verb:
    'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
}

export type ParseResult =
  | { readonly ok: true; readonly info: RequestInfo }
  | { readonly ok: false; readonly message: string };

const byGroupVersionResource = new Map<string, ResourceInfo>(
  RESOURCES.map((r) => [`${r.apiVersion}|${r.resource}`, r]),
);

export function parseRequest(
  method: HttpMethod,
  path: string,
  query: Readonly<Record<string, string>>,
): ParseResult {
  const parts = path.split('/').filter((p) => p !== '');
  let apiVersion: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    apiVersion = parts[1] as string;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    apiVersion = `${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  } else {
    return {
      ok: false,
      message: `the server could not find the requested resource (path ${path})`,
    };
  }
  let namespace: string | undefined;
  // `namespaces/{ns}/{resource}` selects a namespaced collection; `namespaces/{ns}` alone is the
  // namespace object itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resourceName, name, subresource, ...extra] = rest;
  const resource =
    resourceName === undefined
      ? undefined
      : byGroupVersionResource.get(`${apiVersion}|${resourceName}`);
  if (resource === undefined || extra.length > 0) {
    return {
      ok: false,
      message: `the server could not find the requested resource (${method} ${path})`,
    };
  }
  if (namespace !== undefined && !resource.namespaced) {
    return { ok: false, message: `${resource.resource} is not a namespaced resource` };
  }
  const watch = query.watch === 'true' || query.watch === '1';
  const verb = verbOf(method, name !== undefined, watch);
  return { ok: true, info: { resource, namespace, name, subresource, verb } };
}

function verbOf(method: HttpMethod, named: boolean, watch: boolean): RequestInfo['verb'] {
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
