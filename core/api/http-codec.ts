/**
 * The API protocol (http.ts's shapes) and its codecs: JSON, as Kubernetes speaks it. The
 * request codec carries the request line, query, Authorization and Accept headers and body as one JSON document (a real
 * host's HTTP front builds the same `ApiRequest` from a real request line, headers and body);
 * replies and watch frames are the JSON bodies upstream sends (`metav1.WatchEvent` per frame).
 * Decoding checks the envelope's shape, so a malformed message is refused at the edge.
 */
import { isRecord, jsonCodec, noMessages, type Codec } from '../ports/codec.ts';
import type { Protocol } from '../ports/transport.ts';
import type { ApiRequest, ApiResponse, HttpMethod, WatchEventType, WatchFrame } from './http.ts';

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const WATCH_EVENT_TYPES: readonly WatchEventType[] = [
  'ADDED',
  'MODIFIED',
  'DELETED',
  'BOOKMARK',
  'ERROR',
];

function checkRequest(v: unknown): string | undefined {
  if (!isRecord(v)) return 'expected an object';
  if (v.kind !== 'http') return `kind must be "http", got ${JSON.stringify(v.kind)}`;
  if (!METHODS.includes(v.method as HttpMethod))
    return `unsupported method ${JSON.stringify(v.method)}`;
  if (typeof v.path !== 'string' || !v.path.startsWith('/'))
    return `path must be a string starting with "/", got ${JSON.stringify(v.path)}`;
  if (v.query !== undefined) {
    if (!isRecord(v.query)) return 'query must be an object of strings';
    for (const [k, q] of Object.entries(v.query))
      if (typeof q !== 'string') return `query parameter ${k} must be a string`;
  }
  for (const field of ['contentType', 'rawBody', 'authorization', 'accept'] as const)
    if (v[field] !== undefined && typeof v[field] !== 'string') return `${field} must be a string`;
  return undefined;
}

function checkResponse(v: unknown): string | undefined {
  if (!isRecord(v)) return 'expected an object';
  if (!Number.isInteger(v.status) || (v.status as number) < 100 || (v.status as number) > 599)
    return `status must be an HTTP status code, got ${JSON.stringify(v.status)}`;
  if (v.warnings !== undefined) {
    if (!Array.isArray(v.warnings)) return 'warnings must be a list of strings';
    for (const w of v.warnings) if (typeof w !== 'string') return 'warnings must be strings';
  }
  if (v.headers !== undefined) {
    if (!isRecord(v.headers)) return 'headers must be an object of strings';
    for (const [k, h] of Object.entries(v.headers))
      if (typeof h !== 'string') return `header ${k} must be a string`;
  }
  return undefined;
}

function checkFrame(v: unknown): string | undefined {
  if (!isRecord(v)) return 'expected an object';
  if (!WATCH_EVENT_TYPES.includes(v.type as WatchEventType))
    return `unknown watch event type ${JSON.stringify(v.type)}`;
  if (!isRecord(v.object)) return 'object must be an object';
  return undefined;
}

export const API_REQUEST_CODEC: Codec<ApiRequest> = jsonCodec('API request', checkRequest);
export const API_RESPONSE_CODEC: Codec<ApiResponse> = jsonCodec('API response', checkResponse);
export const WATCH_FRAME_CODEC: Codec<WatchFrame> = jsonCodec('watch frame', checkFrame);

export interface ApiTypes {
  readonly request: ApiRequest;
  readonly reply: ApiResponse;
  /** A watch is a GET with `watch=true`. */
  readonly open: ApiRequest;
  readonly stream: WatchFrame;
  readonly datagram: never;
}

/** What clients (components, kubectl through the HTTP front) say to the API server. */
export const API_PROTOCOL: Protocol<ApiTypes> = {
  name: 'api',
  request: API_REQUEST_CODEC,
  reply: API_RESPONSE_CODEC,
  streamOpen: API_REQUEST_CODEC,
  streamMessage: WATCH_FRAME_CODEC,
  datagram: noMessages('API datagrams'),
};
