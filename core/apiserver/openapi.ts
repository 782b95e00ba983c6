/**
 * The OpenAPI documents (upstream: k8s.io/kube-openapi handler and handler3): /openapi/v3, an
 * index of group versions, each with the hash of its document; /openapi/v3/<api/v1 or
 * apis/<group>/<version>>, the group version's PATCH operations and the component schemas of
 * its kinds and everything they refer to (openapi-schemas.ts); and /openapi/v2, every schema in
 * one Swagger 2.0 document, as JSON only (client-go asks for it as protobuf and, answered 406,
 * goes on without it).
 *
 * kubectl 1.32 reads v3: `explain` walks the schemas; `apply` and `edit` learn from each kind's
 * PATCH that the server validates fields itself (the fieldValidation parameter, which
 * resource.QueryParamVerifierV3 looks for) and, from its request body's content types, whether
 * to compute a strategic merge patch from the schemas' patch metadata; a custom resource's
 * PATCH takes no strategic merge patch, so kubectl sends a merge patch, as upstream.
 *
 * The documents are built once per catalog generation, on the first request for any of them
 * (the catalog changes when a CustomResourceDefinition is established or goes), and served as
 * the same objects until then, so a host may cache their serialized form by identity.
 */
import { PATCH_CONTENT_TYPES } from '../api/http.ts';
import type { DefinitionCatalog, ResourceDefinition } from '../api/kinds/index.ts';
import { ref, SCHEMA_REF_PREFIX, SchemaSet, type Schema } from './openapi-schemas.ts';
import { SERVER_VERSION } from './server-version.ts';

const V3_PATH = '/openapi/v3';
const V2_PATH = '/openapi/v2';

/** The body schema of every PATCH (upstream's meta/v1 Patch). */
const PATCH_COMPONENT = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
const PATCH_SCHEMA: Schema = {
  description:
    'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  type: 'object',
};

/** The write options every PATCH takes (upstream's query parameters of a patch). */
const PATCH_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

const INFO = { title: 'Kubernetes', version: SERVER_VERSION.gitVersion };

/** The URL path of a group version's document below /openapi/v3: "api/v1" or "apis/apps/v1". */
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

function patchOperation(d: ResourceDefinition, root: string | undefined): Schema {
  const r = d.resource;
  const content: Record<string, Schema> = {};
  for (const type of d.patchTypes ?? PATCH_CONTENT_TYPES) {
    content[type] = { schema: ref(PATCH_COMPONENT) };
  }
  const ok = root === undefined ? {} : { content: { 'application/json': { schema: ref(root) } } };
  return {
    patch: {
      operationId: `patch${r.group === '' ? 'Core' : ''}${r.kind}`,
      parameters: PATCH_PARAMETERS,
      requestBody: { content },
      responses: { '200': { description: 'OK', ...ok } },
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
  return h.toString(16).toUpperCase().padStart(8, '0');
}

/** A v3 schema as Swagger 2.0 spells it: plain `$ref`s into #/definitions. */
function toV2(schema: Schema): Schema {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    switch (k) {
      case '$ref':
        out.$ref = toV2Ref(v as string);
        break;
      case 'allOf': {
        const [only, ...rest] = v as readonly Schema[];
        if (only?.$ref !== undefined && rest.length === 0) out.$ref = toV2Ref(only.$ref as string);
        else out.allOf = v;
        break;
      }
      // Quantity: v2 has no oneOf; upstream's v2 spec calls it a string.
      case 'oneOf':
        out.type = 'string';
        break;
      case 'properties':
        out.properties = Object.fromEntries(
          Object.entries(v as Record<string, Schema>).map(([p, s]) => [p, toV2(s)]),
        );
        break;
      case 'items':
      case 'additionalProperties':
        out[k] = typeof v === 'object' && v !== null ? toV2(v as Schema) : v;
        break;
      default:
        out[k] = v;
    }
  }
  return out;
}

const toV2Ref = (r: string): string => `#/definitions/${r.slice(SCHEMA_REF_PREFIX.length)}`;

/** Every OpenAPI document of `definitions`, by URL path. */
function buildDocuments(definitions: readonly ResourceDefinition[]): ReadonlyMap<string, unknown> {
  const schemas = new SchemaSet(definitions);
  const byKey = new Map<string, ResourceDefinition[]>();
  for (const d of definitions) {
    const list = byKey.get(documentKey(d)) ?? [];
    list.push(d);
    byKey.set(documentKey(d), list);
  }
  const docs = new Map<string, unknown>();
  const index: Record<string, { serverRelativeURL: string }> = {};
  const everySchema: Record<string, unknown> = {};
  for (const [key, defs] of byKey) {
    const paths: Record<string, unknown> = {};
    const roots: string[] = [];
    for (const d of defs) {
      const root = schemas.rootOf(d);
      if (root !== undefined) roots.push(root);
      if (d.resource.verbs.includes('patch')) paths[itemPath(d)] = patchOperation(d, root);
    }
    const components: Record<string, Schema> = { [PATCH_COMPONENT]: PATCH_SCHEMA };
    for (const [name, schema] of schemas.closure(roots)) components[name] = schema;
    const doc = { openapi: '3.0.0', info: INFO, paths, components: { schemas: components } };
    docs.set(`${V3_PATH}/${key}`, doc);
    index[key] = { serverRelativeURL: `${V3_PATH}/${key}?hash=${fnv1a(JSON.stringify(doc))}` };
    for (const [name, schema] of Object.entries(components)) everySchema[name] ??= toV2(schema);
  }
  docs.set(V3_PATH, { paths: index });
  const definitionsV2 = Object.fromEntries(
    Object.entries(everySchema).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  );
  docs.set(V2_PATH, { swagger: '2.0', info: INFO, paths: {}, definitions: definitionsV2 });
  return docs;
}

const documents = new WeakMap<
  DefinitionCatalog,
  { readonly generation: number; readonly docs: ReadonlyMap<string, unknown> }
>();

/** Whether `path` is one of the OpenAPI endpoints (served or not). */
export function isOpenApiPath(path: string): boolean {
  return path === V2_PATH || path === V3_PATH || path.startsWith(`${V3_PATH}/`);
}

/** The OpenAPI document at `path` for `catalog`, or undefined when there is none. */
export function openApiDocument(path: string, catalog: DefinitionCatalog): unknown {
  let cached = documents.get(catalog);
  if (cached === undefined || cached.generation !== catalog.generation) {
    cached = { generation: catalog.generation, docs: buildDocuments(catalog.all) };
    documents.set(catalog, cached);
  }
  return cached.docs.get(path);
}
