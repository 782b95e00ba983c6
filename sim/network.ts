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
} from '../core/ports/transport.ts';
import type { Random } from '../core/ports/random.ts';
import type { TraceFieldsOf } from '../core/trace/types.ts';
import { assert, assertNever } from '../core/util/assert.ts';
import type { EventLoop, EventOwner } from './event-loop.ts';
import type { TraceRecorder } from './trace.ts';
import type { DeliveryCheck, WireCheck } from './wire-check.ts';

export type LatencyModel =
  | { readonly kind: 'constant'; readonly us: number }
  | { readonly kind: 'uniform'; readonly minUs: number; readonly maxUs: number }
  /** minUs plus an exponential tail with the given mean above the minimum. */
  | { readonly kind: 'exponential'; readonly minUs: number; readonly meanUs: number };

export interface LinkOptions {
  readonly latency: LatencyModel;
  /** Datagrams, requests and replies are dropped; stream messages are retransmitted instead. */
  readonly lossProbability: number;
  /** Datagrams only: a second copy is delivered with its own latency. */
  readonly duplicateProbability: number;
}

export interface NetworkOptions {
  readonly link: LinkOptions;
  /** Extra delay a lost stream segment costs (TCP retransmission timeout). */
  readonly retransmitUs: number;
  /** How long a client waits for a stream to open before giving up. */
  readonly connectTimeoutUs: number;
}

export const DEFAULT_LINK: LinkOptions = {
  latency: { kind: 'uniform', minUs: 200, maxUs: 800 },
  lossProbability: 0,
  duplicateProbability: 0,
};

export const DEFAULT_NETWORK: NetworkOptions = {
  link: DEFAULT_LINK,
  retransmitUs: 200_000,
  connectTimeoutUs: 1_000_000,
};

export function validateLatency(model: LatencyModel): void {
  switch (model.kind) {
    case 'constant':
      assert(model.us >= 0, 'latency must be non-negative');
      return;
    case 'uniform':
      assert(
        model.minUs >= 0 && model.maxUs >= model.minUs,
        'uniform latency needs 0 <= minUs <= maxUs',
      );
      return;
    case 'exponential':
      assert(
        model.minUs >= 0 && model.meanUs >= model.minUs,
        'exponential latency needs 0 <= minUs <= meanUs',
      );
      return;
    default:
      assertNever(model, 'latency model');
  }
}

export function sampleLatency(model: LatencyModel, random: Random): number {
  switch (model.kind) {
    case 'constant':
      return model.us;
    case 'uniform':
      return model.minUs + Math.floor(random.float() * (model.maxUs - model.minUs + 1));
    case 'exponential':
      return model.minUs + Math.floor(-Math.log(1 - random.float()) * (model.meanUs - model.minUs));
    default:
      return assertNever(model, 'latency model');
  }
}

interface Role {
  readonly protocol: string;
  readonly listener: Listener;
}

function listenerOf(node: NetNode, protocol: Protocol): Listener | undefined {
  const roles = node.roles;
  for (let i = 0; i < roles.length; i++) {
    const role = roles[i]!;
    if (role.protocol === protocol.name) return role.listener;
  }
  return undefined;
}

/** A process as the network sees it: its current incarnation and what it listens for. */
interface NetNode {
  readonly name: string;
  readonly owner: EventOwner;
  /**
   * The roles this incarnation serves, by protocol name. A list, not a map: a process serves
   * one or two protocols, and a scan of interned names is cheaper than hashing per message.
   */
  readonly roles: Role[];
  readonly streams: Set<Stream>;
}

/**
 * Sees every stream of a protocol as its client does: opened when the server accepted it, and
 * each message when it reaches the client (the invariant checkers' view of watch streams).
 * It only reads: the run is the same with or without one.
 */
export interface StreamObserver {
  readonly protocol: string;
  opened(stream: number, client: string, server: string, request: unknown): void;
  delivered(stream: number, message: unknown): void;
}

class Stream {
  /** Numbered per network, for observers. */
  id = 0;
  /** 'closing': the server closed gracefully and its last messages are still in flight. */
  state: 'open' | 'closing' | 'closed' = 'open';
  /** The server accepted the stream; until then the client's connect timeout may end it. */
  established = false;
  /** Deliveries on each direction are FIFO: nothing arrives before what was sent earlier. */
  lastToClientUs = 0;
  lastToServerUs = 0;
  /** Who sees this stream's messages (observeStreams), if anyone. */
  observers: StreamObserver[] | undefined;
  private readonly serverCloseCallbacks: Array<(reason: string) => void> = [];
  readonly serverInputCallbacks: Array<(msg: unknown) => void> = [];
  /** Input that arrived before the server asked for it. */
  readonly earlyInput: unknown[] = [];

  constructor(
    readonly client: NetNode,
    readonly clientIncarnation: number,
    readonly server: NetNode,
    readonly protocol: Protocol,
    readonly handlers: StreamHandlers,
  ) {}

  onServerClose(cb: (reason: string) => void): void {
    this.serverCloseCallbacks.push(cb);
  }

  notifyServer(reason: string): void {
    for (const cb of this.serverCloseCallbacks.splice(0)) cb(reason);
  }
}

type LinkKey = string;
const linkKey = (from: Address, to: Address): LinkKey => `${from}\u0000${to}`;

/**
 * The simulated network: latency per link drawn from a distribution, loss, duplication,
 * reordering (from latency jitter), directed blocks for partitions of any shape, and clogging
 * (messages held until a given time, as FoundationDB's swizzle-clogging). All randomness comes
 * from one forked stream, so the network's draws never disturb the processes' own.
 *
 * A process listens on one or more protocols; a message reaches the listener of its protocol
 * at the destination process. Faults and partitions apply to processes, whatever the protocol.
 * Receivers get the sender's objects, not bytes: with a `WireCheck` (check mode) every message
 * is frozen when sent and a sample is round-tripped through its protocol's codecs.
 */
export class Network {
  private readonly nodes = new Map<Address, NetNode>();
  private readonly linkOverrides = new Map<LinkKey, LinkOptions>();
  private readonly blocked = new Set<LinkKey>();
  private readonly clogUntilUs = new Map<string, number>();
  private options: NetworkOptions;
  private delivered = 0;
  private dropped = 0;
  private readonly streamObservers: StreamObserver[] = [];
  private streamsOpened = 0;

  constructor(
    private readonly loop: EventLoop,
    private readonly random: Random,
    private readonly trace: TraceRecorder,
    options: NetworkOptions = DEFAULT_NETWORK,
    private readonly check: WireCheck | undefined = undefined,
  ) {
    validateLatency(options.link.latency);
    this.options = options;
  }

  get stats(): { readonly delivered: number; readonly dropped: number } {
    return { delivered: this.delivered, dropped: this.dropped };
  }

  observeStreams(observer: StreamObserver): void {
    this.streamObservers.push(observer);
  }

  private observersOf(protocol: Protocol): StreamObserver[] | undefined {
    if (this.streamObservers.length === 0) return undefined;
    const found = this.streamObservers.filter((o) => o.protocol === protocol.name);
    return found.length === 0 ? undefined : found;
  }

  /** Attaches a fresh incarnation of a process: a new endpoint with no listener yet. */
  attach(owner: EventOwner): Transport {
    let node = this.nodes.get(owner.name);
    if (node === undefined) {
      node = { name: owner.name, owner, roles: [], streams: new Set() };
      this.nodes.set(owner.name, node);
    }
    node.roles.length = 0;
    return new SimEndpoint(this, node, owner.incarnation);
  }

  /** Called when a process crashes: its streams break and the peers learn of it. */
  detach(name: Address): void {
    const node = this.nodes.get(name);
    if (node === undefined) return;
    node.roles.length = 0;
    for (const stream of [...node.streams]) this.breakStream(stream, `${name} crashed`);
  }

  setDefaultLink(link: LinkOptions): void {
    validateLatency(link.latency);
    this.options = { ...this.options, link };
  }

  setLink(from: Address, to: Address, link: LinkOptions): void {
    validateLatency(link.latency);
    this.linkOverrides.set(linkKey(from, to), link);
  }

  /** Blocks traffic from `from` to `to` only (a one-way partition). */
  block(from: Address, to: Address): void {
    this.blocked.add(linkKey(from, to));
    this.trace.record('sim', 'fault.block', { from, to });
    this.breakBlockedStreams();
  }

  /** Splits the named processes into groups that cannot reach each other (both ways). */
  partition(groups: readonly (readonly Address[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i] ?? [])
          for (const b of groups[j] ?? []) this.blocked.add(linkKey(a, b));
      }
    }
    this.trace.record('sim', 'fault.partition', { groups: groups.map((g) => [...g]) });
    this.breakBlockedStreams();
  }

  /** Cuts one process off from every other known process, both ways. */
  isolate(name: Address): void {
    const others = [...this.nodes.keys()].filter((n) => n !== name);
    this.partition([[name], others]);
  }

  heal(): void {
    this.blocked.clear();
    this.clogUntilUs.clear();
    this.trace.record('sim', 'fault.heal');
  }

  /** Holds every message to or from `name` until `durationUs` from now (delayed, not lost). */
  clog(name: Address, durationUs: number): void {
    this.clogUntilUs.set(name, this.loop.now + durationUs);
    this.trace.record('sim', 'fault.clog', { process: name, durationUs });
  }

  isBlocked(from: Address, to: Address): boolean {
    return this.blocked.size > 0 && this.blocked.has(linkKey(from, to));
  }

  // ---- internals used by endpoints ---------------------------------------------------------

  node(name: Address): NetNode | undefined {
    return this.nodes.get(name);
  }

  private link(from: Address, to: Address): LinkOptions {
    if (this.linkOverrides.size === 0) return this.options.link;
    return this.linkOverrides.get(linkKey(from, to)) ?? this.options.link;
  }

  /** Arrival time of a message sent now, or -1 when it is lost. */
  private arrival(from: Address, to: Address, reliable: boolean): number {
    const link = this.link(from, to);
    let delayUs = sampleLatency(link.latency, this.random);
    if (link.lossProbability > 0 && this.random.float() < link.lossProbability) {
      if (!reliable) return -1;
      delayUs += this.options.retransmitUs;
    }
    let at = this.loop.now + delayUs;
    if (this.clogUntilUs.size > 0) {
      at = Math.max(at, this.clogUntilUs.get(from) ?? 0, this.clogUntilUs.get(to) ?? 0);
    }
    return at;
  }

  /**
   * One packet of simulated service traffic (sim/traffic) from machine `from` to machine `to`:
   * the link's latency, loss (a lost TCP segment costs a retransmission, as on a stream),
   * partitions and clogging apply. `deliver` runs on arrival when `to` is up then; otherwise, or
   * across a partition, the packet is gone and the sender hears nothing. The draws come from
   * the caller's stream, so traffic does not shift the draws of the cluster's own messages.
   */
  carry(from: Address, to: Address, random: Random, deliver: () => void): void {
    const dest = this.nodes.get(to);
    if (dest === undefined || this.isBlocked(from, to)) return;
    const link = this.link(from, to);
    let delayUs = sampleLatency(link.latency, random);
    if (link.lossProbability > 0 && random.float() < link.lossProbability)
      delayUs += this.options.retransmitUs;
    let at = this.loop.now + delayUs;
    if (this.clogUntilUs.size > 0)
      at = Math.max(at, this.clogUntilUs.get(from) ?? 0, this.clogUntilUs.get(to) ?? 0);
    this.loop.scheduleAt(at, () => {
      if (dest.owner.alive && !this.isBlocked(from, to)) deliver();
    });
  }

  sendDatagram(from: Address, to: Address, protocol: Protocol, msg: unknown): void {
    const verify = this.check?.sent(protocol, 'datagram', msg);
    const dest = this.nodes.get(to);
    if (dest === undefined || !dest.owner.alive || this.isBlocked(from, to)) {
      this.drop(
        from,
        to,
        msg,
        dest === undefined ? 'unknown' : dest.owner.alive ? 'blocked' : 'down',
      );
      return;
    }
    const copies =
      this.link(from, to).duplicateProbability > 0 &&
      this.random.float() < this.link(from, to).duplicateProbability
        ? 2
        : 1;
    for (let i = 0; i < copies; i++) {
      const at = this.arrival(from, to, false);
      if (at < 0) {
        this.drop(from, to, msg, 'lost');
        continue;
      }
      this.loop.scheduleAt(
        at,
        () => this.deliverDatagram(dest, from, protocol, msg, verify),
        dest.owner,
      );
    }
  }

  private deliverDatagram(
    dest: NetNode,
    from: Address,
    protocol: Protocol,
    msg: unknown,
    verify: DeliveryCheck | undefined,
  ): unknown {
    const listener = listenerOf(dest, protocol);
    const onMessage = listener?.onMessage;
    if (onMessage === undefined) return undefined;
    this.delivered++;
    verify?.();
    if (this.trace.debugEnabled)
      this.trace.record(dest.name, 'net.recv', { from, msg: kindOf(msg) });
    return onMessage.call(listener, from, msg);
  }

  private drop(
    from: Address,
    to: Address,
    msg: unknown,
    reason: TraceFieldsOf<'net.drop'>['reason'],
  ): void {
    this.dropped++;
    if (this.trace.debugEnabled)
      this.trace.record(from, 'net.drop', { to, msg: kindOf(msg), reason });
  }

  request<T>(
    client: NetNode,
    protocol: Protocol,
    to: Address,
    req: unknown,
    timeoutUs: number,
  ): Promise<CallResult<T>> {
    const from = client.name;
    assert(
      Number.isInteger(timeoutUs) && timeoutUs >= 0,
      `request timeout must be a non-negative integer, got ${timeoutUs}`,
    );
    const verify = this.check?.sent(protocol, 'request', req);
    return new Promise((resolve) => {
      let done = false;
      const finish = (result: CallResult<T>): void => {
        if (done) return;
        done = true;
        this.loop.cancel(timer);
        resolve(result);
      };
      const timer = this.loop.schedule(timeoutUs, () => finish({ kind: 'timeout' }), client.owner);
      const server = this.nodes.get(to);
      if (server === undefined) {
        this.loop.schedule(0, () => finish({ kind: 'refused' }), client.owner);
        return;
      }
      if (this.isBlocked(from, to)) return this.drop(from, to, req, 'blocked');
      const at = this.arrival(from, to, false);
      if (at < 0) return this.drop(from, to, req, 'lost');
      this.loop.scheduleAt(
        at,
        () => {
          const listener = listenerOf(server, protocol);
          const answers = listener?.onCall !== undefined || listener?.onRequest !== undefined;
          if (!server.owner.alive || listener === undefined || !answers) {
            // A host whose process is down answers with a reset, one hop later.
            this.reply(to, client, () => finish({ kind: 'refused' }));
            return undefined;
          }
          this.delivered++;
          verify?.();
          if (this.trace.debugEnabled)
            this.trace.record(to, 'net.request', { from, msg: kindOf(req) });
          const serverIncarnation = server.owner.incarnation;
          let replied = false;
          const send = (body: unknown): void => {
            if (replied) return;
            replied = true;
            if (server.owner.incarnation !== serverIncarnation || !server.owner.alive) return;
            const verifyReply = this.check?.sent(protocol, 'reply', body);
            this.reply(to, client, () => {
              verifyReply?.();
              finish({ kind: 'reply', body: body as T });
            });
          };
          if (listener.onCall !== undefined) {
            listener.onCall(from, req, send);
            return undefined;
          }
          const answer = listener.onRequest!(from, req);
          if (answer instanceof Promise) return answer.then(send);
          send(answer);
          return undefined;
        },
        null,
      );
    });
  }

  private reply(from: Address, client: NetNode, deliver: () => void): void {
    if (this.isBlocked(from, client.name)) return this.drop(from, client.name, REPLY, 'blocked');
    const at = this.arrival(from, client.name, false);
    if (at < 0) return this.drop(from, client.name, REPLY, 'lost');
    this.loop.scheduleAt(at, deliver, client.owner);
  }

  openStream(
    client: NetNode,
    protocol: Protocol,
    to: Address,
    req: unknown,
    handlers: StreamHandlers,
  ): ClientStream {
    const verify = this.check?.sent(protocol, 'streamOpen', req);
    const server = this.nodes.get(to);
    const from = client.name;
    if (server === undefined) {
      this.loop.schedule(0, () => handlers.onClose(`no process ${to}`), client.owner);
      return { close() {}, send() {} };
    }
    const stream = new Stream(client, client.owner.incarnation, server, protocol, handlers);
    stream.id = ++this.streamsOpened;
    client.streams.add(stream);
    const failOpen = (reason: string): void => {
      if (stream.state === 'closed' || stream.established) return;
      stream.state = 'closed';
      client.streams.delete(stream);
      handlers.onClose(reason);
    };
    // Like a TCP connect: without an answer (lost SYN, lost reset, partition) it times out.
    this.loop.schedule(
      this.options.connectTimeoutUs,
      () => failOpen('connect timeout'),
      client.owner,
    );
    if (!this.isBlocked(from, to)) {
      const at = this.arrival(from, to, true);
      // The client's input follows its open on the same connection.
      stream.lastToServerUs = at;
      this.loop.scheduleAt(
        at,
        () => {
          if (stream.state !== 'open') return undefined;
          const listener = listenerOf(server, protocol);
          if (!server.owner.alive || listener?.onStream === undefined) {
            this.reply(to, client, () => failOpen(`connection refused by ${to}`));
            return undefined;
          }
          stream.established = true;
          server.streams.add(stream);
          const observers = this.observersOf(protocol);
          if (observers !== undefined) {
            stream.observers = observers;
            for (const o of observers) o.opened(stream.id, from, to, req);
          }
          stream.lastToClientUs = this.loop.now;
          this.delivered++;
          verify?.();
          return listener.onStream(from, req, this.serverSide(stream, server.owner.incarnation));
        },
        null,
      );
    }
    return {
      close: () => {
        if (stream.state === 'closed') return;
        stream.state = 'closed';
        client.streams.delete(stream);
        this.notifyServerLater(stream, 'client closed');
      },
      send: (msg) => {
        assert(protocol.streamInput !== undefined, `${protocol.name} streams carry no input`);
        if (stream.state === 'closed') return;
        const verifyInput = this.check?.sent(protocol, 'streamInput', msg);
        this.toServer(stream, () => {
          verifyInput?.();
          if (stream.serverInputCallbacks.length === 0) stream.earlyInput.push(msg);
          for (const cb of stream.serverInputCallbacks) cb(msg);
        });
      },
    };
  }

  private serverSide(stream: Stream, serverIncarnation: number): ServerStream {
    const network = this;
    return {
      get open() {
        return stream.state === 'open';
      },
      send(msg) {
        if (stream.state !== 'open') return;
        const verify = network.check?.sent(stream.protocol, 'streamMessage', msg);
        const observers = stream.observers;
        network.toClient(
          stream,
          verify === undefined && observers === undefined
            ? () => stream.handlers.onMessage(msg)
            : () => {
                verify?.();
                if (observers !== undefined) for (const o of observers) o.delivered(stream.id, msg);
                stream.handlers.onMessage(msg);
              },
        );
      },
      close() {
        if (stream.state !== 'open') return;
        stream.state = 'closing';
        stream.server.streams.delete(stream);
        network.toClient(stream, () => {
          stream.state = 'closed';
          stream.client.streams.delete(stream);
          stream.handlers.onClose('closed by server');
        });
      },
      onClose(cb) {
        assert(stream.server.owner.incarnation === serverIncarnation, 'stale server stream');
        stream.onServerClose(cb);
      },
      onInput(cb) {
        assert(stream.server.owner.incarnation === serverIncarnation, 'stale server stream');
        stream.serverInputCallbacks.push(cb);
        for (const msg of stream.earlyInput.splice(0)) cb(msg);
      },
    };
  }

  /**
   * Delivers the client's input in order on the client->server direction, to a server that
   * accepted the stream and has not seen it end.
   */
  private toServer(stream: Stream, deliver: () => void): void {
    const at = this.inOrderToServer(stream);
    this.loop.scheduleAt(
      at,
      () => {
        if (stream.state !== 'open' || !stream.established) return;
        this.delivered++;
        deliver();
      },
      stream.server.owner,
    );
  }

  /** Delivers in order on the server->client direction; nothing arrives on a closed stream. */
  private toClient(stream: Stream, deliver: () => void): void {
    const at = this.inOrderToClient(stream);
    this.loop.scheduleAt(
      at,
      () => {
        if (stream.state === 'closed') return;
        this.delivered++;
        if (this.trace.debugEnabled)
          this.trace.record(stream.client.name, 'net.stream-recv', { from: stream.server.name });
        deliver();
      },
      stream.client.owner,
    );
  }

  /**
   * When the next client->server message of `stream` arrives: its own draw, but never before
   * the one sent ahead of it (a stream is ordered, like TCP).
   */
  private inOrderToServer(stream: Stream): number {
    const at = Math.max(
      this.arrival(stream.client.name, stream.server.name, true),
      stream.lastToServerUs,
    );
    stream.lastToServerUs = at;
    return at;
  }

  /** As inOrderToServer, server->client. */
  private inOrderToClient(stream: Stream): number {
    const at = Math.max(
      this.arrival(stream.server.name, stream.client.name, true),
      stream.lastToClientUs,
    );
    stream.lastToClientUs = at;
    return at;
  }

  private notifyServerLater(stream: Stream, reason: string): void {
    const at = this.inOrderToServer(stream);
    this.loop.scheduleAt(
      at,
      () => {
        stream.server.streams.delete(stream);
        stream.notifyServer(reason);
      },
      stream.server.owner,
    );
  }

  /** A broken connection: both ends learn of it (those still alive), neither gets more data. */
  private breakStream(stream: Stream, reason: string): void {
    if (stream.state === 'closed') return;
    stream.state = 'closed';
    stream.client.streams.delete(stream);
    stream.server.streams.delete(stream);
    if (this.trace.debugEnabled) {
      this.trace.record('sim', 'net.stream-break', {
        client: stream.client.name,
        server: stream.server.name,
        reason,
      });
    }
    this.loop.schedule(0, () => stream.handlers.onClose(reason), stream.client.owner);
    this.loop.schedule(0, () => stream.notifyServer(reason), stream.server.owner);
  }

  private breakBlockedStreams(): void {
    for (const node of this.nodes.values()) {
      for (const stream of [...node.streams]) {
        const c = stream.client.name;
        const s = stream.server.name;
        if (this.isBlocked(c, s) || this.isBlocked(s, c))
          this.breakStream(stream, 'network partition');
      }
    }
  }
}

/** Stands for a reply (or a reset) in trace records: replies carry no kind of their own. */
const REPLY = { kind: 'reply' } as const;

function kindOf(msg: unknown): string {
  if (typeof msg === 'object' && msg !== null && 'kind' in msg)
    return String((msg as { kind: unknown }).kind);
  return typeof msg;
}

/** One incarnation's transport. A restarted process gets a new endpoint. */
class SimEndpoint implements Transport {
  constructor(
    private readonly network: Network,
    private readonly node: NetNode,
    private readonly incarnation: number,
  ) {}

  get self(): Address {
    return this.node.name;
  }

  listen<T extends ProtocolTypes>(protocol: Protocol<T>, listener: Listener<T>): void {
    if (this.node.owner.incarnation !== this.incarnation) return;
    const roles = this.node.roles;
    const at = roles.findIndex((r) => r.protocol === protocol.name);
    const role: Role = { protocol: protocol.name, listener: listener as Listener };
    if (at < 0) roles.push(role);
    else roles[at] = role;
  }

  send<T extends ProtocolTypes>(protocol: Protocol<T>, to: Address, msg: T['datagram']): void {
    if (!this.current()) return;
    this.network.sendDatagram(this.node.name, to, protocol, msg);
  }

  request<T extends ProtocolTypes>(
    protocol: Protocol<T>,
    to: Address,
    req: T['request'],
    timeoutUs: number,
  ): Promise<CallResult<T['reply']>> {
    if (!this.current()) return new Promise(() => {});
    return this.network.request<T['reply']>(this.node, protocol, to, req, timeoutUs);
  }

  openStream<T extends ProtocolTypes>(
    protocol: Protocol<T>,
    to: Address,
    req: T['open'],
    handlers: StreamHandlers<T['stream']>,
  ): ClientStream {
    if (!this.current()) return { close() {}, send() {} };
    return this.network.openStream(this.node, protocol, to, req, handlers as StreamHandlers);
  }

  private current(): boolean {
    return this.node.owner.alive && this.node.owner.incarnation === this.incarnation;
  }
}
