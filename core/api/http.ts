/**
 * The API's wire shape, shared by clients and the API server: HTTP semantics over the Transport
 * port. The same request shape serves the simulated network and, in real mode, a real HTTP
 * listener that kubectl talks to.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  readonly kind: 'http';
  readonly method: HttpMethod;
  /** Path without query, e.g. `/api/v1/namespaces/default/pods`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /**
   * Content type of a PATCH body: one of PATCH_CONTENT_TYPES (a PATCH without one is a 415, as
   * upstream answers a request without a Content-Type header).
   */
  readonly contentType?: string;
  /**
   * The body as it arrived, when the front has it (an HTTP server reading a socket). Only the
   * raw text shows duplicate fields, which `fieldValidation` reports; `body` is its parse.
   */
  readonly rawBody?: string;
  /** The Authorization header ("Bearer <token>"): the API server authenticates it. */
  readonly authorization?: string;
  /**
   * The Accept header: which representation the client wants (server-side printing as a
   * Table, metadata only as PartialObjectMetadata, or plain JSON). Absent means plain JSON.
   */
  readonly accept?: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  /**
   * The `Warning` headers of the answer (RFC 7234 warn-text, as upstream's `299 - "<text>"`
   * carries it): unknown or duplicate fields under fieldValidation=Warn, and what admission
   * and strategies warn about.
   */
  readonly warnings?: readonly string[];
  /** Response headers beyond the content type (Retry-After on a 429). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The media types a PATCH may carry (upstream's patch handler, for built-in kinds). */
export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

export type PatchContentType = (typeof PATCH_CONTENT_TYPES)[number];

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One frame of a watch stream, as upstream's `metav1.WatchEvent`. */
export interface WatchFrame {
  readonly type: WatchEventType;
  readonly object: unknown;
}
