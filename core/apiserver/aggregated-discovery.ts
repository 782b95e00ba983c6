/**
 * Aggregated discovery (apidiscovery.k8s.io v2 and v2beta1; upstream
 * k8s.io/apiserver/pkg/endpoints/discovery/aggregated): /api and /apis answer with every group,
 * version and resource in one APIGroupDiscoveryList, when the Accept header asks for it first,
 * so a client learns the whole API in two requests instead of one per group version. client-go
 * (kubectl 1.32) asks for it and reads the answer by its Content-Type; a client that asks for
 * plain JSON gets the legacy documents.
 */
import { subresourceKind, type ResourceDefinition } from '../api/kinds/index.ts';
import type { GroupVersionKind } from '../api/meta.ts';

export type DiscoveryVersion = 'v2' | 'v2beta1';

/** The media type of an aggregated answer, which tells client-go how to read it. */
export function aggregatedMediaType(v: DiscoveryVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
}

/**
 * Which aggregated form the Accept header asks for before any legacy one (its clauses are in
 * the client's order of preference), or undefined for the legacy form. Protobuf is not served.
 */
export function aggregatedAccepted(accept: string | undefined): DiscoveryVersion | undefined {
  if (accept === undefined) return undefined;
  for (const clause of accept.split(',')) {
    const [type = '', ...rest] = clause.split(';').map((p) => p.trim().toLowerCase());
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    const params = new Map(
      rest.map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()]),
    );
    if (params.size === 0) return undefined;
    const v = params.get('v');
    if (
      params.get('g') === 'apidiscovery.k8s.io' &&
      params.get('as') === 'apigroupdiscoverylist' &&
      (v === 'v2' || v === 'v2beta1')
    )
      return v;
  }
  return undefined;
}

/** apidiscovery.k8s.io APIResourceDiscovery: a resource with its subresources nested. */
function resourceDiscovery(d: ResourceDefinition): unknown {
  const r = d.resource;
  const own = { group: r.group, version: r.version, kind: r.kind };
  const subresources = d.subresources.map((s) => ({
    subresource: s.name,
    responseKind: subresourceKind(own, s),
    verbs: s.verbs,
  }));
  return {
    resource: r.resource,
    responseKind: own,
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames.length === 0 ? {} : { shortNames: r.shortNames }),
    ...(r.categories.length === 0 ? {} : { categories: r.categories }),
    ...(subresources.length === 0 ? {} : { subresources }),
  };
}

/**
 * The APIGroupDiscoveryList of `groups` (each with its versions' definitions, the preferred
 * version first), as /api (the core group, named "") or /apis (the others) answer it.
 */
export function aggregatedDiscovery(
  groups: ReadonlyMap<string, ReadonlyMap<string, readonly ResourceDefinition[]>>,
  v: DiscoveryVersion,
): unknown {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${v}`,
    metadata: {},
    items: [...groups].map(([name, versions]) => ({
      metadata: { name, creationTimestamp: null },
      versions: [...versions].map(([version, defs]) => ({
        version,
        resources: defs.map(resourceDiscovery),
        freshness: 'Current',
      })),
    })),
  };
}

/** A row of a legacy APIResourceList, as an aggregated server's discovery answers it. */
interface LegacyRow {
  readonly name: string;
  readonly singularName?: string;
  readonly namespaced: boolean;
  readonly group?: string;
  readonly version?: string;
  readonly kind: string;
  readonly verbs: readonly string[];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
}

interface RemoteGroup {
  readonly name: string;
  readonly versions: readonly { readonly groupVersion: string; readonly version: string }[];
}

/**
 * An aggregated group in the aggregated form, from its servers' legacy documents (`lists`, by
 * group version): what kube-aggregator's discovery manager makes of an APIService that does
 * not serve the aggregated form itself.
 */
export function remoteGroupDiscovery(
  group: RemoteGroup,
  lists: ReadonlyMap<string, unknown>,
): unknown {
  return {
    metadata: { name: group.name, creationTimestamp: null },
    versions: group.versions.map((v) => {
      const rows = (lists.get(v.groupVersion) as { resources?: LegacyRow[] } | undefined)
        ?.resources;
      return {
        version: v.version,
        resources: fromLegacyRows(group.name, v.version, rows ?? []),
        freshness: 'Current',
      };
    }),
  };
}

function fromLegacyRows(group: string, version: string, rows: readonly LegacyRow[]): unknown[] {
  const kindOf = (r: LegacyRow): GroupVersionKind => ({
    group: r.group ?? group,
    version: r.version ?? version,
    kind: r.kind,
  });
  return rows
    .filter((r) => !r.name.includes('/'))
    .map((r) => {
      const subresources = rows
        .filter((s) => s.name.startsWith(`${r.name}/`))
        .map((s) => ({
          subresource: s.name.slice(r.name.length + 1),
          responseKind: kindOf(s),
          verbs: s.verbs,
        }));
      return {
        resource: r.name,
        responseKind: kindOf(r),
        scope: r.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: r.singularName ?? '',
        verbs: r.verbs,
        ...(r.shortNames === undefined ? {} : { shortNames: r.shortNames }),
        ...(r.categories === undefined ? {} : { categories: r.categories }),
        ...(subresources.length === 0 ? {} : { subresources }),
      };
    });
}
