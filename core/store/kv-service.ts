import type { ProcessPorts } from '../ports/process.ts';
import type { ServerStream } from '../ports/transport.ts';
import { assertNever } from '../util/assert.ts';
import { MvccStore } from './mvcc.ts';
import type { KvReply, KvRequest, WatchOpen, WatchStreamMessage } from './protocol.ts';
import type { Op, Result, WatchId } from './types.ts';
import { WatchHub } from './watch.ts';

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
  private readonly store: MvccStore;
  private readonly hub: WatchHub;
  private readonly streams = new Map<WatchId, ServerStream<WatchStreamMessage>>();

  constructor(
    private readonly ports: ProcessPorts,
    options: KvServiceOptions = DEFAULT_KV_SERVICE,
  ) {
    this.store = new MvccStore({ onCommit: (c) => this.hub.onCommit(c) });
    this.hub = new WatchHub(this.store);
    ports.transport.listen({
      onRequest: (_from, req) => this.onRequest(req as KvRequest),
      onStream: (_from, req, stream) =>
        this.onWatch(req as WatchOpen, stream as ServerStream<WatchStreamMessage>),
    });
    const notify = (): void => {
      for (const p of this.hub.progress())
        this.streams.get(p.watchId)?.send({ kind: 'progress', revision: p.revision });
      ports.clock.setTimer(options.progressIntervalUs, notify);
    };
    ports.clock.setTimer(options.progressIntervalUs, notify);
  }

  get revision(): number {
    return this.store.revision;
  }

  private onRequest(req: KvRequest): KvReply {
    const result = this.apply(req.op);
    this.flushWatches();
    return { kind: 'result', result };
  }

  private apply(op: Op): Result {
    switch (op.kind) {
      case 'put':
        return this.store.put(op);
      case 'range':
        return this.store.range(op);
      case 'delete-range':
        return this.store.deleteRange(op);
      case 'txn':
        return this.store.txn(op);
      case 'compact':
        return this.store.compact(op);
      case 'lease-grant':
        return this.store.leaseGrant(op);
      case 'lease-revoke':
        return this.store.leaseRevoke(op);
      default:
        return assertNever(op, 'store op');
    }
  }

  private onWatch(open: WatchOpen, stream: ServerStream<WatchStreamMessage>): void {
    const created = this.hub.watch(open.request);
    if (created.kind === 'error') {
      stream.send({ kind: 'error', error: created });
      stream.close();
      return;
    }
    const id = created.watchId;
    this.streams.set(id, stream);
    stream.onClose(() => {
      this.streams.delete(id);
      this.hub.cancel(id);
    });
    stream.send({ kind: 'created', watchId: id });
    this.flushWatches();
  }

  private flushWatches(): void {
    for (const response of this.hub.drain()) {
      this.streams.get(response.watchId)?.send({ kind: 'events', response });
    }
  }
}
