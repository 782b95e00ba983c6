import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import {
  connect as tlsConnect,
  createSecureContext,
  TLSSocket,
  type ConnectionOptions,
  type PeerCertificate,
  type SecureContext,
} from 'node:tls';
import type {
  Address,
  CallResult,
  ClientStream,
  Listener,
  Protocol,
  ProtocolTypes,
  ServerStream,
  StreamHandlers,
  Transport,
} from '../../core/ports/transport.ts';
import { assert } from '../../core/util/assert.ts';
import type { TimerId } from '../../core/ports/clock.ts';
import type { AddressBook } from './address-book.ts';
import { encodeFrame, FRAME, FrameReader, type Frame, type FrameType } from './frames.ts';
import { WallClock } from './wall-clock.ts';

export interface TcpTransportOptions {
  /** A connect that gets no answer in this long fails (a stream closes with 'connect timeout'). */
  readonly connectTimeoutUs: number;
  /**
   * Datagrams are dropped (the port allows it) while this many bytes wait to be written on a
   * connection: a peer that does not read must not make this process's memory grow unbounded.
   */
  readonly maxQueuedBytes: number;
  /** Mutual TLS on some connections; without it every connection is plain TCP. */
  readonly tls?: TcpTransportTls;
}

/**
 * Mutual TLS for connections that cross hosts (a joined node and the API server): the client
 * presents its certificate, the server accepts only a certificate its CA signed (upstream's
 * --client-ca-file) and tells listeners who the peer is. Plain connections on the same port
 * go on working (the control plane's own processes on loopback): a TLS ClientHello starts with
 * the byte 0x16, which no frame can (it would announce a frame of over 350 MiB).
 */
export interface TcpTransportTls {
  /**
   * Server: the certificate and key it presents, and the CA a client certificate must chain to;
   * a TLS client without a certificate is served without an identity.
   */
  readonly server?: { readonly cert: string; readonly key: string; readonly ca: string };
  /**
   * Server: what a listener gets for `msg` (a request or a stream's opening request of
   * `protocol`) that came on a TLS connection whose client certificate `peer` verified.
   */
  readonly fromPeer?: (peer: PeerCertificate, protocol: string, msg: unknown) => unknown;
  /** Client: TLS options (ca, cert, key) for connections to `to`; undefined: plain TCP. */
  readonly client?: (to: Address) => ConnectionOptions | undefined;
}

/** The first byte of a TLS handshake record. */
const TLS_HANDSHAKE = 0x16;

export const DEFAULT_TCP_TRANSPORT: TcpTransportOptions = {
  connectTimeoutUs: 1_000_000,
  maxQueuedBytes: 64 * 1024 * 1024,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reasons a stream ends with, as the simulated network gives them where it has the same case. */
export const CLOSED_BY_SERVER = 'closed by server';
export const CLIENT_CLOSED = 'client closed';
export const CONNECTION_LOST = 'connection lost';
export const CONNECT_TIMEOUT = 'connect timeout';

/**
 * TCP keepalive on every connection: a peer host that vanished without a reset (power loss,
 * a partition) is detected by the kernel, which breaks the connection, so its streams close
 * and its calls end instead of hanging.
 */
const KEEPALIVE_DELAY_MS = 5_000;

/** Deadlines on the wall clock, never early (WallClock re-arms a timer Node fires early). */
const TIMERS = new WallClock();

/**
 * The Transport port over TCP: every process listens on one port (its address book entry) and
 * serves all its protocols there; a client opens one connection per (server, protocol), names
 * itself and the protocol in a HELLO frame, then multiplexes datagrams, requests and streams on
 * it as frames (frames.ts) carrying the protocol's codec bytes.
 *
 * Results follow the simulated network's (sim/network.ts): a request to a name not in the book,
 * or whose connection is refused, or that the server has no listener for, is `refused`; one
 * with no reply by its deadline, or whose connection breaks after it was sent, is `timeout`
 * (its outcome is unknown). A stream closes once with 'closed by server', 'connection refused
 * by X', 'connect timeout' or 'connection lost'; the server learns 'client closed' or
 * 'connection lost'. Datagrams may be lost: on a broken connection, behind a full write queue,
 * or when the receiver's codec refuses them.
 *
 * Why frames on TCP rather than HTTP/2 (node:http2): measured on loopback, echoing a 100-byte
 * JSON request 100,000 times with 256 in flight in one process, these frames carried 35,400
 * calls/s and node:http2 (one session, one stream per call) 4,580 calls/s (medians of three,
 * load average 7.5-8.9). HTTP/2's per-stream headers and flow control buy nothing here: both
 * ends are ksim, and the API's HTTP surface is real/http's job, not this transport's.
 */
export class TcpTransport implements Transport {
  private readonly listeners = new Map<string, Served>();
  private readonly connections = new Map<string, ClientConnection>();
  private readonly accepted = new Set<Socket>();
  private server: Server | undefined;
  private closed = false;

  constructor(
    readonly self: Address,
    private readonly book: AddressBook,
    private readonly options: TcpTransportOptions = DEFAULT_TCP_TRANSPORT,
  ) {}

  /**
   * Listens at this process's address-book entry; with port 0 the OS picks a port, which is
   * written back into the book (tests) and returned.
   */
  async start(): Promise<number> {
    const address = this.book.get(this.self);
    assert(address !== undefined, `${this.self} is not in the address book`);
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as { port: number }).port;
    this.book.set(this.self, { host: address.host, port });
    return port;
  }

  /** Stops listening and drops every connection (their calls and streams see them break). */
  async close(): Promise<void> {
    this.closed = true;
    for (const c of [...this.connections.values()]) c.destroy();
    for (const s of [...this.accepted]) s.destroy();
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Drops this process's connections to `to` (their calls and streams see them break), so the
   * next message opens new ones: with new TLS options, a certificate just issued.
   */
  closeConnections(to: Address): void {
    for (const [key, c] of [...this.connections]) if (key.startsWith(`${to}\u0000`)) c.destroy();
  }

  /**
   * Serves TLS with `server` from now on (a kubelet's serving certificate, issued or rotated
   * while it runs): connections made from here on get it, open ones keep theirs.
   */
  setServerTls(server: NonNullable<TcpTransportTls['server']>): void {
    this.replacedServerTls = server;
    this.context = undefined;
    this.clientCa = undefined;
  }

  listen<T extends ProtocolTypes>(protocol: Protocol<T>, listener: Listener<T>): void {
    this.listeners.set(protocol.name, {
      protocol: protocol as Protocol,
      listener: listener as Listener,
    });
  }

  send<T extends ProtocolTypes>(protocol: Protocol<T>, to: Address, msg: T['datagram']): void {
    const bytes = protocol.datagram.encode(msg);
    const conn = this.connection(protocol, to);
    if (conn === undefined || conn.queuedBytes() > this.options.maxQueuedBytes) return;
    conn.write(FRAME.datagram, 0, bytes);
  }

  request<T extends ProtocolTypes>(
    protocol: Protocol<T>,
    to: Address,
    req: T['request'],
    timeoutUs: number,
  ): Promise<CallResult<T['reply']>> {
    assert(
      Number.isInteger(timeoutUs) && timeoutUs >= 0,
      `request timeout must be a non-negative integer, got ${timeoutUs}`,
    );
    const bytes = protocol.request.encode(req);
    const conn = this.connection(protocol, to);
    if (conn === undefined) return Promise.resolve({ kind: 'refused' });
    return conn.call(bytes, timeoutUs) as Promise<CallResult<T['reply']>>;
  }

  openStream<T extends ProtocolTypes>(
    protocol: Protocol<T>,
    to: Address,
    req: T['open'],
    handlers: StreamHandlers<T['stream']>,
  ): ClientStream {
    const bytes = protocol.streamOpen.encode(req);
    const conn = this.connection(protocol, to);
    if (conn === undefined) {
      setImmediate(() => handlers.onClose(`no process ${to}`));
      return { close() {}, send() {} };
    }
    return conn.openStream(bytes, handlers as StreamHandlers);
  }

  private connection(protocol: Protocol, to: Address): ClientConnection | undefined {
    const key = `${to}\u0000${protocol.name}`;
    const existing = this.connections.get(key);
    if (existing !== undefined) return existing;
    const address = this.book.get(to);
    if (address === undefined || this.closed) return undefined;
    const secure = this.options.tls?.client?.(to);
    const socket =
      secure === undefined
        ? createConnection({
            host: address.host,
            port: address.port,
            noDelay: true,
            keepAlive: true,
            keepAliveInitialDelay: KEEPALIVE_DELAY_MS,
          })
        : tlsConnect({ ...secure, host: address.host, port: address.port });
    if (secure !== undefined) {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
    }
    const conn = new ClientConnection(this.self, to, protocol, socket, this.options, () => {
      if (this.connections.get(key) === conn) this.connections.delete(key);
    });
    this.connections.set(key, conn);
    return conn;
  }

  // ---- server side ---------------------------------------------------------------------------

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
    this.accepted.add(socket);
    const serve = (s: Socket, fromPeer?: (protocol: string, msg: unknown) => unknown): void => {
      new ServerConnection(
        s,
        this.self,
        (protocol) => this.listeners.get(protocol),
        () => this.accepted.delete(socket),
        fromPeer,
      );
    };
    const context = this.secureContext();
    if (context === undefined) return serve(socket);
    socket.once('data', (first: Buffer) => {
      if (first[0] !== TLS_HANDSHAKE) {
        socket.pause();
        socket.unshift(first);
        serve(socket);
        socket.resume();
        return;
      }
      const secure = new TLSSocket(streamOf(socket, first), {
        isServer: true,
        secureContext: context,
        requestCert: true,
        rejectUnauthorized: false,
      });
      secure.on('error', () => socket.destroy());
      secure.once('secure', () => {
        const peer = secure.getPeerCertificate();
        // Without a certificate (a node bootstrapping with its token) the connection is TLS
        // alone; one the CA did not sign is refused, as upstream's x509 authenticator fails it.
        if (Object.keys(peer).length === 0) return serve(secure);
        if (!this.signedByCa(secure.getPeerX509Certificate())) return secure.destroy();
        const fromPeer = this.options.tls?.fromPeer;
        serve(
          secure,
          fromPeer === undefined ? undefined : (protocol, msg) => fromPeer(peer, protocol, msg),
        );
      });
    });
  }

  private context: SecureContext | undefined;
  private clientCa: X509Certificate | undefined;
  /** setServerTls's credentials, which replace the options' from then on. */
  private replacedServerTls: TcpTransportTls['server'];

  private get serverTls(): TcpTransportTls['server'] {
    return this.replacedServerTls ?? this.options.tls?.server;
  }

  /**
   * Whether the CA signed `cert` and it is valid now. A TLSSocket made outside a tls.Server
   * never sets `authorized` (the server's handler does), so the check is made here; the client
   * certificates this serves are the CA's own issue, with no intermediate.
   */
  private signedByCa(cert: X509Certificate | undefined): boolean {
    const pem = this.serverTls?.ca;
    if (cert === undefined || pem === undefined) return false;
    this.clientCa ??= new X509Certificate(pem);
    const now = Date.now();
    return (
      cert.checkIssued(this.clientCa) &&
      cert.verify(this.clientCa.publicKey) &&
      Date.parse(cert.validFrom) <= now &&
      now < Date.parse(cert.validTo)
    );
  }

  private secureContext(): SecureContext | undefined {
    const server = this.serverTls;
    if (server === undefined) return undefined;
    this.context ??= createSecureContext({ cert: server.cert, key: server.key, ca: server.ca });
    return this.context;
  }
}

/**
 * `socket`, whose first chunk was read already, as a stream that gives `first` again: a TLS
 * server socket on a net.Socket takes over its handle and would never see that chunk, one on
 * any other stream reads the stream.
 */
function streamOf(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, done) => void socket.write(chunk, done),
    final: (done) => {
      socket.end();
      done();
    },
    destroy: (error, done) => {
      socket.destroy(error ?? undefined);
      done(error);
    },
  });
  stream.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  socket.on('error', () => undefined);
  return stream;
}

/** Writes frames, corked for the rest of the tick so a burst of frames is one system call. */
class FrameWriter {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  write(type: FrameType, id: number, payload: Uint8Array): void {
    if (this.socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(encodeFrame(type, id, payload));
  }
}

/** A protocol this process serves, with its listener. */
interface Served {
  readonly protocol: Protocol;
  readonly listener: Listener;
}

interface PendingCall {
  readonly resolve: (result: CallResult) => void;
  readonly timer: TimerId;
}

/** The client end of one (server, protocol) connection. */
class ClientConnection {
  private readonly writer: FrameWriter;
  private readonly calls = new Map<number, PendingCall>();
  private readonly streams = new Map<number, StreamHandlers>();
  private nextId = 1;
  private connected = false;
  private dead = false;
  private readonly connectTimer: TimerId;

  constructor(
    from: Address,
    to: Address,
    private readonly protocol: Protocol,
    private readonly socket: Socket,
    options: TcpTransportOptions,
    private readonly forget: () => void,
  ) {
    this.writer = new FrameWriter(socket);
    // Frames written before the connect completes wait in the socket's buffer.
    this.writer.write(
      FRAME.hello,
      0,
      encoder.encode(JSON.stringify({ from, protocol: protocol.name })),
    );
    this.connectTimer = TIMERS.setTimer(options.connectTimeoutUs, () => this.fail(CONNECT_TIMEOUT));
    socket.once('connect', () => {
      this.connected = true;
      TIMERS.cancelTimer(this.connectTimer);
    });
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        return this.fail(`${CONNECTION_LOST}: ${(e as Error).message}`);
      }
      for (const frame of frames) this.onFrame(frame);
    });
    socket.on('error', () => undefined);
    socket.on('close', () =>
      this.fail(this.connected ? CONNECTION_LOST : `connection refused by ${to}`),
    );
  }

  queuedBytes(): number {
    return this.socket.writableLength;
  }

  write(type: FrameType, id: number, payload: Uint8Array): void {
    this.writer.write(type, id, payload);
  }

  call(bytes: Uint8Array, timeoutUs: number): Promise<CallResult> {
    const id = this.id();
    return new Promise((resolve) => {
      const timer = TIMERS.setTimer(timeoutUs, () => {
        this.calls.delete(id);
        resolve({ kind: 'timeout' });
      });
      this.calls.set(id, { resolve, timer });
      this.writer.write(FRAME.request, id, bytes);
    });
  }

  openStream(bytes: Uint8Array, handlers: StreamHandlers): ClientStream {
    const id = this.id();
    this.streams.set(id, handlers);
    this.writer.write(FRAME.open, id, bytes);
    const input = this.protocol.streamInput;
    return {
      close: () => {
        if (this.streams.delete(id)) this.writer.write(FRAME.close, id, new Uint8Array(0));
      },
      send: (msg) => {
        assert(input !== undefined, `${this.protocol.name} streams carry no input`);
        if (this.streams.has(id)) this.writer.write(FRAME.input, id, input.encode(msg));
      },
    };
  }

  destroy(): void {
    this.fail(CONNECTION_LOST);
  }

  private id(): number {
    const id = this.nextId;
    this.nextId = id === 0xffff_ffff ? 1 : id + 1;
    return id;
  }

  private onFrame(frame: Frame): void {
    switch (frame.type) {
      case FRAME.reply:
      case FRAME.refused: {
        const call = this.calls.get(frame.id);
        if (call === undefined) return;
        this.calls.delete(frame.id);
        TIMERS.cancelTimer(call.timer);
        if (frame.type === FRAME.refused) return call.resolve({ kind: 'refused' });
        let body: unknown;
        try {
          body = this.protocol.reply.decode(frame.payload);
        } catch {
          // A reply we cannot read: the request may have taken effect, so its outcome is unknown.
          return call.resolve({ kind: 'timeout' });
        }
        return call.resolve({ kind: 'reply', body });
      }
      case FRAME.streamMessage: {
        const handlers = this.streams.get(frame.id);
        if (handlers === undefined) return;
        let msg: unknown;
        try {
          msg = this.protocol.streamMessage.decode(frame.payload);
        } catch (e) {
          this.streams.delete(frame.id);
          this.writer.write(FRAME.close, frame.id, new Uint8Array(0));
          return handlers.onClose(`bad stream message: ${(e as Error).message}`);
        }
        return handlers.onMessage(msg);
      }
      case FRAME.end: {
        const handlers = this.streams.get(frame.id);
        if (handlers === undefined) return;
        this.streams.delete(frame.id);
        return handlers.onClose(decoder.decode(frame.payload));
      }
      default:
        return this.fail(`${CONNECTION_LOST}: unexpected frame type ${frame.type}`);
    }
  }

  /** The connection is gone: every call and stream on it learns so, once. */
  private fail(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    TIMERS.cancelTimer(this.connectTimer);
    this.forget();
    this.socket.destroy();
    // Nothing was delivered on a connection that never opened; on one that broke, a request
    // may have been served, so its outcome is unknown.
    const result: CallResult = this.connected ? { kind: 'timeout' } : { kind: 'refused' };
    for (const call of this.calls.values()) {
      TIMERS.cancelTimer(call.timer);
      call.resolve(result);
    }
    this.calls.clear();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const handlers of streams) handlers.onClose(reason);
  }
}

interface OpenServerStream {
  open: boolean;
  readonly closeCallbacks: Array<(reason: string) => void>;
  readonly inputCallbacks: Array<(msg: unknown) => void>;
  /** Input that arrived before the server asked for it. */
  readonly earlyInput: unknown[];
}

function parseHello(payload: Uint8Array): { from: Address; protocol: string } | undefined {
  try {
    const v = JSON.parse(decoder.decode(payload)) as { from?: unknown; protocol?: unknown };
    if (typeof v.from === 'string' && typeof v.protocol === 'string')
      return { from: v.from, protocol: v.protocol };
  } catch {
    // Not JSON: not one of ours.
  }
  return undefined;
}

/** The server end of one accepted connection. */
class ServerConnection {
  private readonly writer: FrameWriter;
  private hello: { readonly from: Address; readonly protocol: string } | undefined;
  private readonly streams = new Map<number, OpenServerStream>();
  private dead = false;

  constructor(
    private readonly socket: Socket,
    private readonly self: Address,
    private readonly servedAs: (protocol: string) => Served | undefined,
    private readonly forget: () => void,
    /** A verified TLS peer's view of each request and stream opening (TcpTransportTls). */
    private readonly fromPeer?: (protocol: string, msg: unknown) => unknown,
  ) {
    this.writer = new FrameWriter(socket);
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = reader.push(chunk);
      } catch {
        return this.fail(CONNECTION_LOST);
      }
      for (const frame of frames) if (!this.dead) this.onFrame(frame);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.fail(CONNECTION_LOST));
  }

  private onFrame(frame: Frame): void {
    if (this.hello === undefined) {
      this.hello = frame.type === FRAME.hello ? parseHello(frame.payload) : undefined;
      if (this.hello === undefined) this.fail(CONNECTION_LOST);
      return;
    }
    const from = this.hello.from;
    // Looked up per frame: a process may start listening after a client connected.
    const served = this.servedAs(this.hello.protocol);
    switch (frame.type) {
      case FRAME.datagram:
        return this.onDatagram(from, served, frame.payload);
      case FRAME.request:
        return this.onRequest(from, served, frame);
      case FRAME.open:
        return this.onOpen(from, served, frame);
      case FRAME.close: {
        const stream = this.streams.get(frame.id);
        if (stream !== undefined) this.end(frame.id, stream, CLIENT_CLOSED);
        return;
      }
      case FRAME.input:
        return this.onInput(served, frame);
      default:
        return this.fail(CONNECTION_LOST);
    }
  }

  private onDatagram(from: Address, served: Served | undefined, payload: Uint8Array): void {
    if (served?.listener.onMessage === undefined) return;
    let msg: unknown;
    try {
      msg = served.protocol.datagram.decode(payload);
    } catch {
      return; // A datagram its codec refuses is lost, as datagrams may be.
    }
    served.listener.onMessage(from, msg);
  }

  private onRequest(from: Address, served: Served | undefined, frame: Frame): void {
    const listener = served?.listener;
    if (
      served === undefined ||
      (listener?.onCall === undefined && listener?.onRequest === undefined)
    )
      return this.writer.write(FRAME.refused, frame.id, new Uint8Array(0));
    let req: unknown;
    try {
      req = served.protocol.request.decode(frame.payload);
    } catch {
      return this.writer.write(FRAME.refused, frame.id, new Uint8Array(0));
    }
    if (this.fromPeer !== undefined) req = this.fromPeer(served.protocol.name, req);
    let replied = false;
    const reply = (body: unknown): void => {
      if (replied || this.dead) return;
      replied = true;
      this.writer.write(FRAME.reply, frame.id, served.protocol.reply.encode(body));
    };
    if (listener.onCall !== undefined) return listener.onCall(from, req, reply);
    const answer = listener.onRequest!(from, req);
    if (answer instanceof Promise) void answer.then(reply);
    else reply(answer);
  }

  private onOpen(from: Address, served: Served | undefined, frame: Frame): void {
    const onStream = served?.listener.onStream;
    if (served === undefined || onStream === undefined) {
      return this.writer.write(
        FRAME.end,
        frame.id,
        encoder.encode(`connection refused by ${this.self}`),
      );
    }
    let req: unknown;
    try {
      req = served.protocol.streamOpen.decode(frame.payload);
    } catch (e) {
      return this.writer.write(
        FRAME.end,
        frame.id,
        encoder.encode(`bad stream request: ${(e as Error).message}`),
      );
    }
    if (this.fromPeer !== undefined) req = this.fromPeer(served.protocol.name, req);
    const id = frame.id;
    const state: OpenServerStream = {
      open: true,
      closeCallbacks: [],
      inputCallbacks: [],
      earlyInput: [],
    };
    this.streams.set(id, state);
    const writer = this.writer;
    const codec = served.protocol.streamMessage;
    const stream: ServerStream = {
      get open() {
        return state.open;
      },
      send(msg) {
        if (state.open) writer.write(FRAME.streamMessage, id, codec.encode(msg));
      },
      close: () => {
        if (!state.open) return;
        writer.write(FRAME.end, id, encoder.encode(CLOSED_BY_SERVER));
        state.open = false;
        this.streams.delete(id);
      },
      onClose(cb) {
        state.closeCallbacks.push(cb);
      },
      onInput(cb) {
        state.inputCallbacks.push(cb);
        for (const msg of state.earlyInput.splice(0)) cb(msg);
      },
    };
    onStream.call(served.listener, from, req, stream);
  }

  /** Input on an open stream; bytes its codec refuses end the stream (as a bad message does). */
  private onInput(served: Served | undefined, frame: Frame): void {
    const stream = this.streams.get(frame.id);
    if (stream === undefined || !stream.open) return;
    const codec = served?.protocol.streamInput;
    let msg: unknown;
    try {
      if (codec === undefined) throw new Error('the protocol carries no stream input');
      msg = codec.decode(frame.payload);
    } catch (e) {
      this.writer.write(
        FRAME.end,
        frame.id,
        encoder.encode(`bad stream input: ${(e as Error).message}`),
      );
      return this.end(frame.id, stream, `bad stream input: ${(e as Error).message}`);
    }
    if (stream.inputCallbacks.length === 0) stream.earlyInput.push(msg);
    for (const cb of stream.inputCallbacks) cb(msg);
  }

  private end(id: number, stream: OpenServerStream, reason: string): void {
    this.streams.delete(id);
    if (!stream.open) return;
    stream.open = false;
    for (const cb of stream.closeCallbacks.splice(0)) cb(reason);
  }

  private fail(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.forget();
    this.socket.destroy();
    for (const [id, stream] of [...this.streams]) this.end(id, stream, reason);
  }
}
