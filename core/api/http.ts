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
  /** Content type of a PATCH body. */
  readonly contentType?: string;
  /** The Authorization header ("Bearer <token>"): the API server authenticates it. */
  readonly authorization?: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  /** Response headers beyond the content type (Retry-After on a 429). */
  readonly headers?: Readonly<Record<string, string>>;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One frame of a watch stream, as upstream's `metav1.WatchEvent`. */
export interface WatchFrame {
  readonly type: WatchEventType;
  readonly object: unknown;
}
