import type {
  Op,
  Result,
  Revision,
  StoreError,
  WatchId,
  WatchRequest,
  WatchResponse,
} from './types.ts';

/** A KV operation sent to a store member (request/response over the Transport port). */
export interface KvRequest {
  readonly kind: 'kv';
  readonly op: Op;
}

export type KvReply =
  | { readonly kind: 'result'; readonly result: Result }
  /** This member cannot serve the op now; `leader` names the member that can, when known. */
  | { readonly kind: 'not-leader'; readonly leader?: string };

/** Opens a watch stream on a store member. */
export interface WatchOpen {
  readonly kind: 'watch';
  readonly request: WatchRequest;
}

export type WatchStreamMessage =
  | { readonly kind: 'created'; readonly watchId: WatchId }
  | { readonly kind: 'events'; readonly response: WatchResponse }
  /** Everything up to `revision` has been sent: lets clients bookmark without changes. */
  | { readonly kind: 'progress'; readonly revision: Revision }
  /** The watch could not start (e.g. compacted); the stream closes after this. */
  | { readonly kind: 'error'; readonly error: StoreError };
