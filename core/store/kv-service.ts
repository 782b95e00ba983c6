import type { ProcessPorts } from '../ports/process.ts';
import type { ServerStream } from '../ports/transport.ts';
import type { KvReply, KvRequest, WatchOpen, WatchStreamMessage } from './protocol.ts';
import { KvStateMachine } from './state-machine.ts';
import type { WatchId } from './types.ts';

export interface KvServiceOptions {
  /** How often caught-up watchers that asked for it get a progress notification. */
  readonly progressIntervalUs: number;
}

export const DEFAULT_KV_SERVICE: KvServiceOptions = { progressIntervalUs: 1_000_000 };

/**
 * A single-member store process: the MVCC state machine and its watch hub behind the Transport
 * port, volatile (a crash loses everything). The Raft-replicated member replaces it with the
 * same protocol, so clients do not change.
 */
export class KvService {
  private readonly store = new KvStateMachine();
  private readonly streams = new Map<WatchId, ServerStream<WatchStreamMessage>>();

  constructor(
    private readonly ports: ProcessPorts,
    options: KvServiceOptions = DEFAULT_KV_SERVICE,
  ) {
    ports.transport.listen({
      onRequest: (_from, req) => this.onRequest(req as KvRequest),
      onStream: (_from, req, stream) =>
        this.onWatch(req as WatchOpen, stream as ServerStream<WatchStreamMessage>),
    });
    const notify = (): void => {
      for (const p of this.store.progress())
        this.streams.get(p.watchId)?.send({ kind: 'progress', revision: p.revision });
      ports.clock.setTimer(options.progressIntervalUs, notify);
    };
    ports.clock.setTimer(options.progressIntervalUs, notify);
  }

  get revision(): number {
    return this.store.revision;
  }

  private onRequest(req: KvRequest): KvReply {
    const result = this.store.apply(req.op);
    this.flushWatches();
    return { kind: 'result', result };
  }

  private onWatch(open: WatchOpen, stream: ServerStream<WatchStreamMessage>): void {
    const created = this.store.watch(open.request);
    if (created.kind === 'error') {
      stream.send({ kind: 'error', error: created });
      stream.close();
      return;
    }
    const id = created.watchId;
    this.streams.set(id, stream);
    stream.onClose(() => {
      this.streams.delete(id);
      this.store.cancelWatch(id);
    });
    stream.send({ kind: 'created', watchId: id });
    this.flushWatches();
  }

  private flushWatches(): void {
    for (const response of this.store.drainWatchEvents()) {
      this.streams.get(response.watchId)?.send({ kind: 'events', response });
    }
  }
}
