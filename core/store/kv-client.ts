import type { Transport } from '../ports/transport.ts';
import type { KvReply, KvRequest, WatchOpen, WatchStreamMessage } from './protocol.ts';
import type { Op, ResultOf, Revision, StoreError, WatchRequest, WatchResponse } from './types.ts';

/** The outcome of an op that may or may not have been applied (a timeout after sending it). */
export interface UnknownOutcome {
  readonly kind: 'unknown';
  readonly reason: string;
}

export type KvOutcome<O extends Op> = ResultOf<O> | UnknownOutcome;

export interface KvWatchHandlers {
  onEvents(response: WatchResponse): void;
  onProgress(revision: Revision): void;
  /** The watch ended: `error` is set when the store refused it (e.g. compacted). */
  onClose(reason: string, error?: StoreError): void;
}

export interface KvWatch {
  cancel(): void;
}

export interface KvClientOptions {
  readonly requestTimeoutUs: number;
  /** Reads are retried on other members this many times; writes never are (see `do`). */
  readonly readRetries: number;
}

export const DEFAULT_KV_CLIENT: KvClientOptions = { requestTimeoutUs: 5_000_000, readRetries: 3 };

/**
 * What the API server uses to reach the store. It keeps track of the member that answered last
 * and moves on when a member says it is not the leader. A write whose request timed out is
 * reported as unknown, never as failed: it may have been committed.
 */
export class KvClient {
  private current = 0;

  constructor(
    private readonly transport: Transport,
    private readonly members: readonly string[],
    private readonly options: KvClientOptions = DEFAULT_KV_CLIENT,
  ) {
    if (members.length === 0) throw new Error('KvClient needs at least one store member');
  }

  async do<O extends Op>(op: O): Promise<KvOutcome<O>> {
    const isRead = op.kind === 'range';
    const attempts = isRead ? this.options.readRetries + 1 : this.members.length + 1;
    let lastReason = 'no attempt';
    for (let i = 0; i < attempts; i++) {
      const member = this.members[this.current % this.members.length] as string;
      const reply = await this.transport.request<KvReply>(
        member,
        { kind: 'kv', op } satisfies KvRequest,
        this.options.requestTimeoutUs,
      );
      if (reply.kind === 'reply') {
        if (reply.body.kind === 'result') return reply.body.result as ResultOf<O>;
        this.follow(reply.body.leader);
        lastReason = `${member} is not the leader`;
        continue;
      }
      this.current++;
      lastReason = `${member}: ${reply.kind}`;
      // A write that reached a member may have been applied: do not risk applying it twice.
      if (!isRead && reply.kind === 'timeout') return { kind: 'unknown', reason: lastReason };
    }
    return { kind: 'unknown', reason: lastReason };
  }

  watch(request: WatchRequest, handlers: KvWatchHandlers): KvWatch {
    const member = this.members[this.current % this.members.length] as string;
    let error: StoreError | undefined;
    const stream = this.transport.openStream<WatchStreamMessage>(
      member,
      { kind: 'watch', request } satisfies WatchOpen,
      {
        onMessage: (msg) => {
          switch (msg.kind) {
            case 'created':
              return;
            case 'events':
              return handlers.onEvents(msg.response);
            case 'progress':
              return handlers.onProgress(msg.revision);
            case 'error':
              error = msg.error;
              return;
          }
        },
        onClose: (reason) => {
          if (error === undefined) this.current++;
          handlers.onClose(
            error === undefined ? reason : `store refused the watch: ${error.reason}`,
            error,
          );
        },
      },
    );
    return { cancel: () => stream.close() };
  }

  private follow(leader: string | undefined): void {
    const at = leader === undefined ? -1 : this.members.indexOf(leader);
    this.current = at >= 0 ? at : this.current + 1;
  }
}
