/**
 * A Raft-replicated store member: one process hosting a RawNode and a KvStateMachine, with
 * durability through the Disk port and everything else through the Transport port. It speaks
 * the single-member protocol (protocol.ts) unchanged, plus lease and membership requests
 * (member-protocol.ts; membership changes are described in README.md).
 *
 * The host loop (core/raft/README.md), run by `pump`, one Ready at a time:
 *   1. persist: WAL append of entries then hard state, fsync when the Ready says so (a received
 *      snapshot starts a new WAL segment instead), then spend the Ready's CPU time (the
 *      ProcessPorts.cpu charge, free without a cost model); only then update MemoryStorage;
 *   2. send the Ready's messages as datagrams;
 *   3. apply the snapshot and committed entries, answer the proposals they complete, serve
 *      ReadIndex reads whose index is applied, deliver watch events;
 *   4. advance; take a snapshot and compact when enough entries were applied.
 * Requests that arrive while a Ready is being persisted wait and go out together: proposals in
 * one `proposeBatch` (one append, one MsgApp per follower), reads in one ReadIndex round.
 *
 * Only the leader serves KV requests (followers answer not-leader with a hint). A write is
 * answered when its entry is applied; if another entry is applied at its index, it was never
 * committed and is answered not-leader, which is safe to retry. A proposal whose index is never
 * reached here (this member crashed, or a snapshot skipped it) gets no answer: the client's
 * timeout reports it as unknown. Reads go through ReadIndex, never through the log. Watches are
 * served by any member from its own state machine: a lagging member's stream is late, never
 * wrong.
 */
import type { ProcessPorts } from '../../ports/process.ts';
import type { ServerStream } from '../../ports/transport.ts';
import { decodeConfChange, type ConfChange } from '../../raft/conf-change.ts';
import { RawNode } from '../../raft/raw-node.ts';
import type { Ready } from '../../raft/ready.ts';
import { MemoryStorage } from '../../raft/storage.ts';
import {
  asIndex,
  asNodeId,
  EMPTY_HARD_STATE,
  NO_NODE,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type NodeId,
  type RaftRole,
  type Snapshot,
} from '../../raft/types.ts';
import { assert, assertNever } from '../../util/assert.ts';
import { STORE_CLIENT_PROTOCOL } from '../client-protocol.ts';
import type { WatchOpen, WatchStreamMessage } from '../protocol.ts';
import { KvStateMachine, type KvStateMachineOptions } from '../state-machine.ts';
import { FROM_KEY, type CommittedRevision, type Op, type Result, type Revision } from '../types.ts';
import { newLeaseId, serveLease } from './lease-serving.ts';
import { Lessor } from './lessor.ts';
import { bootstrapSnapshot, entriesAfter, recoverLog } from './member-boot.ts';
import type { MemberProbe, MemberView } from './member-probe.ts';
import type { MemberInfo, MemberReply, MemberRequest } from './member-protocol.ts';
import { MemberImage, memberSnapshotParts } from './member-snapshot.ts';
import {
  checkMembershipChange,
  memberList,
  membersOf,
  type MembershipChange,
} from './membership-check.ts';
import { decodeEntryOp, encodeEntryOp } from './op-codec.ts';
import { Proposals, type InflightProposal, type Resolve } from './proposals.ts';
import {
  STORE_PEER_PROTOCOL,
  type MemberRemovedNotice,
  type PeerDatagram,
} from './peer-protocol.ts';
import { ReadRounds } from './read-rounds.ts';
import { Wal } from './wal.ts';
import { WatchStreams } from '../watch-streams.ts';

export interface MemberPeer {
  /** Raft id, > 0. */
  readonly id: number;
  /** Transport address of the member's process. */
  readonly address: string;
}

export interface KvMemberOptions {
  readonly id: number;
  /** Every voter of the cluster, this member included. Fixed at bootstrap. */
  readonly peers: readonly MemberPeer[];
  /** Length of a Raft tick (upstream: 100 ms heartbeat interval). */
  readonly tickUs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /**
   * Take a snapshot and compact the log after this many applied entries (etcd --snapshot-count;
   * 10,000 since etcd 3.6, 100,000 in 3.2-3.5). Until then every entry stays in the Raft log
   * (the simulated WAL shares the same entry objects), so this bounds an idle cluster's memory.
   */
  readonly snapshotEntries?: number;
  /**
   * Entries kept behind a snapshot so slightly lagging followers need no snapshot (etcd
   * --experimental-snapshot-catch-up-entries, 5,000).
   */
  readonly catchUpEntries?: number;
  /** Most proposals in one Raft append. */
  readonly maxBatchEntries?: number;
  /**
   * Most bytes of entries in one Raft append message (etcd's maxSizePerMsg, 1 MiB; at least one
   * entry goes in each): small ones make a leader catch a follower up in several messages.
   */
  readonly maxSizePerMsgBytes?: number;
  readonly progressIntervalUs?: number;
  /** Directory on the Disk port. */
  readonly dataDir?: string;
  /** Reads of the WAL retried this many times on I/O errors at start-up. */
  readonly readAttempts?: number;
  readonly stateMachine?: KvStateMachineOptions;
  /**
   * A saved store image (a 'snapshot-save' reply) to start a new cluster from. Used only on an
   * empty disk; every member of the new cluster must get the same bytes.
   */
  readonly restoreFrom?: Uint8Array;
  /**
   * Start as a new member of a running cluster (etcd --initial-cluster-state existing): no
   * bootstrap image, no vote until the leader has sent a snapshot that names this member. It
   * must have been added first ('member-add'); `peers` lists the current members and this one.
   */
  readonly join?: boolean;
  readonly probe?: MemberProbe;
}

export const DEFAULT_MEMBER_TIMING = {
  tickUs: 100_000,
  electionTicks: 10,
  heartbeatTicks: 1,
  snapshotEntries: 10_000,
  catchUpEntries: 5_000,
  maxBatchEntries: 4_096,
  progressIntervalUs: 1_000_000,
  readAttempts: 20,
} as const;

const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };
const decoder = new TextDecoder();
/** Returned by spawned tasks that had nothing to wait for (no new promise to settle). */
const SETTLED: Promise<void> = Promise.resolve();

export class KvMember {
  private readonly id: NodeId;
  /** Where each member listens: from `peers`, conf-change contexts and snapshots. */
  private readonly addressOf = new Map<NodeId, string>();
  private readonly timing: typeof DEFAULT_MEMBER_TIMING;
  private readonly dataDir: string;
  private readonly probe: MemberProbe | undefined;

  private started = false;
  private node: RawNode | undefined;
  private readonly storage = new MemoryStorage();
  private sm: KvStateMachine;
  private wal: Wal | undefined;
  private confState: ConfState;

  private role: RaftRole = 'follower';
  private lead: NodeId = NO_NODE;
  private hardState: HardState = EMPTY_HARD_STATE;
  private applied: Index = asIndex(0);
  /** Term and commit index of the last store.member.progress record. */
  private tracedProgress = { term: 0, commit: 0 };

  private pumping = false;
  private kickScheduled = false;
  private readonly proposals = new Proposals();
  private readonly reads = new ReadRounds({
    started: (ctx) => this.probe?.readStarted(this.id, ctx),
    served: (ctx, readIndex, applied) => {
      assert(
        applied >= readIndex,
        `${this.ports.name}: serving read round ${ctx} at ${readIndex} with only ${applied} applied`,
      );
      this.probe?.readServed(this.id, ctx, readIndex, applied);
    },
  });
  private readonly watches = new WatchStreams();
  /** Set once this member has applied its own removal: it no longer ticks nor serves clients. */
  private removed = false;
  /** Once removed: the members it last knew, named to clients that still come here. */
  private successors: readonly string[] = [];
  private readonly lessor = new Lessor();
  /**
   * Members whose removal this member applied. One that missed its own removal (cut off when
   * it was committed) keeps sending; it is told, as etcd's peers answer a removed member.
   */
  private readonly removedIds = new Set<NodeId>();
  private readonly notLeaderReply = (): MemberReply => this.notLeader();
  /** A proposal of this member's own that was not appended: a revocation is retried later. */
  private readonly dropped = (op: Op): void => {
    if (op.kind === 'lease-revoke') this.lessor.revokeDropped(op.id);
  };

  constructor(
    private readonly ports: ProcessPorts,
    private readonly options: KvMemberOptions,
  ) {
    assert(
      Number.isSafeInteger(options.id) && options.id > 0,
      `member id must be a positive integer, got ${options.id}`,
    );
    this.id = asNodeId(options.id);
    for (const p of options.peers) {
      assert(!this.addressOf.has(asNodeId(p.id)), `duplicate member id ${p.id}`);
      this.addressOf.set(asNodeId(p.id), p.address);
    }
    assert(this.addressOf.has(this.id), `member ${options.id} is not among its peers`);
    const voters = [...this.addressOf.keys()].sort((a, b) => a - b);
    this.confState = options.join === true ? EMPTY_CONF_STATE : { voters, learners: [] };
    this.timing = {
      tickUs: options.tickUs ?? DEFAULT_MEMBER_TIMING.tickUs,
      electionTicks: options.electionTicks ?? DEFAULT_MEMBER_TIMING.electionTicks,
      heartbeatTicks: options.heartbeatTicks ?? DEFAULT_MEMBER_TIMING.heartbeatTicks,
      snapshotEntries: options.snapshotEntries ?? DEFAULT_MEMBER_TIMING.snapshotEntries,
      catchUpEntries: options.catchUpEntries ?? DEFAULT_MEMBER_TIMING.catchUpEntries,
      maxBatchEntries: options.maxBatchEntries ?? DEFAULT_MEMBER_TIMING.maxBatchEntries,
      progressIntervalUs: options.progressIntervalUs ?? DEFAULT_MEMBER_TIMING.progressIntervalUs,
      readAttempts: options.readAttempts ?? DEFAULT_MEMBER_TIMING.readAttempts,
    } as typeof DEFAULT_MEMBER_TIMING;
    this.dataDir = options.dataDir ?? 'member';
    this.probe = options.probe;
    this.sm = new KvStateMachine(options.stateMachine);
    ports.spawn(() => this.start());
  }

  /** A cheap read-only view for checkers and tests. */
  inspect(): MemberView {
    return {
      id: this.id,
      name: this.ports.name,
      started: this.started,
      role: this.role,
      term: this.hardState.term,
      lead: this.lead,
      commit: this.hardState.commit,
      applied: this.applied,
      snapshotIndex: this.storage.snapshot().metadata.index,
      lastIndex: this.storage.lastIndex(),
      revision: this.sm.revision,
      voters: this.confState.voters,
      learners: this.confState.learners,
      removed: this.removed,
    };
  }

  /**
   * What this member keeps in memory, as counts: Raft log entries (the simulated WAL holds the
   * same since the last snapshot), store revisions above the compaction point, and keys. Tests
   * check that a long steady run keeps them bounded.
   */
  retained(): { raftLogEntries: number; revisions: number; keys: number } {
    return {
      raftLogEntries: this.storage.lastIndex() - this.storage.firstIndex() + 1,
      revisions: this.sm.revision - this.sm.compactRevision,
      keys: this.sm.keyCount,
    };
  }

  /** Where this member believes each member listens, by id (for tests and tools). */
  addressBook(): MemberPeer[] {
    return [...this.addressOf].sort(([a], [b]) => a - b).map(([id, address]) => ({ id, address }));
  }

  /** FNV hash of the applied state: equal on members that applied the same entries. */
  stateHash(): string {
    return this.sm.hash();
  }

  /**
   * Every committed change from `fromRevision` on, as this member's store retains them (for
   * checking watch streams against the committed history). Uses a private copy of the store.
   */
  committedHistory(fromRevision: Revision): CommittedRevision[] {
    const copy = KvStateMachine.restore(this.sm.image());
    const created = copy.watch({
      key: FROM_KEY,
      rangeEnd: FROM_KEY,
      startRevision: fromRevision,
      prevKv: true,
    });
    if (created.kind === 'error') return [];
    return copy.drainWatchEvents().map((r) => ({ revision: r.revision, events: r.events }));
  }

  // ---- start-up ------------------------------------------------------------------------------

  private async start(): Promise<void> {
    const recovered = await recoverLog(
      this.ports.disk,
      this.dataDir,
      this.timing.readAttempts,
      this.storage,
      this.ports.name,
      this.options.join === true
        ? undefined
        : bootstrapSnapshot(this.confState, this.options.restoreFrom),
    );
    const { snapshot, hardState } = recovered;
    const snapIndex = snapshot.metadata.index;
    this.hardState = hardState;
    this.restoreStateMachine(snapshot);
    this.wal = await Wal.start(
      this.ports.disk,
      this.dataDir,
      recovered.previousSegment,
      snapshot,
      hardState,
      entriesAfter(this.storage, snapIndex),
    );
    this.node = new RawNode({
      id: this.id,
      storage: this.storage,
      random: this.ports.random.fork('raft'),
      electionTicks: this.timing.electionTicks,
      heartbeatTicks: this.timing.heartbeatTicks,
      applied: snapIndex,
      disableProposalForwarding: true,
      ...(this.options.maxSizePerMsgBytes === undefined
        ? {}
        : { maxSizePerMsgBytes: this.options.maxSizePerMsgBytes }),
    });
    this.started = true;
    this.ports.trace.emit('store.member.start', {
      id: this.id,
      from: recovered.from,
      snapshotIndex: snapIndex,
      lastIndex: this.storage.lastIndex(),
      commit: hardState.commit,
      term: hardState.term,
      tornBytes: recovered.tornBytes,
    });
    const transport = this.ports.transport;
    transport.listen(STORE_PEER_PROTOCOL, { onMessage: (from, msg) => this.onMessage(from, msg) });
    transport.listen(STORE_CLIENT_PROTOCOL, {
      onCall: (_from, req, reply) => this.onCall(req, reply),
      onStream: (_from, req, stream) => this.onWatch(req, stream),
    });
    this.ports.clock.setTimer(this.timing.tickUs, () => this.onTick());
    this.ports.clock.setTimer(this.timing.progressIntervalUs, () => this.onProgressTimer());
    await this.pump();
  }

  private restoreStateMachine(snapshot: Snapshot): void {
    const smOptions = this.options.stateMachine ?? {};
    const { members, removed, store } = memberSnapshotParts(snapshot.data);
    for (const id of removed) this.removedIds.add(asNodeId(id));
    this.sm =
      store instanceof Uint8Array && store.byteLength === 0
        ? new KvStateMachine(smOptions)
        : KvStateMachine.restore(store, smOptions);
    if (members !== undefined) {
      const own = this.addressOf.get(this.id)!;
      this.addressOf.clear();
      for (const m of members) this.addressOf.set(asNodeId(m.id), m.address);
      if (!this.addressOf.has(this.id)) this.addressOf.set(this.id, own);
    }
    if (snapshot.metadata.index > 0 || this.options.join !== true) {
      this.confState = snapshot.metadata.confState;
    }
    // A member of the first configuration that a later snapshot leaves out was removed. (A
    // joining member may get a snapshot from before it was added: it infers nothing.)
    if (this.options.join !== true && !membersOf(this.confState).includes(this.id)) {
      this.onRemoved();
    }
    this.applied = snapshot.metadata.index;
    this.probe?.restored(this.id, this.applied, this.sm.revision);
  }

  // ---- inputs --------------------------------------------------------------------------------

  private onTick(): Promise<void> | undefined {
    if (this.removed) return undefined;
    this.ports.clock.setTimer(this.timing.tickUs, () => this.onTick());
    this.raw().tick();
    this.expireLeases();
    return this.pumpNow();
  }

  private onMessage(from: string, msg: PeerDatagram): Promise<void> | undefined {
    if (msg.kind === 'MemberRemoved') {
      if (msg.member === this.id && !this.removed) this.onRemoved(from);
      return undefined;
    }
    const m = msg;
    if (m.to !== this.id) return undefined;
    // Told even by a member removed since: otherwise one that missed its removal while all of
    // its configuration was replaced would hear from no one.
    if (this.removedIds.has(m.from)) {
      const notice: MemberRemovedNotice = { kind: 'MemberRemoved', member: m.from };
      this.ports.transport.send(STORE_PEER_PROTOCOL, from, notice);
      return undefined;
    }
    // No `removed` check: a removed member never ticks (so never campaigns) and serves no
    // clients, but still answers members that have not applied its removal. One that holds
    // the removal without knowing it committed may need this member's vote to elect a leader
    // of the old configuration, its only way to learn. Raft counts the vote only in that
    // configuration, whose majorities meet the new one's, so this is safe.

    // A member added after this one last applied or snapshotted: a lagging member hears from it
    // (a new leader, say) before it applies the change naming it, and must be able to answer.
    if (!this.addressOf.has(m.from)) this.addressOf.set(m.from, from);
    this.raw().step(m);
    return this.pumpNow();
  }

  /** Answers through `reply`, at once or when the request's entry or read round completes. */
  private onCall(req: MemberRequest, reply: Resolve): void {
    // A removed member no longer knows who leads: it names the members it last knew.
    if (this.removed) return reply({ kind: 'not-leader', members: this.successors });
    if (this.role !== 'leader') return reply(this.notLeader());
    switch (req.kind) {
      case 'member-list':
        return this.enqueueRead(() => ({ kind: 'members', members: this.memberList() }), reply);
      case 'member-add':
      case 'member-promote':
      case 'member-remove':
        return this.enqueueConfChange(req, reply);
      case 'kv':
        return req.op.kind === 'range'
          ? this.enqueueRead(() => ({ kind: 'result', result: this.sm.apply(req.op) }), reply)
          : this.enqueueWrite(req.op, reply);
      case 'lease-keep-alive':
      case 'lease-time-to-live':
        return this.enqueueRead(
          () => serveLease(req, this.sm, this.lessor, this.ports.clock.now(), this.notLeaderReply),
          reply,
        );
      case 'snapshot-save':
        return this.enqueueRead(
          () => ({ kind: 'snapshot', revision: this.sm.revision, data: this.sm.snapshot() }),
          reply,
        );
      default:
        return assertNever(req, 'member request');
    }
  }

  private enqueueWrite(op: Op, resolve: Resolve): void {
    const chosen =
      op.kind === 'lease-grant' && op.id === 0
        ? { ...op, id: newLeaseId(this.sm, this.ports.random) }
        : op;
    this.proposals.add(chosen, encodeEntryOp(chosen), resolve);
    this.kick();
  }

  /** Checks a membership change against the current configuration and queues it. */
  private enqueueConfChange(req: MembershipChange, resolve: Resolve): void {
    const checked = checkMembershipChange(req, {
      self: this.id,
      confState: this.confState,
      addressOf: this.addressOf,
      busy: this.proposals.confChangeBusy,
      progress: () => this.raw().status().progress,
      lastIndex: this.storage.lastIndex(),
    });
    if (checked.kind === 'refused')
      return resolve({ kind: 'membership-error', reason: checked.reason });
    this.proposals.addConfChange(checked.cc, resolve);
    this.kick();
  }

  private enqueueRead(serve: () => MemberReply, resolve: Resolve): void {
    this.reads.add(serve, resolve);
    this.kick();
  }

  private onWatch(open: WatchOpen, stream: ServerStream<WatchStreamMessage>): void {
    if (this.removed) {
      stream.send({ kind: 'member-removed', members: this.successors });
      return stream.close();
    }
    this.watches.open(open, stream, this.sm, () => this.sm);
  }

  private onProgressTimer(): void {
    this.ports.clock.setTimer(this.timing.progressIntervalUs, () => this.onProgressTimer());
    this.watches.progress(this.sm);
    this.traceProgress();
  }

  /** Commit progress for reports, when it moved: a record per second at most, none when idle. */
  private traceProgress(): void {
    const { term, commit } = this.hardState;
    if (term === this.tracedProgress.term && commit === this.tracedProgress.commit) return;
    this.tracedProgress = { term, commit };
    this.ports.trace.emit('store.member.progress', {
      id: this.id,
      term,
      commit,
      applied: this.applied,
      revision: this.sm.revision,
    });
  }

  // ---- the host loop -------------------------------------------------------------------------

  /** Runs the loop from a request: in an event of its own, so same-time arrivals share it. */
  private kick(): void {
    if (this.pumping || this.kickScheduled) return;
    this.kickScheduled = true;
    this.ports.spawn(() => {
      this.kickScheduled = false;
      return this.pumpNow() ?? SETTLED;
    });
  }

  /** Runs the loop now unless it is already running (it then picks the new input up). */
  private pumpNow(): Promise<void> | undefined {
    return this.pumping || !this.started ? undefined : this.pump();
  }

  private async pump(): Promise<void> {
    const node = this.raw();
    this.pumping = true;
    for (;;) {
      this.proposals.flush(node, this.timing.maxBatchEntries, this.notLeaderReply, this.dropped);
      this.proposals.flushConfChange(node, this.notLeaderReply);
      this.reads.flush(node, this.ports.incarnation, this.notLeaderReply);
      if (!node.hasReady()) break;
      const rd = node.ready();
      const durable = this.persist(rd);
      if (durable !== undefined) await durable;
      // The Ready's CPU time (WAL encoding, applying entries) passes before anything it says
      // leaves the member; the loop is serial, as etcd's raft loop.
      const entries = rd.entries.length + rd.committedEntries.length;
      const spent = entries === 0 ? undefined : this.ports.cpu.charge('raft.ready', entries);
      if (spent !== undefined) await spent;
      this.handleReady(rd);
      node.advance(rd);
      for (const m of rd.messages) if (m.kind === 'MsgSnap') node.reportSnapshot(m.to, true);
      if (this.applied - this.storage.snapshot().metadata.index >= this.timing.snapshotEntries) {
        await this.takeSnapshot();
      }
    }
    this.pumping = false;
  }

  private persist(rd: Ready): Promise<void> | undefined {
    const wal = this.wal!;
    if (rd.snapshot !== undefined) {
      return wal.rotate(rd.snapshot, rd.hardState ?? this.hardState, rd.entries);
    }
    wal.append(rd.entries, rd.hardState);
    return rd.mustSync ? wal.sync() : undefined;
  }

  private handleReady(rd: Ready): void {
    const storage = this.storage;
    if (rd.snapshot !== undefined) storage.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) {
      storage.append(rd.entries);
      const first = rd.entries[0]!;
      this.probe?.persisted(this.id, rd.entries, storage.term(asIndex(first.index - 1)));
    }
    if (rd.hardState !== undefined) {
      storage.setHardState(rd.hardState);
      this.hardState = rd.hardState;
    }
    if (rd.softState !== undefined) this.onSoftState(rd.softState.role, rd.softState.lead);
    const transport = this.ports.transport;
    for (const m of rd.messages) {
      const to = this.addressOf.get(m.to);
      if (to !== undefined) transport.send(STORE_PEER_PROTOCOL, to, m);
    }
    if (rd.snapshot !== undefined) this.installSnapshot(rd.snapshot);
    if (rd.committedEntries.length > 0) this.applyEntries(rd.committedEntries);
    this.reads.confirm(rd.readStates);
    this.reads.serve(this.applied);
    this.watches.flush(this.sm);
  }

  private onSoftState(role: RaftRole, lead: NodeId): void {
    const wasLeader = this.role === 'leader';
    this.role = role;
    this.lead = lead;
    if (role === 'leader' && !wasLeader) {
      this.lessor.promote(this.sm.leases(), this.ports.clock.now());
      this.probe?.leaderPersisted(
        this.id,
        this.hardState.term,
        (i) => this.storage.term(i),
        this.storage.snapshot().metadata.index,
      );
    } else if (role !== 'leader' && wasLeader) {
      this.lessor.demote();
      this.reads.fail(this.notLeaderReply);
      this.proposals.failQueued(this.notLeaderReply);
    }
    this.ports.trace.emit('store.member.role', {
      id: this.id,
      role,
      lead,
      term: this.hardState.term,
    });
  }

  private applyEntries(entries: readonly Entry[]): void {
    const probe = this.probe;
    const sm = this.sm;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      const pending = this.proposals.take(e.index);
      let result: Result | undefined;
      if (e.type === 'conf-change') {
        this.applyConfChange(decodeConfChange(e.data));
      } else if (e.data.byteLength > 0) {
        const op =
          pending?.op !== undefined && pending.term === e.term ? pending.op : decodeEntryOp(e.data);
        result = sm.apply(op);
        if (op.kind === 'lease-grant' || op.kind === 'lease-revoke') this.afterLeaseOp(op, result);
      }
      this.applied = e.index;
      probe?.applied(this.id, e, sm.revision, this.hardState.term);
      if (pending !== undefined) {
        if (pending.op === undefined) this.answerConfChange(e, pending);
        else if (pending.resolve !== undefined) {
          pending.resolve(
            pending.term === e.term && result !== undefined
              ? { kind: 'result', result }
              : this.notLeader(),
          );
        }
      }
    }
  }

  /** Every member applies a committed change: configuration, address book, own removal. */
  private applyConfChange(cc: ConfChange): void {
    if (cc.kind !== 'remove' && cc.context.byteLength > 0) {
      this.addressOf.set(cc.nodeId, decoder.decode(cc.context));
    }
    this.confState = this.raw().applyConfChange(cc);
    if (cc.kind === 'remove' && !membersOf(this.confState).includes(cc.nodeId)) {
      if (cc.nodeId === this.id) this.onRemoved();
      else this.addressOf.delete(cc.nodeId);
      this.removedIds.add(cc.nodeId);
    }
    this.ports.trace.emit('store.member.conf-change', {
      id: this.id,
      change: cc.kind,
      member: cc.nodeId,
      voters: this.confState.voters,
      learners: this.confState.learners,
    });
  }

  /**
   * This member applied its own removal, or `notifier` told it of it: it stops ticking and
   * serving, and its watchers and clients go to the members it last knew (the notifier first).
   */
  private onRemoved(notifier?: string): void {
    this.removed = true;
    const own = this.addressOf.get(this.id);
    const known = [...this.addressOf.values()].filter((a) => a !== own);
    this.successors =
      notifier === undefined ? known : [notifier, ...known.filter((a) => a !== notifier)];
    this.watches.closeAll({ kind: 'member-removed', members: this.successors });
  }

  /** The entry at a proposed membership change's index: the change itself, or something else. */
  private answerConfChange(e: Entry, pending: InflightProposal): void {
    this.proposals.confChangeApplied();
    if (pending.resolve === undefined) return;
    if (pending.term !== e.term) return pending.resolve(this.notLeader());
    if (e.type !== 'conf-change') {
      // Raft replaces a second change proposed while one is pending by an empty entry.
      return pending.resolve({
        kind: 'membership-error',
        reason: 'another membership change is in progress',
      });
    }
    pending.resolve({ kind: 'members', members: this.memberList() });
  }

  private memberList(): MemberInfo[] {
    return memberList(this.confState, this.addressOf);
  }

  private afterLeaseOp(op: Op, result: Result): void {
    if (op.kind === 'lease-grant' && result.kind === 'lease-grant') {
      this.lessor.granted(result.id, result.ttlSeconds, this.ports.clock.now());
    } else if (op.kind === 'lease-revoke') {
      this.lessor.revoked(op.id);
    }
  }

  /** A leader's snapshot replaced the log: rebuild the state machine from it. */
  private installSnapshot(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    this.watches.closeAll();
    this.restoreStateMachine(snapshot);
    this.proposals.forgetThrough(index);
    if (this.lessor.isPrimary) this.lessor.promote(this.sm.leases(), this.ports.clock.now());
    this.ports.trace.emit('store.member.snapshot-installed', {
      id: this.id,
      index,
      revision: this.sm.revision,
    });
  }

  /**
   * Snapshot of the applied state; the log keeps `catchUpEntries` behind it. The snapshot is an
   * image, encoded only if a follower needs it over a real wire or the WAL is read back.
   */
  private async takeSnapshot(): Promise<void> {
    const storage = this.storage;
    const index = this.applied;
    storage.createSnapshot(
      index,
      this.confState,
      new MemberImage(this.memberList(), [...this.removedIds], this.sm.image()),
    );
    const keepFrom = index - this.timing.catchUpEntries;
    if (keepFrom > storage.firstIndex()) storage.compact(asIndex(keepFrom));
    const snapshot = storage.snapshot();
    await this.wal!.rotate(snapshot, this.hardState, entriesAfter(storage, index));
    this.ports.trace.emit('store.member.snapshot', {
      id: this.id,
      index,
      revision: this.sm.revision,
    });
  }

  private expireLeases(): void {
    for (const id of this.lessor.takeExpired(this.ports.clock.now())) {
      this.probe?.leaseExpiring(this.id, id, this.hardState.term);
      const op: Op = { kind: 'lease-revoke', id };
      this.proposals.add(op, encodeEntryOp(op), undefined);
    }
  }

  private notLeader(): MemberReply {
    const leader =
      this.lead === NO_NODE || this.lead === this.id ? undefined : this.addressOf.get(this.lead);
    return leader === undefined ? { kind: 'not-leader' } : { kind: 'not-leader', leader };
  }

  private raw(): RawNode {
    assert(this.node !== undefined, 'raft node used before start-up');
    return this.node;
  }
}
