/**
 * Reads in the representation the client negotiated (media-types.ts): server-side printing as
 * a metav1.Table, whose columns and cells come from the definition's `table` (upstream's
 * TableConvertor and printers), or metadata only as PartialObjectMetadata(List). Cells are
 * computed on the stored shape, as upstream's printers work on the internal type; objects
 * embedded in rows are in the request's version.
 */
import type { ApiResponse, WatchFrame } from '../api/http.ts';
import type { ResourceDefinition } from '../api/kinds/index.ts';
import type { ListMeta, ObjectMeta } from '../api/meta-types.ts';
import type { KObject } from '../api/types.ts';
import type { MetaVersion, Representation } from './media-types.ts';
import { bodyInVersion, isStoredForm, frameInVersion, responseBodyInVersion } from './versions.ts';

/** metav1.IncludeObjectPolicy: what each table row carries besides its cells. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function parseIncludeObject(value: string | undefined): IncludeObject | undefined {
  if (value === undefined || value === '') return 'Metadata';
  return value === 'None' || value === 'Metadata' || value === 'Object' ? value : undefined;
}

export interface Presentation {
  readonly representation: Representation;
  readonly includeObject: IncludeObject;
  /** The API server's clock (Unix microseconds): what ages are measured against. */
  readonly nowUs: number;
}

interface ListBody {
  readonly metadata?: ListMeta;
  readonly items: readonly KObject[];
}

function isList(body: unknown): body is ListBody {
  return typeof body === 'object' && body !== null && Array.isArray((body as ListBody).items);
}

function isObject(body: unknown): body is KObject {
  const b = body as { kind?: unknown; metadata?: unknown } | null;
  return typeof b === 'object' && b !== null && typeof b.metadata === 'object';
}

const metaApiVersion = (v: MetaVersion): string => `meta.k8s.io/${v}`;

function partialMetadata(version: MetaVersion, metadata: ObjectMeta): unknown {
  return { kind: 'PartialObjectMetadata', apiVersion: metaApiVersion(version), metadata };
}

/** A successful get or list in the negotiated representation; anything else as it is. */
export function present(
  def: ResourceDefinition,
  response: ApiResponse,
  p: Presentation,
): ApiResponse {
  const r = p.representation;
  if (r.kind === 'json' || response.status !== 200) return inVersion(def, response);
  const body = response.body;
  if (r.kind === 'table') return { ...response, body: table(def, body, p, r.version) };
  if (isList(body)) {
    return {
      ...response,
      body: {
        kind: 'PartialObjectMetadataList',
        apiVersion: metaApiVersion(r.version),
        metadata: body.metadata ?? {},
        items: body.items.map((o) => partialMetadata(r.version, o.metadata)),
      },
    };
  }
  return isObject(body)
    ? { ...response, body: partialMetadata(r.version, body.metadata) }
    : inVersion(def, response);
}

function inVersion(def: ResourceDefinition, r: ApiResponse): ApiResponse {
  return isStoredForm(def) ? r : responseBodyInVersion(def, r);
}

/** A watch event in the negotiated representation (tables of one row, as upstream sends). */
export function presentFrame(
  def: ResourceDefinition,
  frame: WatchFrame,
  p: Presentation,
): WatchFrame {
  const r = p.representation;
  if (r.kind === 'json' || frame.type === 'BOOKMARK' || frame.type === 'ERROR') {
    return frameInVersion(def, frame);
  }
  const obj = frame.object as KObject;
  return {
    type: frame.type,
    object:
      r.kind === 'table' ? table(def, obj, p, r.version) : partialMetadata(r.version, obj.metadata),
  };
}

function table(
  def: ResourceDefinition,
  body: unknown,
  p: Presentation,
  version: MetaVersion,
): unknown {
  const objects = isList(body) ? body.items : [body as KObject];
  const metadata: ListMeta = isList(body)
    ? (body.metadata ?? {})
    : { resourceVersion: (body as KObject).metadata.resourceVersion };
  return {
    kind: 'Table',
    apiVersion: metaApiVersion(version),
    metadata,
    columnDefinitions: def.table.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description,
      priority: c.priority,
    })),
    rows: objects.map((obj) => ({
      cells: def.table.map((c) => c.cell(obj, p.nowUs)),
      ...rowObject(def, obj, p, version),
    })),
  };
}

function rowObject(
  def: ResourceDefinition,
  obj: KObject,
  p: Presentation,
  version: MetaVersion,
): { readonly object?: unknown } {
  switch (p.includeObject) {
    case 'None':
      return {};
    case 'Metadata':
      return { object: partialMetadata(version, obj.metadata) };
    case 'Object':
      return { object: bodyInVersion(def, obj) };
  }
}
