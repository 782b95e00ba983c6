/**
 * A Raft cluster under a hostile in-test network (loss, duplication, full reordering,
 * partitions), crash-restarts that lose unpersisted state, compactions and membership changes,
 * with Raft's safety properties checked after every step:
 *
 * - election safety: at most one leader per term;
 * - log matching: if two persisted logs hold an entry with the same index and term, they are
 *   identical up to it;
 * - leader completeness: a new leader's log holds every entry committed in an earlier term;
 * - state machine safety: no two nodes apply different entries at one index.
 */
import { toBytes } from '../../../core/ports/lazy-bytes.ts';
import {
  asIndex,
  asNodeId,
  confChange,
  decodeConfChange,
  describeEntry,
  MemoryStorage,
  RawNode,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type Ready,
  type Snapshot,
} from '../../../core/raft/index.ts';
import { SeededRandom } from './seeded-random.ts';

export interface ChaosOptions {
  readonly seed: number;
  readonly nodeCount: number;
  /** Voters at bootstrap (ids 1..initialVoters); the rest start empty, to be added. */
  readonly initialVoters: number;
  readonly steps: number;
  readonly lossProbability: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly confChanges: boolean;
  readonly compaction: boolean;
}

interface SimNode {
  readonly id: NodeId;
  raw: RawNode;
  readonly storage: MemoryStorage;
  readonly config: RaftConfig;
  /** index -> payload of applied normal entries; the toy state machine. */
  state: Map<number, string>;
  confState: ConfState;
}

interface Applied {
  readonly term: number;
  readonly data: string;
}

const ELECTION_TICKS = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ChaosCluster {
  readonly nodes: SimNode[] = [];
  private network: Message[] = [];
  private groups: number[] | undefined;
  private readonly rnd: SeededRandom;
  private readonly leaders = new Map<number, NodeId>();
  /** Globally applied entries: index -> what every node must apply there. */
  private readonly applied = new Map<number, Applied>();
  /** index -> an upper bound on the term in which it was committed. */
  private readonly commitTerm = new Map<number, number>();
  private proposals = 0;
  stepsRun = 0;
  readonly stats = {
    delivered: 0,
    dropped: 0,
    restarts: 0,
    snapshotsSent: 0,
    confApplied: 0,
    maxApplied: 0,
  };

  constructor(private readonly opts: ChaosOptions) {
    this.rnd = new SeededRandom(opts.seed);
    const voters = Array.from({ length: opts.initialVoters }, (_, i) => asNodeId(i + 1));
    for (let i = 1; i <= opts.nodeCount; i++) {
      const id = asNodeId(i);
      const storage = new MemoryStorage();
      const confState: ConfState = { voters, learners: [] };
      if (i <= opts.initialVoters) {
        storage.applySnapshot({
          metadata: { index: asIndex(1), term: 1 as Entry['term'], confState },
          data: new Uint8Array(0),
        });
      }
      const config: RaftConfig = {
        id,
        storage,
        random: this.rnd.fork(`node-${i}`),
        electionTicks: ELECTION_TICKS,
        heartbeatTicks: 1,
        preVote: opts.preVote,
        checkQuorum: opts.checkQuorum,
        maxInflightMsgs: 8,
        maxSizePerMsgBytes: 256,
        applied: asIndex(i <= opts.initialVoters ? 1 : 0),
      };
      this.nodes.push({
        id,
        raw: new RawNode(config),
        storage,
        config,
        state: new Map(),
        confState: i <= opts.initialVoters ? confState : { voters: [], learners: [] },
      });
    }
  }

  /** The chaos phase: random actions, invariants checked after each. */
  runChaos(): void {
    for (let s = 0; s < this.opts.steps; s++) {
      this.randomAction();
      this.stepsRun++;
      this.checkStep();
    }
  }

  /**
   * The liveness phase: heal, deliver everything, tick everyone; a leader must emerge and a
   * fresh proposal must reach every member's state machine within `maxTicks`. With
   * `mustConverge: false` it only runs those ticks (safety is still checked throughout) and
   * reports `ticks: undefined` if the cluster did not converge.
   */
  converge(maxTicks: number, { mustConverge = true } = {}): { ticks: number | undefined } {
    this.groups = undefined;
    // A stale leader may accept the proposal and lose it; propose again to each new leader.
    const markers: string[] = [];
    let proposedTo = '';
    for (let t = 0; t < maxTicks; t++) {
      for (const n of this.nodes) n.raw.tick();
      this.drain();
      const leader = this.nodes.find((n) => n.raw.status().softState.role === 'leader');
      if (leader === undefined) continue;
      const leaderKey = `${leader.id}@${leader.raw.status().hardState.term}`;
      if (leaderKey !== proposedTo) {
        const data = `final-${markers.length}`;
        if (leader.raw.propose(encoder.encode(data)).kind === 'appended') {
          markers.push(data);
          proposedTo = leaderKey;
        }
        this.drain();
      }
      if (markers.some((m) => this.membersApplied(leader, m))) return { ticks: t + 1 };
    }
    if (!mustConverge) return { ticks: undefined };
    throw new Error(`no convergence within ${maxTicks} ticks\n${this.describeState()}`);
  }

  describeState(): string {
    return this.nodes
      .map((n) => {
        const s = n.raw.status();
        return `${n.id}: ${s.softState.role} term=${s.hardState.term} lead=${s.softState.lead} commit=${s.hardState.commit} applied=${s.applied} last=${s.lastIndex} conf=${JSON.stringify(s.confState)}`;
      })
      .join('\n');
  }

  private membersApplied(leader: SimNode, marker: string): boolean {
    const cs = leader.raw.status().confState;
    return [...cs.voters, ...cs.learners].every((id) => {
      const n = this.nodes[id - 1] as SimNode;
      for (const v of n.state.values()) if (v === marker) return true;
      return false;
    });
  }

  private drain(): void {
    for (let round = 0; round < 1000; round++) {
      let busy = false;
      for (const n of this.nodes) {
        if (n.raw.hasReady()) {
          this.processReady(n);
          busy = true;
        }
      }
      const msgs = this.network;
      this.network = [];
      for (const m of msgs) {
        busy = true;
        this.stats.delivered++;
        (this.nodes[m.to - 1] as SimNode).raw.step(m);
      }
      this.checkStep();
      if (!busy) return;
    }
    throw new Error('drain did not quiesce');
  }

  private randomAction(): void {
    const r = this.rnd.float();
    const node = this.nodes[this.rnd.int(this.nodes.length)] as SimNode;
    if (r < 0.4) this.deliverOne();
    else if (r < 0.6) {
      if (node.raw.hasReady()) this.processReady(node);
    } else if (r < 0.86) node.raw.tick();
    else if (r < 0.93) node.raw.propose(encoder.encode(`p${++this.proposals}`));
    else if (r < 0.937) this.repartition();
    else if (r < 0.944) this.restart(node);
    else if (r < 0.96) {
      if (this.opts.compaction) this.compact(node);
    } else if (this.opts.confChanges) this.proposeConfChange(node);
  }

  private deliverOne(): void {
    if (this.network.length === 0) return;
    const i = this.rnd.int(this.network.length);
    const m = this.network[i] as Message;
    const duplicate = this.rnd.float() < 0.02;
    if (!duplicate) {
      this.network[i] = this.network[this.network.length - 1] as Message;
      this.network.pop();
    }
    if (this.rnd.float() < this.opts.lossProbability || !this.connected(m.from, m.to)) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    (this.nodes[m.to - 1] as SimNode).raw.step(m);
  }

  private connected(a: NodeId, b: NodeId): boolean {
    return this.groups === undefined || this.groups[a] === this.groups[b];
  }

  private repartition(): void {
    if (this.groups !== undefined || this.rnd.float() < 0.3) {
      this.groups = undefined;
      return;
    }
    const groups = [0];
    for (let i = 1; i <= this.nodes.length; i++) groups.push(this.rnd.int(2));
    this.groups = groups;
  }

  /** Crash: whatever was not persisted (the pending Ready) is lost; restart from storage. */
  private restart(n: SimNode): void {
    this.stats.restarts++;
    const snap = n.storage.snapshot();
    n.state = decodeState(snap);
    n.confState = snap.metadata.confState;
    n.raw = new RawNode({ ...n.config, applied: snap.metadata.index });
  }

  private compact(n: SimNode): void {
    const applied = n.raw.status().applied;
    if (applied <= n.storage.firstIndex()) return;
    const data = encodeState(n.state, applied);
    if (n.storage.createSnapshot(applied, n.confState, data).kind === 'ok')
      n.storage.compact(applied);
  }

  private proposeConfChange(n: SimNode): void {
    const kinds = ['add-voter', 'add-learner', 'remove'] as const;
    const kind = kinds[this.rnd.int(kinds.length)] as (typeof kinds)[number];
    const target = asNodeId(1 + this.rnd.int(this.nodes.length));
    // Shrinking a two-voter configuration can lose liveness for good if the leader fails
    // before the survivor learns the change committed (changes apply at commit, as in etcd):
    // the survivor still needs the old voter's vote. Real operators add before they remove.
    // Decide on the leader: its configuration is the newest (one conf change at a time).
    const status = n.raw.status();
    if (status.softState.role !== 'leader') return;
    const voters = status.confState.voters;
    if (kind !== 'add-voter' && voters.includes(target) && voters.length < 3) return;
    n.raw.proposeConfChange(confChange(kind, target));
  }

  private processReady(n: SimNode): void {
    const rd: Ready = n.raw.ready();
    if (rd.snapshot !== undefined) this.installSnapshot(n, rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    if (rd.softState?.role === 'leader') this.checkLeaderCompleteness(n);
    for (const m of rd.messages) {
      if (m.kind === 'MsgSnap') this.stats.snapshotsSent++;
      this.network.push(m);
    }
    const term = n.raw.status().hardState.term;
    for (const e of rd.committedEntries) this.apply(n, e, term);
    n.raw.advance(rd);
  }

  private installSnapshot(n: SimNode, snap: Snapshot): void {
    n.storage.applySnapshot(snap);
    n.state = decodeState(snap);
    n.confState = snap.metadata.confState;
    for (const [index, data] of n.state) {
      const seen = this.applied.get(index);
      if (seen !== undefined && seen.data !== data) {
        throw new Error(`snapshot at ${n.id} has ${data}@${index}, others applied ${seen.data}`);
      }
    }
  }

  private apply(n: SimNode, e: Entry, term: number): void {
    const data = e.type === 'conf-change' ? describeEntry(e) : decoder.decode(e.data);
    const seen = this.applied.get(e.index);
    if (seen === undefined) this.applied.set(e.index, { term: e.term, data });
    else if (seen.term !== e.term || seen.data !== data) {
      throw new Error(
        `state machine safety: node ${n.id} applied ${e.term}/${e.index} ${data}, another applied ${seen.term}/${e.index} ${seen.data}`,
      );
    }
    const ct = this.commitTerm.get(e.index);
    if (ct === undefined || term < ct) this.commitTerm.set(e.index, term);
    this.stats.maxApplied = Math.max(this.stats.maxApplied, e.index);
    if (e.type === 'conf-change') {
      n.confState = n.raw.applyConfChange(decodeConfChange(e.data));
      this.stats.confApplied++;
    } else if (e.data.byteLength > 0) {
      n.state.set(e.index, data);
    }
  }

  /** Runs right after the leader's first Ready is persisted: storage then holds its whole log. */
  private checkLeaderCompleteness(n: SimNode): void {
    const term = n.raw.status().hardState.term;
    const first = n.storage.firstIndex();
    const last = n.storage.lastIndex();
    for (const [index, ct] of this.commitTerm) {
      if (ct >= term || index < first) continue;
      const seen = this.applied.get(index) as Applied;
      if (index > last || n.storage.term(asIndex(index)) !== seen.term) {
        throw new Error(
          `leader completeness: leader ${n.id} of term ${term} lacks ${seen.term}/${index} committed by term ${ct}`,
        );
      }
    }
  }

  private checkStep(): void {
    for (const n of this.nodes) {
      const s = n.raw.status();
      if (s.softState.role === 'leader') {
        const prev = this.leaders.get(s.hardState.term);
        if (prev !== undefined && prev !== n.id) {
          throw new Error(
            `election safety: ${prev} and ${n.id} both lead term ${s.hardState.term}`,
          );
        }
        this.leaders.set(s.hardState.term, n.id);
      }
    }
    this.checkLogMatching();
  }

  /** For every pair: below the highest index where both persisted logs agree, they agree. */
  checkLogMatching(): void {
    for (let a = 0; a < this.nodes.length; a++) {
      for (let b = a + 1; b < this.nodes.length; b++) {
        this.checkPair(this.nodes[a] as SimNode, this.nodes[b] as SimNode);
      }
    }
  }

  private checkPair(x: SimNode, y: SimNode): void {
    const lo = Math.max(x.storage.firstIndex(), y.storage.firstIndex());
    const hi = Math.min(x.storage.lastIndex(), y.storage.lastIndex());
    if (hi < lo) return;
    const xs = x.storage.entries(asIndex(lo), asIndex(hi + 1), Infinity);
    const ys = y.storage.entries(asIndex(lo), asIndex(hi + 1), Infinity);
    let agreed = false;
    for (let i = xs.length - 1; i >= 0; i--) {
      const ex = xs[i] as Entry;
      const ey = ys[i] as Entry;
      if (ex === ey) {
        agreed = true;
        continue;
      }
      const same = ex.term === ey.term && bytesEqual(ex.data, ey.data) && ex.type === ey.type;
      if (same) agreed = true;
      else if (agreed || ex.term === ey.term) {
        throw new Error(
          `log matching: nodes ${x.id} and ${y.id} differ at ${ex.index} (${describeEntry(ex)} vs ${describeEntry(ey)}) below an agreed entry`,
        );
      }
    }
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function encodeState(state: Map<number, string>, upTo: number): Uint8Array {
  const items: [number, string][] = [];
  for (const [i, d] of state) if (i <= upTo) items.push([i, d]);
  return encoder.encode(JSON.stringify(items));
}

function decodeState(snap: Snapshot): Map<number, string> {
  const data = toBytes(snap.data);
  if (data.byteLength === 0) return new Map();
  return new Map(JSON.parse(decoder.decode(data)) as [number, string][]);
}
