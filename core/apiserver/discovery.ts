/**
 * The non-resource GETs every client starts with: legacy discovery (/api, /apis, /api/v1,
 * /apis/<group>, /apis/<group>/<version>), /version, the health endpoints and the OpenAPI v3
 * documents (openapi.ts), built once from
 * the kind definitions (upstream: k8s.io/apiserver/pkg/endpoints/discovery and
 * pkg/server/healthz).
 *
 * Aggregated discovery (apidiscovery.k8s.io/v2) is not served: client-go's discovery client,
 * which kubectl 1.32 uses, asks for it first with plain `application/json` as the last choice
 * of its Accept header, and reads the answer as the legacy documents whenever its Content-Type
 * is not the aggregated one (discovery_client.go, downloadLegacy / downloadAPIs). Serving the
 * legacy form only costs a client one request per group version.
 */
import type { ApiResponse } from '../api/http.ts';
import { DEFINITIONS, type ResourceDefinition } from '../api/kinds/index.ts';
import { OPENAPI_V3_DOCUMENTS } from './openapi.ts';
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
    switch (s.kind) {
      case 'strategy':
        return { ...base, kind: r.kind, verbs: s.verbs };
      case 'scale':
        return { ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: s.verbs };
      case 'action':
        return { ...base, ...s.body, verbs: s.verbs };
    }
  });
  return [main, ...subresources];
}

interface GroupVersion {
  readonly groupVersion: string;
  readonly version: string;
}

interface ApiGroup {
  readonly name: string;
  readonly versions: readonly GroupVersion[];
  readonly preferredVersion: GroupVersion;
}

/** Every document, by path; built once, as the definitions never change while running. */
function buildDocuments(): ReadonlyMap<string, unknown> {
  const byGroupVersion = new Map<string, ResourceDefinition[]>();
  for (const d of DEFINITIONS) {
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
  const coreVersions = [...byGroupVersion.keys()].filter((v) => !v.includes('/'));
  docs.set('/api', { kind: 'APIVersions', versions: coreVersions, serverAddressByClientCIDRs: [] });
  docs.set('/apis', { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups });
  docs.set('/version', SERVER_VERSION);
  return docs;
}

const DOCUMENTS = buildDocuments();

/** The answer to a non-resource GET, or undefined when the path names resources. */
export function nonResourceResponse(path: string): ApiResponse | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (HEALTH_PATHS.has(trimmed)) return { status: 200, body: 'ok' };
  const doc = DOCUMENTS.get(trimmed) ?? OPENAPI_V3_DOCUMENTS.get(trimmed);
  return doc === undefined ? undefined : { status: 200, body: doc };
}
