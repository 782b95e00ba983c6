/**
 * The non-resource GETs every client starts with: legacy discovery (/api, /apis, /api/v1,
 * /apis/<group>, /apis/<group>/<version>), /version, the health endpoints and the OpenAPI
 * documents (openapi.ts), built from the API server's catalog of definitions whenever it
 * changed (upstream: k8s.io/apiserver/pkg/endpoints/discovery and pkg/server/healthz).
 *
 * /api and /apis answer in the aggregated form (aggregated-discovery.ts) when the Accept header
 * asks for it first, as client-go's does. The aggregated groups' resources are known to their
 * servers only: /apis includes them once each has answered its discovery (`remote`) and stays
 * legacy until then, since a version listed without its resources would be "stale" to
 * client-go, which would report the group as failed.
 */
import type { ApiResponse } from '../api/http.ts';
import {
  BUILTIN_CATALOG,
  subresourceKind,
  type DefinitionCatalog,
  type ResourceDefinition,
} from '../api/kinds/index.ts';
import * as errors from '../api/errors.ts';
import {
  aggregatedAccepted,
  aggregatedDiscovery,
  aggregatedMediaType,
  remoteGroupDiscovery,
  type DiscoveryVersion,
} from './aggregated-discovery.ts';
import { negotiate } from './media-types.ts';
import { isOpenApiPath, openApiDocument } from './openapi.ts';
import { SERVER_VERSION } from './server-version.ts';

export { SERVER_VERSION };

const HEALTH_PATHS: ReadonlySet<string> = new Set(['/healthz', '/livez', '/readyz']);

/** metav1.APIResource: one row of an APIResourceList. */
interface ApiResourceRow {
  readonly name: string;
  readonly singularName: string;
  readonly namespaced: boolean;
  readonly group?: string;
  readonly version?: string;
  readonly kind: string;
  readonly verbs: readonly string[];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
}

function resourceRows(d: ResourceDefinition): ApiResourceRow[] {
  const r = d.resource;
  const main: ApiResourceRow = {
    name: r.resource,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
    ...(r.shortNames.length === 0 ? {} : { shortNames: r.shortNames }),
    ...(r.categories.length === 0 ? {} : { categories: r.categories }),
  };
  const subresources = d.subresources.map((s): ApiResourceRow => {
    const base = { name: `${r.resource}/${s.name}`, singularName: '', namespaced: r.namespaced };
    // A subresource answering with the resource's own kind leaves group and version out.
    if (s.kind === 'strategy') return { ...base, kind: r.kind, verbs: s.verbs };
    return { ...base, ...subresourceKind(r, s), verbs: s.verbs };
  });
  return [main, ...subresources];
}

interface GroupVersion {
  readonly groupVersion: string;
  readonly version: string;
}

export interface ApiGroup {
  readonly name: string;
  readonly versions: readonly GroupVersion[];
  readonly preferredVersion: GroupVersion;
}

/** Every document of `definitions` (discovery and OpenAPI), by path. */
function buildDocuments(definitions: readonly ResourceDefinition[]): ReadonlyMap<string, unknown> {
  const byGroupVersion = new Map<string, ResourceDefinition[]>();
  for (const d of definitions) {
    const list = byGroupVersion.get(d.resource.apiVersion) ?? [];
    list.push(d);
    byGroupVersion.set(d.resource.apiVersion, list);
  }
  const docs = new Map<string, unknown>();
  const groups = new Map<string, GroupVersion[]>();
  for (const [apiVersion, defs] of byGroupVersion) {
    const { group, version } = (defs[0] as ResourceDefinition).resource;
    const path = group === '' ? `/api/${version}` : `/apis/${apiVersion}`;
    docs.set(path, {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: apiVersion,
      resources: defs.flatMap(resourceRows),
    });
    if (group === '') continue;
    const versions = groups.get(group) ?? [];
    versions.push({ groupVersion: apiVersion, version });
    groups.set(group, versions);
  }
  const apiGroups: ApiGroup[] = [...groups].map(([name, versions]) => ({
    name,
    versions,
    preferredVersion: versions[0] as GroupVersion,
  }));
  for (const g of apiGroups)
    docs.set(`/apis/${g.name}`, { kind: 'APIGroup', apiVersion: 'v1', ...g });
  const core = new Map<string, Map<string, readonly ResourceDefinition[]>>();
  const named = new Map<string, Map<string, readonly ResourceDefinition[]>>();
  for (const defs of byGroupVersion.values()) {
    const { group, version } = (defs[0] as ResourceDefinition).resource;
    const into = group === '' ? core : named;
    const versions = into.get(group) ?? new Map<string, readonly ResourceDefinition[]>();
    versions.set(version, defs);
    into.set(group, versions);
  }
  for (const v of ['v2', 'v2beta1'] as const) {
    docs.set(aggregatedKey('/api', v), aggregatedDiscovery(core, v));
    docs.set(aggregatedKey('/apis', v), aggregatedDiscovery(named, v));
  }
  const coreVersions = [...byGroupVersion.keys()].filter((v) => !v.includes('/'));
  docs.set('/api', { kind: 'APIVersions', versions: coreVersions, serverAddressByClientCIDRs: [] });
  docs.set('/apis', { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups });
  docs.set('/version', SERVER_VERSION);
  return docs;
}

/** Where the documents hold the aggregated form of /api or /apis. */
const aggregatedKey = (path: string, v: DiscoveryVersion): string => `${path}#${v}`;

/**
 * The documents of each catalog as of its generation: rebuilt on the first request after the
 * served set changed (a CustomResourceDefinition became Established or went away), so the
 * request path pays a Map lookup, as it did when the documents were built once.
 */
const documents = new WeakMap<
  DefinitionCatalog,
  { readonly generation: number; readonly docs: ReadonlyMap<string, unknown> }
>();

function documentsOf(catalog: DefinitionCatalog): ReadonlyMap<string, unknown> {
  const cached = documents.get(catalog);
  if (cached !== undefined && cached.generation === catalog.generation) return cached.docs;
  const docs = buildDocuments(catalog.all);
  documents.set(catalog, { generation: catalog.generation, docs });
  return docs;
}

/**
 * The answer to a non-resource GET, or undefined when the path names resources. `aggregated`
 * are the groups other processes serve: /apis lists them after the built-in ones (as
 * kube-aggregator merges APIService groups) and /apis/<group> describes each; their group
 * versions' documents come from their servers. `accept` picks the aggregated or legacy form of
 * /api and /apis; a client that takes neither JSON form gets a 406.
 */
export function nonResourceResponse(
  path: string,
  catalog: DefinitionCatalog = BUILTIN_CATALOG,
  aggregated: readonly ApiGroup[] = [],
  accept?: string,
  remote?: ReadonlyMap<string, unknown>,
): ApiResponse | undefined {
  if (namesResources(path)) return undefined;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const wanted = aggregatedAccepted(accept);
  if (wanted !== undefined && (trimmed === '/api' || trimmed === '/apis')) {
    let body = documentsOf(catalog).get(aggregatedKey(trimmed, wanted));
    if (trimmed === '/apis' && aggregated.length > 0) {
      body = remote === undefined ? undefined : withRemoteGroups(body, aggregated, remote);
    }
    if (body !== undefined) {
      return { status: 200, body, headers: { 'Content-Type': aggregatedMediaType(wanted) } };
    }
  }
  const legacy = legacyResponse(trimmed, catalog, aggregated);
  if (legacy === undefined || negotiate(accept, false)?.kind === 'json') return legacy;
  const refused = errors.notAcceptable(['application/json']);
  return { status: refused.code ?? 406, body: refused };
}

/**
 * A path below a group version (`/api/v1/pods`, `/apis/apps/v1/deployments/x`) names resources:
 * no document lives there, so a resource request is told so without any lookup.
 */
function namesResources(path: string): boolean {
  const start = path.startsWith('/api/') ? 5 : path.startsWith('/apis/') ? 6 : -1;
  if (start < 0) return false;
  // Below `v1/` of the core group, below `<group>/<version>/` of the others.
  let slashes = start === 5 ? 1 : 2;
  for (let i = start; i < path.length - 1; i++) {
    if (path.charCodeAt(i) === 47 && --slashes === 0) return true;
  }
  return false;
}

/** The aggregated /apis with the aggregated groups after the built-in ones, as the legacy list. */
function withRemoteGroups(
  list: unknown,
  aggregated: readonly ApiGroup[],
  remote: ReadonlyMap<string, unknown>,
): unknown {
  const l = list as { readonly items: readonly unknown[] };
  return { ...l, items: [...l.items, ...aggregated.map((g) => remoteGroupDiscovery(g, remote))] };
}

function legacyResponse(
  trimmed: string,
  catalog: DefinitionCatalog,
  aggregated: readonly ApiGroup[],
): ApiResponse | undefined {
  if (HEALTH_PATHS.has(trimmed)) return { status: 200, body: 'ok' };
  if (isOpenApiPath(trimmed)) {
    const document = openApiDocument(trimmed, catalog);
    return document === undefined ? undefined : { status: 200, body: document };
  }
  const doc = documentsOf(catalog).get(trimmed);
  if (aggregated.length > 0 && trimmed === '/apis') {
    const list = doc as { readonly groups: readonly ApiGroup[] };
    return { status: 200, body: { ...list, groups: [...list.groups, ...aggregated] } };
  }
  const group = aggregated.find((g) => trimmed === `/apis/${g.name}`);
  if (doc === undefined && group !== undefined) {
    return { status: 200, body: { kind: 'APIGroup', apiVersion: 'v1', ...group } };
  }
  return doc === undefined ? undefined : { status: 200, body: doc };
}
