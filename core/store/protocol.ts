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

/**
 * This member cannot serve the request now; `leader` names the member that can, when known.
 * A member removed from the cluster names no leader but lists the members it last knew
 * (`members`), so that a client whose every address was replaced can still find the cluster.
 */
export interface NotLeaderReply {
  readonly kind: 'not-leader';
  readonly leader?: string;
  readonly members?: readonly string[];
}

export type KvReply = { readonly kind: 'result'; readonly result: Result } | NotLeaderReply;

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
  | { readonly kind: 'error'; readonly error: StoreError }
  /**
   * This member was removed from the cluster; the stream closes after this. `members` are the
   * ones it last knew: watch again there, from the next revision.
   */
  | { readonly kind: 'member-removed'; readonly members: readonly string[] };
