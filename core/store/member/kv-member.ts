/**
 * A Raft-replicated store member: one process hosting a RawNode and a KvStateMachine, with
 * durability through the Disk port and everything else through the Transport port. It speaks
 * the single-member protocol (protocol.ts) unchanged, plus lease and membership requests
 * (member-protocol.ts; membership changes are described in README.md).
 *
 * The host loop (core/raft/README.md), run by `pump`, one Ready at a time:
 *   1. persist: WAL append of entries then hard state, fsync when the Ready says so (a received
 *      snapshot starts a new WAL segment instead); only then update MemoryStorage;
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
import { confChange, decodeConfChange, type ConfChange } from '../../raft/conf-change.ts';
import type { Message } from '../../raft/messages.ts';
import { RawNode } from '../../raft/raw-node.ts';
import type { Ready } from '../../raft/ready.ts';
import { MemoryStorage } from '../../raft/storage.ts';
import {
  asIndex,
  asNodeId,
  asTerm,
  EMPTY_DATA,
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  NO_NODE,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type NodeId,
  type ProposedEntry,
  type RaftRole,
  type Snapshot,
  type Term,
} from '../../raft/types.ts';
import { assert, assertNever } from '../../util/assert.ts';
import type { KvReply, WatchOpen, WatchStreamMessage } from '../protocol.ts';
import { KvStateMachine, type KvStateMachineOptions } from '../state-machine.ts';
import {
  FROM_KEY,
  leaseId,
  type CommittedRevision,
  type LeaseId,
  type Op,
  type Result,
  type Revision,
  type WatchId,
} from '../types.ts';
import { Lessor } from './lessor.ts';
import type { MemberProbe, MemberView } from './member-probe.ts';
import type {
  LeaseRequest,
  LeaseResult,
  MemberInfo,
  MemberReply,
  MemberRequest,
  MembershipRequest,
} from './member-protocol.ts';
import { decodeMemberSnapshot, encodeMemberSnapshot } from './member-snapshot.ts';
import { decodeEntryOp, encodeEntryOp } from './op-codec.ts';
import { readWal, Wal } from './wal.ts';

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
   * Take a snapshot and compact the log after this many applied entries (etcd --snapshot-count,
   * whose default is 100,000: a snapshot serialises the whole store with its retained history,
   * so taking one every 10,000 entries cost ~15% of the write benchmark's CPU).
   */
  readonly snapshotEntries?: number;
  /** Entries kept behind a snapshot so slightly lagging followers need no snapshot. */
  readonly catchUpEntries?: number;
  /** Most proposals in one Raft append. */
  readonly maxBatchEntries?: number;
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
  snapshotEntries: 100_000,
  catchUpEntries: 1_000,
  maxBatchEntries: 4_096,
  progressIntervalUs: 1_000_000,
  readAttempts: 20,
} as const;

type Resolve = (reply: MemberReply) => void;

interface QueuedProposal {
  readonly op: Op;
  readonly data: Uint8Array;
  /** Absent for the member's own proposals (lease revocations). */
  readonly resolve: Resolve | undefined;
}

interface InflightProposal {
  readonly term: Term;
  /** Undefined for a membership change. */
  readonly op: Op | undefined;
  readonly resolve: Resolve | undefined;
}

interface QueuedConfChange {
  readonly cc: ConfChange;
  readonly resolve: Resolve;
}

interface QueuedRead {
  readonly serve: () => MemberReply;
  readonly resolve: Resolve;
}

interface ReadRound {
  readonly ctx: string;
  readonly reads: readonly QueuedRead[];
  /** Set when Raft has confirmed the read point. */
  index: Index | undefined;
}

/** A learner within this fraction of the leader's log may be promoted (etcd's readyPercent). */
const READY_FRACTION = 0.9;

/** Sent to a member that was removed but still sends Raft messages. */
interface MemberRemovedNotice {
  readonly kind: 'MemberRemoved';
  readonly member: NodeId;
}

/** Voters and learners. */
function membersOf(cs: ConfState): NodeId[] {
  return [...cs.voters, ...cs.learners];
}

const US_PER_SECOND = 1_000_000;
const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Returned by spawned tasks that had nothing to wait for (no new promise to settle). */
const SETTLED: Promise<void> = Promise.resolve();
/** Lease ids the leader picks: positive, below 2^48, so they print and compare exactly. */
const LEASE_ID_SPACE = 2 ** 48 - 1;

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

  private pumping = false;
  private kickScheduled = false;
  private proposals: QueuedProposal[] = [];
  /** A membership change waiting to be proposed (one at a time, with `confChangeIndex`). */
  private confChange: QueuedConfChange | undefined;
  /** The index of the membership change proposed and not yet applied here. */
  private confChangeIndex: Index | undefined;
  /** Set once this member has applied its own removal: it no longer ticks nor serves clients. */
  private removed = false;
  /** Once removed: the members it last knew, named to clients that still come here. */
  private successors: readonly string[] = [];
  private readonly inflight = new Map<number, InflightProposal>();
  private reads: QueuedRead[] = [];
  private readRound: ReadRound | undefined;
  private readSeq = 0;
  private readonly lessor = new Lessor();
  private readonly streams = new Map<WatchId, ServerStream<WatchStreamMessage>>();
  /**
   * Members whose removal this member applied. One that missed its own removal (cut off when
   * it was committed) keeps sending; it is told, as etcd's peers answer a removed member.
   */
  private readonly removedIds = new Set<NodeId>();

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
    const copy = KvStateMachine.restore(this.sm.snapshot());
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
    const dir = this.dataDir;
    const read = await readWal(this.ports.disk, dir, this.timing.readAttempts);
    let snapshot: Snapshot;
    let hardState: HardState = EMPTY_HARD_STATE;
    let previousSegment = 0;
    let tornBytes = 0;
    switch (read.kind) {
      case 'empty':
        if (this.options.join === true) {
          // Nothing until the leader's snapshot arrives.
          snapshot = EMPTY_SNAPSHOT;
        } else {
          snapshot = this.bootstrapSnapshot();
          this.storage.applySnapshot(snapshot);
        }
        break;
      case 'recovered': {
        const log = read.log;
        snapshot = log.snapshot;
        previousSegment = log.newestSegment;
        tornBytes = log.tornBytes;
        if (snapshot.metadata.index > 0) this.storage.applySnapshot(snapshot);
        for (const batch of log.entryBatches) this.storage.append(batch);
        hardState = log.hardState;
        break;
      }
      case 'unreadable':
        throw new Error(`${this.ports.name}: cannot recover the store: ${read.reason}`);
      default:
        return assertNever(read, 'wal read');
    }
    const snapIndex = snapshot.metadata.index;
    // A leader's snapshot may have been made durable before the hard state that follows it.
    if (hardState.commit < snapIndex) hardState = { ...hardState, commit: snapIndex };
    assert(
      hardState.commit <= this.storage.lastIndex(),
      `${this.ports.name}: recovered commit ${hardState.commit} beyond the last entry ${this.storage.lastIndex()}`,
    );
    this.storage.setHardState(hardState);
    this.hardState = hardState;
    this.restoreStateMachine(snapshot);
    this.wal = await Wal.start(
      this.ports.disk,
      dir,
      previousSegment,
      snapshot,
      hardState,
      this.entriesAfter(snapIndex),
    );
    this.node = new RawNode({
      id: this.id,
      storage: this.storage,
      random: this.ports.random.fork('raft'),
      electionTicks: this.timing.electionTicks,
      heartbeatTicks: this.timing.heartbeatTicks,
      applied: snapIndex,
      disableProposalForwarding: true,
    });
    this.started = true;
    this.ports.trace.emit('store.member.start', {
      id: this.id,
      from: read.kind,
      snapshotIndex: snapIndex,
      lastIndex: this.storage.lastIndex(),
      commit: hardState.commit,
      term: hardState.term,
      tornBytes,
    });
    this.ports.transport.listen({
      onMessage: (from, msg) => this.onMessage(from, msg as Message | MemberRemovedNotice),
      onCall: (_from, req, reply) => this.onCall(req as MemberRequest, reply),
      onStream: (_from, req, stream) =>
        this.onWatch(req as WatchOpen, stream as ServerStream<WatchStreamMessage>),
    });
    this.ports.clock.setTimer(this.timing.tickUs, () => this.onTick());
    this.ports.clock.setTimer(this.timing.progressIntervalUs, () => this.onProgressTimer());
    await this.pump();
  }

  /**
   * Every member of a new cluster starts from the same image at index 1, term 1: an empty store,
   * or the saved one it is restored from.
   */
  private bootstrapSnapshot(): Snapshot {
    return {
      metadata: { index: asIndex(1), term: asTerm(1), confState: this.confState },
      data: this.options.restoreFrom ?? EMPTY_DATA,
    };
  }

  private restoreStateMachine(snapshot: Snapshot): void {
    const smOptions = this.options.stateMachine ?? {};
    const { members, removed, store } = decodeMemberSnapshot(snapshot.data);
    for (const id of removed) this.removedIds.add(asNodeId(id));
    this.sm =
      store.byteLength === 0
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

  private entriesAfter(index: Index): readonly Entry[] {
    const last = this.storage.lastIndex();
    return last > index
      ? this.storage.entries(asIndex(index + 1), asIndex(last + 1), Infinity)
      : [];
  }

  // ---- inputs --------------------------------------------------------------------------------

  private onTick(): Promise<void> | undefined {
    if (this.removed) return undefined;
    this.ports.clock.setTimer(this.timing.tickUs, () => this.onTick());
    this.raw().tick();
    this.expireLeases();
    return this.pumpNow();
  }

  private onMessage(from: string, msg: Message | MemberRemovedNotice): Promise<void> | undefined {
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
      this.ports.transport.send(from, notice);
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
          ? this.enqueueRead(() => this.serveRange(req.op), reply)
          : this.enqueueWrite(req.op, reply);
      case 'lease-keep-alive':
      case 'lease-time-to-live':
        return this.enqueueRead(() => this.serveLease(req), reply);
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
    const chosen = op.kind === 'lease-grant' && op.id === 0 ? { ...op, id: this.newLeaseId() } : op;
    this.proposals.push({ op: chosen, data: encodeEntryOp(chosen), resolve });
    this.kick();
  }

  /** Checks a membership change against the current configuration and queues it. */
  private enqueueConfChange(
    req: Exclude<MembershipRequest, { readonly kind: 'member-list' }>,
    resolve: Resolve,
  ): void {
    const refuse = (reason: string): void => resolve({ kind: 'membership-error', reason });
    if (this.confChange !== undefined || this.confChangeIndex !== undefined)
      return refuse('another membership change is in progress');
    if (!Number.isSafeInteger(req.id) || req.id <= 0)
      return refuse(`member id must be a positive integer, got ${req.id}`);
    const id = asNodeId(req.id);
    const cs = this.confState;
    const isVoter = cs.voters.includes(id);
    const isLearner = cs.learners.includes(id);
    let cc: ConfChange;
    switch (req.kind) {
      case 'member-add': {
        if (isVoter || isLearner) return refuse(`member ${id} already exists`);
        if (req.address === '') return refuse('member address must not be empty');
        const taken = membersOf(cs).find((m) => this.addressOf.get(m) === req.address);
        if (taken !== undefined) return refuse(`address ${req.address} is member ${taken}'s`);
        cc = confChange(req.learner ? 'add-learner' : 'add-voter', id, encoder.encode(req.address));
        break;
      }
      case 'member-promote':
        if (!isLearner) return refuse(`member ${id} is not a learner`);
        cc = confChange('add-voter', id);
        break;
      case 'member-remove':
        if (!isVoter && !isLearner) return refuse(`member ${id} does not exist`);
        if (isVoter && cs.voters.length === 1) return refuse('cannot remove the last voter');
        cc = confChange('remove', id);
        break;
      default:
        return assertNever(req, 'membership request');
    }
    const risk = this.reconfigurationRisk(req, id);
    if (risk !== undefined) return refuse(risk);
    this.confChange = { cc, resolve };
    this.kick();
  }

  /**
   * etcd's strict reconfiguration check, on the leader: a change must leave a quorum of the
   * new voters among the members that answered lately (since the last CheckQuorum round, and
   * ever acknowledged an append; a member just added has not). A one-voter cluster may still
   * add a second voter, or it could never grow. A learner is promoted only once it is in sync:
   * within 10% of the leader's log, as etcd's readyPercent.
   */
  private reconfigurationRisk(
    req: Exclude<MembershipRequest, { readonly kind: 'member-list' }>,
    id: NodeId,
  ): string | undefined {
    const progress = this.raw().status().progress;
    const isActive = (m: NodeId): boolean =>
      m === this.id || progress.some((p) => p.id === m && p.recentActive && p.match > 0);
    const voters = this.confState.voters;
    const activeVoters = voters.filter(isActive).length;
    const shortfall = (change: string, count: number, active: number): string | undefined => {
      const quorum = Math.floor(count / 2) + 1;
      return active >= quorum
        ? undefined
        : `unhealthy cluster: ${change} leaves ${count} voters, which need ${quorum} active, and ${active} would be`;
    };
    switch (req.kind) {
      case 'member-add':
        if (req.learner || voters.length === 1) return undefined;
        return shortfall(`adding voter ${id}`, voters.length + 1, activeVoters);
      case 'member-promote': {
        const match = progress.find((p) => p.id === id)?.match ?? 0;
        const last = this.storage.lastIndex();
        if (match < last * READY_FRACTION)
          return `member ${id} is a learner not yet in sync with the leader (at index ${match} of ${last})`;
        return shortfall(
          `promoting ${id}`,
          voters.length + 1,
          activeVoters + (isActive(id) ? 1 : 0),
        );
      }
      case 'member-remove':
        // A learner, or a voter that is down, is not part of the active quorum.
        if (!voters.includes(id) || !isActive(id)) return undefined;
        return shortfall(`removing ${id}`, voters.length - 1, activeVoters - 1);
      default:
        return assertNever(req, 'membership request');
    }
  }

  private enqueueRead(serve: () => MemberReply, resolve: Resolve): void {
    this.reads.push({ serve, resolve });
    this.kick();
  }

  private onWatch(open: WatchOpen, stream: ServerStream<WatchStreamMessage>): void {
    if (this.removed) {
      stream.send({ kind: 'member-removed', members: this.successors });
      return stream.close();
    }
    const created = this.sm.watch(open.request);
    if (created.kind === 'error') {
      stream.send({ kind: 'error', error: created });
      stream.close();
      return;
    }
    const id = created.watchId;
    const sm = this.sm;
    this.streams.set(id, stream);
    stream.onClose(() => {
      // The state machine may have been replaced by a snapshot since.
      if (this.sm === sm) {
        this.streams.delete(id);
        sm.cancelWatch(id);
      }
    });
    stream.send({ kind: 'created', watchId: id });
    this.flushWatches();
  }

  private onProgressTimer(): void {
    this.ports.clock.setTimer(this.timing.progressIntervalUs, () => this.onProgressTimer());
    for (const p of this.sm.progress())
      this.streams.get(p.watchId)?.send({ kind: 'progress', revision: p.revision });
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
      this.flushProposals(node);
      this.flushConfChange(node);
      this.flushReads(node);
      if (!node.hasReady()) break;
      const rd = node.ready();
      const durable = this.persist(rd);
      if (durable !== undefined) await durable;
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
      if (to !== undefined) transport.send(to, m);
    }
    if (rd.snapshot !== undefined) this.installSnapshot(rd.snapshot);
    if (rd.committedEntries.length > 0) this.applyEntries(rd.committedEntries);
    for (const rs of rd.readStates) {
      if (this.readRound?.ctx === rs.ctx) this.readRound.index = rs.index;
    }
    this.serveReads();
    this.flushWatches();
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
      this.failReads();
      const queued = this.proposals;
      this.proposals = [];
      for (const p of queued) p.resolve?.(this.notLeader());
      const conf = this.confChange;
      this.confChange = undefined;
      conf?.resolve(this.notLeader());
    }
    this.ports.trace.emit('store.member.role', {
      id: this.id,
      role,
      lead,
      term: this.hardState.term,
    });
  }

  private flushProposals(node: RawNode): void {
    while (this.proposals.length > 0) {
      const batch =
        this.proposals.length <= this.timing.maxBatchEntries
          ? this.proposals
          : this.proposals.slice(0, this.timing.maxBatchEntries);
      this.proposals = batch === this.proposals ? [] : this.proposals.slice(batch.length);
      const entries: ProposedEntry[] = new Array<ProposedEntry>(batch.length);
      for (let i = 0; i < batch.length; i++) entries[i] = { type: 'normal', data: batch[i]!.data };
      const result = node.proposeBatch(entries);
      if (result.kind === 'appended') {
        const first = result.index - batch.length + 1;
        for (let i = 0; i < batch.length; i++) {
          const p = batch[i]!;
          this.inflight.set(first + i, { term: result.term, op: p.op, resolve: p.resolve });
        }
      } else {
        // Not appended anywhere (forwarding is off): safe to retry elsewhere.
        for (const p of batch) {
          if (p.resolve !== undefined) p.resolve(this.notLeader());
          else if (p.op.kind === 'lease-revoke') this.lessor.revokeDropped(p.op.id);
        }
      }
    }
  }

  private flushConfChange(node: RawNode): void {
    const queued = this.confChange;
    if (queued === undefined) return;
    this.confChange = undefined;
    const result = node.proposeConfChange(queued.cc);
    if (result.kind === 'appended') {
      this.confChangeIndex = result.index;
      this.inflight.set(result.index, {
        term: result.term,
        op: undefined,
        resolve: queued.resolve,
      });
    } else {
      queued.resolve(this.notLeader());
    }
  }

  private flushReads(node: RawNode): void {
    if (this.reads.length === 0 || this.readRound !== undefined) return;
    const ctx = `${this.ports.incarnation}.${++this.readSeq}`;
    const reads = this.reads;
    this.reads = [];
    const result = node.readIndex(ctx);
    if (result.kind === 'pending') this.readRound = { ctx, reads, index: undefined };
    else for (const r of reads) r.resolve(this.notLeader());
  }

  /** Serves the confirmed read round once its index is applied. */
  private serveReads(): void {
    const round = this.readRound;
    if (round === undefined || round.index === undefined || this.applied < round.index) return;
    this.readRound = undefined;
    for (const r of round.reads) r.resolve(r.serve());
  }

  private failReads(): void {
    const round = this.readRound;
    this.readRound = undefined;
    const queued = this.reads;
    this.reads = [];
    if (round !== undefined) for (const r of round.reads) r.resolve(this.notLeader());
    for (const r of queued) r.resolve(this.notLeader());
  }

  private applyEntries(entries: readonly Entry[]): void {
    const probe = this.probe;
    const sm = this.sm;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      const pending = this.inflight.size > 0 ? this.inflight.get(e.index) : undefined;
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
        this.inflight.delete(e.index);
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
    const moved: WatchStreamMessage = { kind: 'member-removed', members: this.successors };
    for (const stream of this.streams.values()) {
      stream.send(moved);
      stream.close();
    }
    this.streams.clear();
  }

  /** The entry at a proposed membership change's index: the change itself, or something else. */
  private answerConfChange(e: Entry, pending: InflightProposal): void {
    this.confChangeIndex = undefined;
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

  /** The current configuration with addresses, by id. */
  private memberList(): MemberInfo[] {
    const cs = this.confState;
    return membersOf(cs)
      .sort((a, b) => a - b)
      .map((id) => ({
        id,
        address: this.addressOf.get(id) ?? '',
        learner: cs.learners.includes(id),
      }));
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
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
    this.restoreStateMachine(snapshot);
    for (const i of [...this.inflight.keys()]) if (i <= index) this.inflight.delete(i);
    if (this.confChangeIndex !== undefined && this.confChangeIndex <= index) {
      this.confChangeIndex = undefined;
    }
    if (this.lessor.isPrimary) this.lessor.promote(this.sm.leases(), this.ports.clock.now());
    this.ports.trace.emit('store.member.snapshot-installed', {
      id: this.id,
      index,
      revision: this.sm.revision,
    });
  }

  /** Snapshot of the applied state; the log keeps `catchUpEntries` behind it. */
  private async takeSnapshot(): Promise<void> {
    const storage = this.storage;
    const index = this.applied;
    storage.createSnapshot(
      index,
      this.confState,
      encodeMemberSnapshot(this.memberList(), [...this.removedIds], this.sm.snapshot()),
    );
    const keepFrom = index - this.timing.catchUpEntries;
    if (keepFrom > storage.firstIndex()) storage.compact(asIndex(keepFrom));
    const snapshot = storage.snapshot();
    await this.wal!.rotate(snapshot, this.hardState, this.entriesAfter(index));
    this.ports.trace.emit('store.member.snapshot', {
      id: this.id,
      index,
      revision: this.sm.revision,
    });
  }

  private flushWatches(): void {
    if (this.streams.size === 0) return;
    for (const response of this.sm.drainWatchEvents()) {
      this.streams.get(response.watchId)?.send({ kind: 'events', response });
    }
  }

  // ---- serving -------------------------------------------------------------------------------

  private serveRange(op: Op): KvReply {
    return { kind: 'result', result: this.sm.apply(op) };
  }

  private serveLease(req: LeaseRequest): MemberReply {
    const now = this.ports.clock.now();
    const header = { revision: this.sm.revision };
    const info = this.sm.leases().find((l) => l.id === req.id);
    const notFound: LeaseResult = { kind: 'error', reason: 'lease-not-found', header };
    if (info === undefined) return { kind: 'lease', result: notFound };
    switch (req.kind) {
      case 'lease-keep-alive': {
        const ttl = this.lessor.keepAlive(req.id, now);
        if (ttl === undefined)
          return this.lessor.isPrimary ? { kind: 'lease', result: notFound } : this.notLeader();
        return {
          kind: 'lease',
          result: { kind: 'lease-keep-alive', header, id: req.id, ttlSeconds: ttl },
        };
      }
      case 'lease-time-to-live': {
        const remainingUs = this.lessor.remainingUs(req.id, now);
        if (remainingUs === undefined) return this.notLeader();
        return {
          kind: 'lease',
          result: {
            kind: 'lease-time-to-live',
            header,
            id: req.id,
            remainingSeconds: Math.ceil(remainingUs / US_PER_SECOND),
            grantedTtlSeconds: info.ttlSeconds,
            keys: info.keys,
          },
        };
      }
      default:
        return assertNever(req, 'lease request');
    }
  }

  private expireLeases(): void {
    for (const id of this.lessor.takeExpired(this.ports.clock.now())) {
      const op: Op = { kind: 'lease-revoke', id };
      this.proposals.push({ op, data: encodeEntryOp(op), resolve: undefined });
    }
  }

  private newLeaseId(): LeaseId {
    const taken = new Set(this.sm.leases().map((l) => l.id as number));
    for (;;) {
      const id = 1 + this.ports.random.int(LEASE_ID_SPACE);
      if (!taken.has(id)) return leaseId(id);
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
