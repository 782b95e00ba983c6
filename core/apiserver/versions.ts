/**
 * What a request of a definition served from another kind's storage (StoredAs: events.k8s.io/v1
 * Events over the core Events) sees: the registry works on stored objects; request bodies are
 * converted on the way in (registry/body.ts, registry/patch.ts) and everything the server
 * answers is converted here on the way out, as upstream's codecs convert to the request's
 * version.
 */
import type { ApiResponse, WatchFrame } from '../api/http.ts';
import type { ResourceDefinition, VersionedObject } from '../api/kinds/index.ts';
import type { KObject } from '../api/types.ts';
import type { RequestInfo } from './request-info.ts';
import { isStatus } from '../api/errors.ts';

/**
 * Whether the definition serves stored objects as they are: neither another version's view
 * nor a read conversion (a custom resource's defaults, applied on every read as upstream's
 * decoder applies them to what it reads from storage).
 */
export function isStoredForm(def: ResourceDefinition): boolean {
  return def.storedAs === undefined && def.onRead === undefined;
}

/** A response body (object, list or Status) in the definition's version. */
export function bodyInVersion(def: ResourceDefinition, body: unknown): unknown {
  if (isStoredForm(def) || typeof body !== 'object' || body === null) return body;
  const view = def.storedAs;
  const read = (o: KObject): unknown =>
    view !== undefined ? view.fromStored(o) : (def.onRead?.(o) ?? o);
  const b = body as { kind?: unknown; items?: unknown };
  if (b.kind === (view?.kind ?? def.resource.kind)) return read(body as KObject);
  if (b.kind === def.resource.listKind && Array.isArray(b.items)) {
    const items = b.items.map((o: KObject) => read(o));
    // A view that cannot convert an object (a failing conversion webhook) fails the list.
    return items.find(isStatus) ?? { ...b, items };
  }
  return body;
}

export function responseInVersion(info: RequestInfo, r: ApiResponse): ApiResponse {
  return isStoredForm(info.definition) ? r : responseBodyInVersion(info.definition, r);
}

/** The response with its body in the definition's version, or the Status of a failed conversion. */
export function responseBodyInVersion(def: ResourceDefinition, r: ApiResponse): ApiResponse {
  const body = bodyInVersion(def, r.body);
  return isStatus(body) && !isStatus(r.body)
    ? { ...r, status: body.code ?? 500, body }
    : { ...r, body };
}

/** A watch frame in the definition's version; bookmarks and errors carry no stored object. */
export function frameInVersion(def: ResourceDefinition, frame: WatchFrame): WatchFrame {
  if (isStoredForm(def) || frame.type === 'BOOKMARK' || frame.type === 'ERROR') {
    return frame;
  }
  const object = bodyInVersion(def, frame.object);
  return isStatus(object) ? { type: 'ERROR', object } : { ...frame, object };
}

/** A request body of the definition's version (envelope already checked) as stored. */
export function bodyToStored(def: ResourceDefinition, obj: VersionedObject): KObject {
  return def.storedAs === undefined ? (obj as KObject) : def.storedAs.toStored(obj);
}
