/**
 * Messages between processes. Three shapes, mirroring what the real host offers:
 *
 * - `send`: a one-way datagram. It may be lost, duplicated, delayed or reordered (Raft traffic).
 * - `request`: one request, at most one reply (an HTTP call). Never duplicated; a lost request
 *   or reply surfaces as `timeout`, whose outcome is unknown to the caller.
 * - `openStream`: an ordered, reliable stream of server messages (a watch over chunked HTTP)
 *   until it breaks; a break is reported once through `onClose` and the client reconnects.
 *   A protocol with a `streamInput` codec also carries the client's messages to the server on
 *   the stream, ordered and reliable as the server's (an exec's stdin and terminal resizes,
 *   as upstream's SPDY or WebSocket streams carry them).
 *
 * Every call names a `Protocol`: one service's messages and their codecs. A process listens on
 * each protocol it serves (a store member on its peer protocol for Raft and on its client
 * protocol for KV requests and watches; the API server on the API protocol), and a message
 * reaches only the listener of its protocol. Addresses stay process names: a real host maps
 * (process, protocol) to a host and port, and speaks each protocol's codecs on its sockets;
 * the simulator keeps traces, faults and partitions by process name.
 *
 * Payloads are immutable once handed over: neither side may mutate a message after sending or
 * receiving it (the simulated network may deliver the same object to several receivers, and in
 * check mode it deep-freezes every message, so a mutation throws).
 */
import { JSON_VALUE_CODEC, type Codec } from './codec.ts';

export type Address = string;

export type CallResult<T = unknown> =
  | { readonly kind: 'reply'; readonly body: T }
  /** No reply within the deadline: the request may or may not have taken effect. */
  | { readonly kind: 'timeout' }
  /** Refused before anything was delivered (nothing listens on that protocol at that address). */
  | { readonly kind: 'refused' };

export interface StreamHandlers<M = unknown> {
  onMessage(msg: M): void;
  /** Called once, when the stream ends for any reason other than the client's own close(). */
  onClose(reason: string): void;
}

export interface ClientStream<I = unknown> {
  close(): void;
  /**
   * Sends `msg` to the server on this stream (only on a protocol with `streamInput`); after a
   * close or a break it is dropped, as a write on a closed connection.
   */
  send(msg: I): void;
}

export interface ServerStream<M = unknown, I = unknown> {
  /** False once the stream is closed; sending on a closed stream is a no-op. */
  readonly open: boolean;
  send(msg: M): void;
  close(): void;
  /** Called once when the client goes away or the stream breaks. */
  onClose(cb: (reason: string) => void): void;
  /**
   * Called with each message the client sends on the stream, in order (see ClientStream.send);
   * what arrived before the first callback was registered is handed to it then.
   */
  onInput(cb: (msg: I) => void): void;
}

/**
 * What a client sends on a stream of protocol types T (`input`); unknown for types that do not
 * say (such a protocol has no `streamInput` codec, and sending on its streams is refused).
 */
export type StreamInput<T> = T extends { readonly input: infer I } ? I : unknown;

/** The message types of one protocol, by shape. */
export interface ProtocolTypes {
  readonly request: unknown;
  readonly reply: unknown;
  /** The request that opens a stream. */
  readonly open: unknown;
  /** What the server sends on a stream. */
  readonly stream: unknown;
  readonly datagram: unknown;
}

/**
 * One service's wire protocol: a name (unique per cluster: a real host gives each protocol of
 * a process its own port) and a codec per message shape. A shape the protocol does not carry
 * has a codec that refuses everything (`noMessages`), and its type is `never`.
 */
export interface Protocol<T extends ProtocolTypes = ProtocolTypes> {
  readonly name: string;
  readonly request: Codec<T['request']>;
  readonly reply: Codec<T['reply']>;
  readonly streamOpen: Codec<T['open']>;
  readonly streamMessage: Codec<T['stream']>;
  readonly datagram: Codec<T['datagram']>;
  /** What clients send on an open stream; absent: streams carry only the server's messages. */
  readonly streamInput?: Codec<StreamInput<T>>;
}

export interface Listener<T extends ProtocolTypes = ProtocolTypes> {
  onMessage?(from: Address, msg: T['datagram']): void;
  /** Answers a request: the reply body, or a promise of it. */
  onRequest?(from: Address, req: T['request']): T['reply'] | Promise<T['reply']>;
  /**
   * The callback form of `onRequest`, for servers that hold many requests open and answer them
   * later in batches (a store leader answering proposals as they commit): no promise per
   * request. Call `reply` at most once; later calls are ignored. A listener that has `onCall`
   * is not asked `onRequest`.
   */
  onCall?(from: Address, req: T['request'], reply: (body: T['reply']) => void): void;
  onStream?(from: Address, req: T['open'], stream: ServerStream<T['stream'], StreamInput<T>>): void;
}

export interface Transport {
  readonly self: Address;
  /** Serves `protocol` on this process (replacing an earlier listener of the same protocol). */
  listen<T extends ProtocolTypes>(protocol: Protocol<T>, listener: Listener<T>): void;
  send<T extends ProtocolTypes>(protocol: Protocol<T>, to: Address, msg: T['datagram']): void;
  request<T extends ProtocolTypes>(
    protocol: Protocol<T>,
    to: Address,
    req: T['request'],
    timeoutUs: number,
  ): Promise<CallResult<T['reply']>>;
  openStream<T extends ProtocolTypes>(
    protocol: Protocol<T>,
    to: Address,
    req: T['open'],
    handlers: StreamHandlers<T['stream']>,
  ): ClientStream<StreamInput<T>>;
}

/** Every shape any JSON value. */
export interface JsonTypes {
  readonly request: unknown;
  readonly reply: unknown;
  readonly open: unknown;
  readonly stream: unknown;
  readonly input: unknown;
  readonly datagram: unknown;
}

/** A protocol that carries any JSON value in every shape (tests, benchmarks, tools). */
export function jsonProtocol(name: string): Protocol<JsonTypes> {
  return {
    name,
    request: JSON_VALUE_CODEC,
    reply: JSON_VALUE_CODEC,
    streamOpen: JSON_VALUE_CODEC,
    streamMessage: JSON_VALUE_CODEC,
    streamInput: JSON_VALUE_CODEC,
    datagram: JSON_VALUE_CODEC,
  };
}
