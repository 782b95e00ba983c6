import type { Clock } from '../ports/clock.ts';
import type { CallResult, Transport } from '../ports/transport.ts';
import { STORE_CLIENT_PROTOCOL } from './client-protocol.ts';
import type {
  LeaseRequest,
  LeaseResult,
  MemberReply,
  MemberRequest,
  MembershipReply,
  MembershipRequest,
} from './member/member-protocol.ts';
import type { KvRequest, NotLeaderReply } from './protocol.ts';
import type { Op, ResultOf, Revision, StoreError, WatchRequest, WatchResponse } from './types.ts';

/** The outcome of an op that may or may not have been applied (a timeout after sending it). */
export interface UnknownOutcome {
  readonly kind: 'unknown';
  readonly reason: string;
}

/**
 * No member took the op: every attempt was refused or answered not-leader, which a member only
 * says of an op it did not and never will apply. (Reads that got no answer are reported so
 * too: they have no effect either way.)
 */
export interface NotAppliedOutcome {
  readonly kind: 'not-applied';
  readonly reason: string;
}

export type KvOutcome<O extends Op> = ResultOf<O> | UnknownOutcome | NotAppliedOutcome;

export interface KvWatchHandlers {
  onEvents(response: WatchResponse): void;
  onProgress(revision: Revision): void;
  /** The watch ended: `error` is set when the store refused it (e.g. compacted). */
  onClose(reason: string, error?: StoreError): void;
}

export interface KvWatch {
  cancel(): void;
}

/**
 * What the API server needs of a store: ops with their outcomes, and watches. KvClient speaks
 * the built-in store's protocol; real/etcd/etcd-kv.ts speaks etcd's. Either way a write whose
 * outcome is not known is reported as unknown, never as failed, and a watch the store refuses
 * ends with its StoreError (compacted: the API server answers 410).
 */
export interface StoreClient {
  do<O extends Op>(op: O): Promise<KvOutcome<O>>;
  watch(request: WatchRequest, handlers: KvWatchHandlers): KvWatch;
}

export interface KvClientOptions {
  readonly requestTimeoutUs: number;
  /** Reads are retried on other members this many times; writes never are (see `do`). */
  readonly readRetries: number;
  /**
   * With a clock, a client that finds no leader (every member says not-leader without a hint,
   * as during an election) backs off and tries again, up to `leaderWaitUs` in all.
   */
  readonly clock?: Clock;
  readonly leaderWaitUs?: number;
}

export type MembershipOutcome =
  Exclude<MembershipReply, { readonly kind: 'not-leader' }> | UnknownOutcome | NotAppliedOutcome;

function isNotLeader(body: MemberReply): body is NotLeaderReply {
  return body.kind === 'not-leader';
}

function resultOf<O extends Op>(body: MemberReply): ResultOf<O> | undefined {
  return body.kind === 'result' ? (body.result as ResultOf<O>) : undefined;
}

export const DEFAULT_KV_CLIENT: KvClientOptions = { requestTimeoutUs: 5_000_000, readRetries: 3 };

/** Back-off while waiting for a leader: 50 ms doubling to 1 s. */
const LEADER_BACKOFF_INITIAL_US = 50_000;
const LEADER_BACKOFF_MAX_US = 1_000_000;
const DEFAULT_LEADER_WAIT_US = 5_000_000;

/**
 * What the API server uses to reach the store. It keeps track of the member that answered last
 * and moves on when a member says it is not the leader. A write whose request timed out is
 * reported as unknown, never as failed: it may have been committed.
 */
export class KvClient implements StoreClient {
  private current = 0;
  /** The members given, plus any a member named since (a leader, or a removed one's list). */
  private readonly members: string[];

  constructor(
    private readonly transport: Transport,
    members: readonly string[],
    private readonly options: KvClientOptions = DEFAULT_KV_CLIENT,
  ) {
    if (members.length === 0) throw new Error('KvClient needs at least one store member');
    this.members = [...members];
  }

  do<O extends Op>(op: O): Promise<KvOutcome<O>> {
    // The common case, a leader that answers, without the retry loop's async frame.
    const member = this.members[this.current % this.members.length] as string;
    const request: KvRequest = { kind: 'kv', op };
    return this.transport
      .request(STORE_CLIENT_PROTOCOL, member, request, this.options.requestTimeoutUs)
      .then((reply) =>
        reply.kind === 'reply' && reply.body.kind === 'result'
          ? (reply.body.result as ResultOf<O>)
          : this.retry(request, op.kind === 'range', resultOf<O>, { member, reply }),
      );
  }

  /**
   * etcdctl member list / add / promote / remove, sent to the leader. A change whose request
   * timed out is reported as unknown: it may have been applied.
   */
  membership(request: MembershipRequest): Promise<MembershipOutcome> {
    return this.retry(request, request.kind === 'member-list', (body) =>
      body.kind === 'members' || body.kind === 'membership-error' ? body : undefined,
    );
  }

  /**
   * etcdctl lease keep-alive / timetolive, answered by the leader's lessor. Retried like a read:
   * renewing a lease twice is harmless.
   */
  lease(request: LeaseRequest): Promise<LeaseResult | UnknownOutcome | NotAppliedOutcome> {
    return this.retry(request, true, (body) => (body.kind === 'lease' ? body.result : undefined));
  }

  /**
   * Sends `request` until a member answers it (`accept` returns the answer; a not-leader reply
   * moves on to the leader it names), starting with the reply `first` when given.
   */
  private async retry<R>(
    request: MemberRequest,
    isRead: boolean,
    accept: (body: MemberReply) => R | undefined,
    first?: { readonly member: string; readonly reply: CallResult<MemberReply> },
  ): Promise<R | UnknownOutcome | NotAppliedOutcome> {
    // Writes try every member once (and members learned on the way).
    const attempts = (): number =>
      isRead ? this.options.readRetries + 1 : this.members.length + 1;
    const clock = this.options.clock;
    const waitLimitUs = this.options.leaderWaitUs ?? DEFAULT_LEADER_WAIT_US;
    let waitedUs = 0;
    let backoffUs = LEADER_BACKOFF_INITIAL_US;
    let lastReason = 'no attempt';
    let answered = first;
    for (let i = 0; i < attempts(); i++) {
      let member: string;
      let reply: CallResult<MemberReply>;
      if (answered !== undefined) {
        ({ member, reply } = answered);
        answered = undefined;
      } else {
        member = this.members[this.current % this.members.length] as string;
        reply = await this.transport.request(
          STORE_CLIENT_PROTOCOL,
          member,
          request,
          this.options.requestTimeoutUs,
        );
      }
      if (reply.kind === 'reply') {
        const accepted = accept(reply.body);
        if (accepted !== undefined) return accepted;
        const notLeader: Partial<NotLeaderReply> = isNotLeader(reply.body) ? reply.body : {};
        this.follow(notLeader.leader, notLeader.members);
        lastReason = `${member} is not the leader`;
        const noLeaderKnown = notLeader.leader === undefined && i === attempts() - 1;
        if (noLeaderKnown && clock !== undefined && waitedUs < waitLimitUs) {
          await clock.sleep(backoffUs);
          waitedUs += backoffUs;
          backoffUs = Math.min(backoffUs * 2, LEADER_BACKOFF_MAX_US);
          i = -1;
        }
        continue;
      }
      this.current++;
      lastReason = `${member}: ${reply.kind}`;
      // A write that reached a member may have been applied: do not risk applying it twice.
      if (!isRead && reply.kind === 'timeout') return { kind: 'unknown', reason: lastReason };
    }
    return { kind: 'not-applied', reason: lastReason };
  }

  watch(request: WatchRequest, handlers: KvWatchHandlers): KvWatch {
    const member = this.members[this.current % this.members.length] as string;
    let error: StoreError | undefined;
    const stream = this.transport.openStream(
      STORE_CLIENT_PROTOCOL,
      member,
      { kind: 'watch', request },
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
            case 'member-removed':
              this.learn(msg.members);
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

  /**
   * Moves to the leader a member named (learning it, if it joined after we started) or on,
   * learning the members a removed member lists.
   */
  private follow(leader: string | undefined, members: readonly string[] | undefined): void {
    if (members !== undefined) this.learn(members);
    if (leader === undefined) {
      this.current++;
      return;
    }
    let at = this.members.indexOf(leader);
    if (at < 0) at = this.members.push(leader) - 1;
    this.current = at;
  }

  /** Adds members this client did not know; the ones it knows keep their places. */
  private learn(members: readonly string[]): void {
    for (const m of members) if (!this.members.includes(m)) this.members.push(m);
  }
}
