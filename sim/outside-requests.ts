/**
 * Requests from outside a running simulation (kubectl through the HTTP front of `ksim serve`)
 * enter it as events. They are queued as they arrive, between runs of the event loop, and the
 * pacer admits them at the virtual time it has reached (`admit`): each becomes a request or a
 * watch of one simulated process on the API protocol, so the network model, the API server's
 * handler chain and its `api.request` / `api.watch` trace records treat them as any client's.
 * Answers and watch events come back inside the loop's events and are handed to the caller's
 * callbacks there; what the caller does with them (write to a socket) does not touch the world.
 *
 * So the world depends on the outside only through what is admitted, when, and in which batch:
 * a `Recorder` sees each admission (a request, a watch or stream opened, input on a stream,
 * one closed), and
 * replaying those at the same virtual times, batch by batch, reruns the served session
 * (sim/served-session.ts).
 */
import { API_PROTOCOL } from '../core/api/http-codec.ts';
import type { ApiRequest, ApiResponse, WatchFrame } from '../core/api/http.ts';
import {
  API_STREAM_PROTOCOL,
  type StreamFrame,
  type StreamInput,
} from '../core/api/node-stream.ts';
import type {
  Address,
  CallResult,
  ClientStream,
  Protocol,
  ProtocolTypes,
  StreamHandlers,
  Transport,
} from '../core/ports/transport.ts';
import type { Simulation } from './simulation.ts';

/** How long an outside request may take in virtual time before it counts as unanswered. */
export const OUTSIDE_REQUEST_TIMEOUT_US = 60_000_000;

/** What one admission brings into the world. Streams are numbered in the order opened. */
export type Admission =
  | { readonly op: 'request'; readonly req: ApiRequest }
  | { readonly op: 'watch' | 'stream'; readonly id: number; readonly req: ApiRequest }
  | { readonly op: 'close'; readonly id: number }
  /** The client's input on stream `id` (an exec's stdin or a resize). */
  | { readonly op: 'input'; readonly id: number; readonly input: StreamInput };

/** Sees each admission: its virtual time and its batch (one `admit` call), in order. */
export type Recorder = (atUs: number, batch: number, admission: Admission) => void;

interface Queued {
  readonly admission: Admission;
  readonly start: () => void;
}

export class OutsideRequests {
  private inbox: Queued[] = [];
  private wake: (() => void) | undefined;
  private nextStreamId = 1;
  private batches = 0;
  private recorder: Recorder | undefined;

  constructor(
    private readonly sim: Simulation,
    private readonly transport: Transport,
    private readonly apiServer: Address,
  ) {}

  /** Hands every admission from now on to `recorder` (`ksim serve --record`). */
  record(recorder: Recorder): void {
    this.recorder = recorder;
  }

  /** Requests queued and not yet admitted. */
  get waiting(): number {
    return this.inbox.length;
  }

  request(req: ApiRequest): Promise<CallResult<ApiResponse>> {
    return new Promise((resolve) =>
      this.enqueue({ op: 'request', req }, () => {
        void this.transport
          .request(API_PROTOCOL, this.apiServer, req, OUTSIDE_REQUEST_TIMEOUT_US)
          .then(resolve);
      }),
    );
  }

  watch(req: ApiRequest, handlers: StreamHandlers<WatchFrame>): ClientStream {
    return this.open('watch', API_PROTOCOL, req, handlers);
  }

  /** pods/log and pods/exec, relayed as the API server streams them; input goes in as admitted. */
  stream(req: ApiRequest, handlers: StreamHandlers<StreamFrame>): ClientStream<StreamInput> {
    return this.open('stream', API_STREAM_PROTOCOL, req, handlers);
  }

  private open<T extends ProtocolTypes & { readonly open: ApiRequest }>(
    op: 'watch' | 'stream',
    protocol: Protocol<T>,
    req: ApiRequest,
    handlers: StreamHandlers<T['stream']>,
  ): ClientStream<StreamInput> {
    let stream: ClientStream<StreamInput> | undefined;
    let closed = false;
    const id = this.nextStreamId++;
    // Opened when admitted even if the client has gone since: what the world sees must follow
    // from the admissions alone (the close, admitted after, ends it), or a replay could differ.
    this.enqueue({ op, id, req }, () => {
      stream = this.transport.openStream(
        protocol,
        this.apiServer,
        req,
        handlers,
      ) as ClientStream<StreamInput>;
    });
    return {
      close: () => {
        if (closed) return;
        closed = true;
        this.enqueue({ op: 'close', id }, () => stream?.close());
      },
      send: (input) => {
        if (!closed) this.enqueue({ op: 'input', id, input }, () => stream?.send(input));
      },
    };
  }

  /** Schedules every queued request as an event at the current virtual time, in arrival order. */
  admit(): number {
    const admitted = this.inbox;
    this.inbox = [];
    if (admitted.length === 0) return 0;
    const batch = this.batches++;
    for (const { admission, start } of admitted) {
      this.recorder?.(this.sim.now, batch, admission);
      this.sim.at(this.sim.now, start);
    }
    return admitted.length;
  }

  /** Resolves when a request arrives (at once if one is waiting): the pacer's wake-up. */
  arrival(): Promise<void> {
    if (this.inbox.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private enqueue(admission: Admission, start: () => void): void {
    this.inbox.push({ admission, start });
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
