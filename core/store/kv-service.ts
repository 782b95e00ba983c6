import type { ProcessPorts } from '../ports/process.ts';
import { STORE_CLIENT_PROTOCOL } from './client-protocol.ts';
import type { MemberReply, MemberRequest } from './member/member-protocol.ts';
import { KvStateMachine } from './state-machine.ts';
import { WatchStreams } from './watch-streams.ts';

export interface KvServiceOptions {
  /** How often caught-up watchers that asked for it get a progress notification. */
  readonly progressIntervalUs: number;
}

export const DEFAULT_KV_SERVICE: KvServiceOptions = { progressIntervalUs: 1_000_000 };

/**
 * A single-member store process: the MVCC state machine and its watch hub behind the Transport
 * port, volatile (a crash loses everything). The Raft-replicated member replaces it with the
 * same protocol, so clients do not change. It serves KV ops and watches only: lease,
 * membership and snapshot requests are answered not-leader (no member here can serve them).
 */
export class KvService {
  private readonly store = new KvStateMachine();
  private readonly watches = new WatchStreams();

  constructor(ports: ProcessPorts, options: KvServiceOptions = DEFAULT_KV_SERVICE) {
    const store = this.store;
    ports.transport.listen(STORE_CLIENT_PROTOCOL, {
      onRequest: (_from, req) => this.onRequest(req),
      onStream: (_from, req, stream) => this.watches.open(req, stream, store, () => store),
    });
    const notify = (): void => {
      this.watches.progress(store);
      ports.clock.setTimer(options.progressIntervalUs, notify);
    };
    ports.clock.setTimer(options.progressIntervalUs, notify);
  }

  get revision(): number {
    return this.store.revision;
  }

  private onRequest(req: MemberRequest): MemberReply {
    if (req.kind !== 'kv') return { kind: 'not-leader' };
    const result = this.store.apply(req.op);
    this.watches.flush(this.store);
    return { kind: 'result', result };
  }
}
