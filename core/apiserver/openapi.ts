/**
 * OpenAPI v3 documents, as far as clients need them to talk to the API (upstream serves the
 * full schemas at /openapi/v3 and /openapi/v3/<group version>): a root listing every group
 * version, and per group version each resource's PATCH operation with its
 * x-kubernetes-group-version-kind and query parameters. That is what kubectl 1.32 reads to
 * learn that the server validates fields itself (resource.QueryParamVerifierV3 looks for the
 * fieldValidation parameter of the kind's PATCH); without it `kubectl apply` refuses to run
 * unless told --validate=false. The operations carry no request body schema, so client-side
 * apply computes its strategic merge patch from kubectl's built-in types, as it does for any
 * server whose documents lack the kind. Object schemas (for `kubectl explain` and client-side
 * validation) are not served yet.
 */
import type { ResourceDefinition } from '../api/kinds/index.ts';
import { SERVER_VERSION } from './server-version.ts';

const ROOT_PATH = '/openapi/v3';

/** The write options every PATCH takes (upstream's query parameters of a patch). */
const PATCH_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

/** The URL path of a group version's document: "api/v1" or "apis/apps/v1". */
function documentKey(d: ResourceDefinition): string {
  return d.resource.group === '' ? `api/${d.resource.version}` : `apis/${d.resource.apiVersion}`;
}

function itemPath(d: ResourceDefinition): string {
  const r = d.resource;
  const prefix = r.group === '' ? `/api/${r.version}` : `/apis/${r.apiVersion}`;
  return r.namespaced
    ? `${prefix}/namespaces/{namespace}/${r.resource}/{name}`
    : `${prefix}/${r.resource}/{name}`;
}

function patchOperation(d: ResourceDefinition): unknown {
  const r = d.resource;
  return {
    patch: {
      operationId: `patch${r.group === '' ? 'Core' : ''}${r.kind}`,
      parameters: PATCH_PARAMETERS,
      responses: { '200': { description: 'OK' } },
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
    },
  };
}

/** FNV-1a, in hex: the `hash` of a document's URL, which clients use as its cache key. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The OpenAPI v3 documents of `definitions`, by URL path. */
export function openApiDocuments(
  definitions: readonly ResourceDefinition[],
): ReadonlyMap<string, unknown> {
  const byKey = new Map<string, ResourceDefinition[]>();
  for (const d of definitions) {
    const list = byKey.get(documentKey(d)) ?? [];
    list.push(d);
    byKey.set(documentKey(d), list);
  }
  const docs = new Map<string, unknown>();
  const root: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, defs] of byKey) {
    const paths: Record<string, unknown> = {};
    for (const d of defs) {
      if (d.resource.verbs.includes('patch')) paths[itemPath(d)] = patchOperation(d);
    }
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion },
      paths,
      components: { schemas: {} },
    };
    docs.set(`${ROOT_PATH}/${key}`, doc);
    root[key] = { serverRelativeURL: `${ROOT_PATH}/${key}?hash=${fnv1a(JSON.stringify(doc))}` };
  }
  docs.set(ROOT_PATH, { paths: root });
  return docs;
}
