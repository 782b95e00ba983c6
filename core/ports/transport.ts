/**
 * Messages between processes. Three shapes, mirroring what the real host offers:
 *
 * - `send`: a one-way datagram. It may be lost, duplicated, delayed or reordered (Raft traffic).
 * - `request`: one request, at most one reply (an HTTP call). Never duplicated; a lost request
 *   or reply surfaces as `timeout`, whose outcome is unknown to the caller.
 * - `openStream`: an ordered, reliable stream of server messages (a watch over chunked HTTP)
 *   until it breaks; a break is reported once through `onClose` and the client reconnects.
 *
 * Payloads are immutable once handed over: neither side may mutate a message after sending or
 * receiving it (the simulated network may deliver the same object to several receivers).
 */
export type Address = string;

export type CallResult<T = unknown> =
  | { readonly kind: 'reply'; readonly body: T }
  /** No reply within the deadline: the request may or may not have taken effect. */
  | { readonly kind: 'timeout' }
  /** Refused before anything was delivered (no listener at that address). */
  | { readonly kind: 'refused' };

export interface StreamHandlers<M = unknown> {
  onMessage(msg: M): void;
  /** Called once, when the stream ends for any reason other than the client's own close(). */
  onClose(reason: string): void;
}

export interface ClientStream {
  close(): void;
}

export interface ServerStream<M = unknown> {
  /** False once the stream is closed; sending on a closed stream is a no-op. */
  readonly open: boolean;
  send(msg: M): void;
  close(): void;
  /** Called once when the client goes away or the stream breaks. */
  onClose(cb: (reason: string) => void): void;
}

export interface Listener {
  onMessage?(from: Address, msg: unknown): void;
  /** Answers a request: the reply body, or a promise of it. */
  onRequest?(from: Address, req: unknown): unknown | Promise<unknown>;
  /**
   * The callback form of `onRequest`, for servers that hold many requests open and answer them
   * later in batches (a store leader answering proposals as they commit): no promise per
   * request. Call `reply` at most once; later calls are ignored. A listener that has `onCall`
   * is not asked `onRequest`.
   */
  onCall?(from: Address, req: unknown, reply: (body: unknown) => void): void;
  onStream?(from: Address, req: unknown, stream: ServerStream): void;
}

export interface Transport {
  readonly self: Address;
  listen(listener: Listener): void;
  send(to: Address, msg: unknown): void;
  request<T = unknown>(to: Address, req: unknown, timeoutUs: number): Promise<CallResult<T>>;
  openStream<M = unknown>(to: Address, req: unknown, handlers: StreamHandlers<M>): ClientStream;
}
