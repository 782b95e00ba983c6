/**
 * The world of a data-driven Raft script: nodes (RawNode + MemoryStorage + a toy state machine
 * that records applied payloads), an in-flight message list, and an optional partition. Shaped
 * after etcd-io/raft rafttest/interaction_env*.go, written for this codebase.
 *
 * Node defaults differ from the library's on purpose, to keep scripts short: election 3 ticks,
 * heartbeat 1 tick, PreVote and CheckQuorum off unless a script turns them on.
 */
import { toBytes } from '../../../core/ports/lazy-bytes.ts';
import {
  asIndex,
  asNodeId,
  asTerm,
  confChange,
  decodeConfChange,
  describeConfState,
  describeEntry,
  describeHardState,
  describeMessage,
  describeReady,
  describeSoftState,
  EMPTY_DATA,
  MemoryStorage,
  RawNode,
  type ConfChangeKind,
  type ConfState,
  type Message,
  type NodeId,
  type RaftConfig,
  type Snapshot,
} from '../../../core/raft/index.ts';
import { SeededRandom } from './seeded-random.ts';
import type { CommandArg, TestCase } from './datadriven.ts';

const ENV_SEED = 1;
const MAX_STABILIZE_ROUNDS = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface EnvNode {
  readonly id: NodeId;
  rawNode: RawNode;
  readonly storage: MemoryStorage;
  readonly config: RaftConfig;
  /** Applied normal-entry payloads with their indexes: the toy state machine. */
  state: { index: number; data: string }[];
  confState: ConfState;
}

export class InteractionEnv {
  private readonly nodes: EnvNode[] = [];
  private messages: Message[] = [];
  /** node id -> group; undefined when the network is whole. */
  private groups: Map<NodeId, number> | undefined;
  private quiet = false;
  private out: string[] = [];
  private readonly random = new SeededRandom(ENV_SEED);

  handle(tc: TestCase): string {
    this.out = [];
    this.dispatch(tc);
    return this.quiet ? 'ok' : this.out.join('\n');
  }

  private dispatch(tc: TestCase): void {
    const a = tc.args;
    switch (tc.cmd) {
      case 'log-level':
        this.quiet = firstKey(a) === 'none';
        return;
      case 'add-nodes':
        return this.addNodes(a);
      case 'campaign':
        return this.report(this.node(a).rawNode.campaign());
      case 'tick-heartbeat':
        return this.tick(a, (n) => n.config.heartbeatTicks ?? 1);
      case 'tick-election':
        return this.tick(a, (n) => n.config.electionTicks ?? 10);
      case 'tick':
        return this.tick(a, () => Number(argVal(a, 'n') ?? '1'));
      case 'propose':
        return this.report(this.node(a).rawNode.propose(encoder.encode(a[1]?.key ?? '')));
      case 'propose-conf-change':
        return this.report(
          this.node(a).rawNode.proposeConfChange(parseConfChange(a[1]?.key ?? '')),
        );
      case 'read-index':
        return this.report(this.node(a).rawNode.readIndex(a[1]?.key ?? ''));
      case 'transfer-leadership': {
        const from = this.byId(Number(argVal(a, 'from')));
        return this.report(from.rawNode.transferLeader(asNodeId(Number(argVal(a, 'to')))));
      }
      case 'process-ready':
        return this.processReadyCmd(a);
      case 'deliver-msgs':
        return this.deliverMsgsCmd(a);
      case 'stabilize':
        return this.stabilize(nodeIds(a));
      case 'partition':
        return this.partition(a);
      case 'heal':
        this.groups = undefined;
        return;
      case 'compact':
        return this.compact(this.node(a), Number(a[1]?.key));
      case 'restart':
        return this.restart(this.node(a));
      case 'report-unreachable':
        // The host of node A could not deliver to node B: `report-unreachable A B`.
        return this.node(a).rawNode.reportUnreachable(asNodeId(Number(a[1]?.key)));
      case 'report-snapshot':
        // `report-snapshot A B applied=true|false`: what A's host learned about its MsgSnap to B.
        return this.node(a).rawNode.reportSnapshot(
          asNodeId(Number(a[1]?.key)),
          argVal(a, 'applied') === 'true',
        );
      case 'status':
        return this.status(this.node(a));
      case 'raft-log':
        return this.raftLog(this.node(a));
      case 'raft-state':
        return this.raftState();
      case 'state-machine':
        return this.print(
          this.node(a)
            .state.map((s) => `${s.index}: ${s.data}`)
            .join('\n') || 'empty',
        );
      default:
        throw new Error(`line ${tc.line}: unknown command ${tc.cmd}`);
    }
  }

  private print(line: string): void {
    this.out.push(line);
  }

  private report(result: { readonly kind: string; readonly reason?: string }): void {
    // Drop reasons name themselves ("proposal dropped: ..."); other refusals do not.
    if (result.kind === 'dropped') this.print(result.reason ?? 'dropped');
    if (result.kind === 'ignored') this.print(`ignored: ${result.reason}`);
  }

  private node(args: readonly CommandArg[]): EnvNode {
    return this.byId(Number(firstKey(args)));
  }

  private byId(id: number): EnvNode {
    const n = this.nodes[id - 1];
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  private addNodes(a: readonly CommandArg[]): void {
    const count = Number(firstKey(a));
    const voters = (argVals(a, 'voters') ?? []).map((v) => asNodeId(Number(v)));
    const learners = (argVals(a, 'learners') ?? []).map((v) => asNodeId(Number(v)));
    const index = Number(argVal(a, 'index') ?? '0');
    const bool = (key: string): boolean => argVal(a, key) === 'true';
    for (let i = 0; i < count; i++) {
      const id = asNodeId(this.nodes.length + 1);
      const storage = new MemoryStorage();
      const confState: ConfState = { voters, learners };
      if (voters.length > 0) {
        if (index < 1) throw new Error('bootstrap needs index >= 1');
        storage.applySnapshot({
          metadata: { index: asIndex(index), term: asTerm(1), confState },
          data: EMPTY_DATA,
        });
      }
      const config: RaftConfig = {
        id,
        storage,
        random: this.random.fork(`node-${id}`),
        electionTicks: Number(argVal(a, 'election') ?? '3'),
        heartbeatTicks: Number(argVal(a, 'heartbeat') ?? '1'),
        applied: asIndex(voters.length > 0 ? index : 0),
        maxInflightMsgs: Number(argVal(a, 'inflight') ?? '256'),
        maxSizePerMsgBytes: Number(argVal(a, 'max-msg-size') ?? `${1024 * 1024}`),
        preVote: bool('prevote'),
        checkQuorum: bool('checkquorum'),
        disableProposalForwarding: argVal(a, 'forwarding') === 'false',
      };
      this.nodes.push({ id, rawNode: new RawNode(config), storage, config, state: [], confState });
    }
  }

  private tick(a: readonly CommandArg[], count: (n: EnvNode) => number): void {
    const n = this.node(a);
    const times = count(n);
    for (let i = 0; i < times; i++) n.rawNode.tick();
  }

  private processReadyCmd(a: readonly CommandArg[]): void {
    const ids = nodeIds(a);
    for (const id of ids) {
      if (ids.length > 1) {
        this.print(`> ${id} handling Ready`);
        this.indented(() => this.processReady(this.byId(id)));
      } else {
        this.processReady(this.byId(id));
      }
    }
  }

  /** Persist, send, apply, advance — the host contract of a Ready. */
  private processReady(n: EnvNode): void {
    const rd = n.rawNode.ready();
    this.out.push(...describeReady(rd).replace(/\n$/, '').split('\n'));
    if (rd.snapshot !== undefined) {
      n.storage.applySnapshot(rd.snapshot);
      n.state = decodeState(rd.snapshot);
      n.confState = rd.snapshot.metadata.confState;
    }
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    for (const m of rd.messages) this.messages.push(m);
    for (const e of rd.committedEntries) {
      if (e.type === 'conf-change') {
        n.confState = n.rawNode.applyConfChange(decodeConfChange(e.data));
      } else if (e.data.byteLength > 0) {
        n.state.push({ index: e.index, data: decoder.decode(e.data) });
      }
    }
    n.rawNode.advance(rd);
  }

  private deliverMsgsCmd(a: readonly CommandArg[]): void {
    const type = argVal(a, 'type');
    let delivered = 0;
    for (const arg of a) {
      if (arg.key === 'drop') {
        for (const v of arg.vals) delivered += this.deliver(asNodeId(Number(v)), type, true);
      } else if (arg.vals.length === 0) {
        delivered += this.deliver(asNodeId(Number(arg.key)), type, false);
      }
    }
    if (delivered === 0) this.print('no messages');
  }

  /** Delivers (or drops) the in-flight messages addressed to `to`, oldest first. */
  private deliver(to: NodeId, type: string | undefined, drop: boolean): number {
    const mine: Message[] = [];
    const rest: Message[] = [];
    for (const m of this.messages) {
      if (m.to === to && (type === undefined || m.kind === type)) mine.push(m);
      else rest.push(m);
    }
    this.messages = rest;
    for (const m of mine) {
      if (drop || !this.connected(m.from, m.to)) {
        this.print(`dropped: ${describeMessage(m)}`);
        continue;
      }
      this.out.push(...describeMessage(m).split('\n'));
      this.byId(to).rawNode.step(m);
    }
    return mine.length;
  }

  private connected(a: NodeId, b: NodeId): boolean {
    if (this.groups === undefined) return true;
    return this.groups.get(a) === this.groups.get(b);
  }

  private stabilize(ids: readonly number[]): void {
    const nodes = ids.length > 0 ? ids.map((id) => this.byId(id)) : this.nodes;
    for (let round = 0; round < MAX_STABILIZE_ROUNDS; round++) {
      let done = true;
      for (const n of nodes) {
        if (!n.rawNode.hasReady()) continue;
        done = false;
        this.print(`> ${n.id} handling Ready`);
        this.indented(() => this.processReady(n));
      }
      for (const n of nodes) {
        if (!this.messages.some((m) => m.to === n.id)) continue;
        done = false;
        this.print(`> ${n.id} receiving messages`);
        this.indented(() => this.deliver(n.id, undefined, false));
      }
      if (done) return;
    }
    throw new Error(`stabilize did not converge in ${MAX_STABILIZE_ROUNDS} rounds`);
  }

  private indented(f: () => void): void {
    const outer = this.out;
    this.out = [];
    f();
    const inner = this.out;
    this.out = outer;
    for (const l of inner) this.out.push(`  ${l}`);
  }

  private partition(a: readonly CommandArg[]): void {
    const groups = new Map<NodeId, number>();
    a.forEach((arg, g) => {
      for (const v of arg.vals) groups.set(asNodeId(Number(v)), g);
    });
    // Unlisted nodes are isolated, each on its own.
    for (const n of this.nodes) if (!groups.has(n.id)) groups.set(n.id, a.length + n.id);
    this.groups = groups;
  }

  private compact(n: EnvNode, index: number): void {
    const last = n.state.filter((s) => s.index <= index);
    const data = encoder.encode(last.map((s) => `${s.index}:${s.data}`).join(','));
    const created = n.storage.createSnapshot(asIndex(index), n.confState, data);
    if (created.kind !== 'ok') return this.print(created.reason);
    const compacted = n.storage.compact(asIndex(index));
    if (compacted.kind !== 'ok') return this.print(compacted.reason);
    this.raftLog(n);
  }

  /** Crash and restart: everything not in storage is lost; the state machine reloads. */
  private restart(n: EnvNode): void {
    const snap = n.storage.snapshot();
    n.state = decodeState(snap);
    n.confState = snap.metadata.confState;
    n.rawNode = new RawNode({ ...n.config, applied: snap.metadata.index });
  }

  private status(n: EnvNode): void {
    const s = n.rawNode.status();
    this.print(
      `${describeSoftState(s.softState)} ${describeHardState(s.hardState)} Applied:${s.applied}`,
    );
    this.print(describeConfState(s.confState));
    for (const p of s.progress) {
      let line = `${p.id}: ${p.state} match=${p.match} next=${p.next}`;
      if (p.isLearner) line += ' learner';
      if (p.paused) line += ' paused';
      if (p.pendingSnapshot > 0) line += ` pendingSnap=${p.pendingSnapshot}`;
      if (p.inflightMsgs > 0) line += ` inflight=${p.inflightMsgs}`;
      this.print(line);
    }
  }

  private raftLog(n: EnvNode): void {
    const first = n.storage.firstIndex();
    const last = n.storage.lastIndex();
    if (last < first) {
      this.print(`log is empty: first index=${first}, last index=${last}`);
      return;
    }
    for (const e of n.storage.entries(first, asIndex(last + 1), Infinity))
      this.print(describeEntry(e));
  }

  private raftState(): void {
    for (const n of this.nodes) {
      const s = n.rawNode.status();
      const kind = s.confState.voters.includes(n.id)
        ? 'Voter'
        : s.confState.learners.includes(n.id)
          ? 'Learner'
          : 'NonMember';
      this.print(
        `${n.id}: ${s.softState.role} (${kind}) Term:${s.hardState.term} Lead:${s.softState.lead}`,
      );
    }
  }
}

function decodeState(snap: Snapshot): { index: number; data: string }[] {
  const text = decoder.decode(toBytes(snap.data));
  if (text === '') return [];
  return text.split(',').map((item) => {
    const colon = item.indexOf(':');
    return { index: Number(item.slice(0, colon)), data: item.slice(colon + 1) };
  });
}

function parseConfChange(spec: string) {
  const kinds: Record<string, ConfChangeKind> = { v: 'add-voter', l: 'add-learner', r: 'remove' };
  const kind = kinds[spec.charAt(0)];
  if (kind === undefined) throw new Error(`bad conf change ${spec}; want v<id>, l<id> or r<id>`);
  return confChange(kind, asNodeId(Number(spec.slice(1))));
}

function firstKey(args: readonly CommandArg[]): string {
  const a = args[0];
  if (a === undefined) throw new Error('missing argument');
  return a.key;
}

function argVals(args: readonly CommandArg[], key: string): readonly string[] | undefined {
  return args.find((x) => x.key === key)?.vals;
}

function argVal(args: readonly CommandArg[], key: string): string | undefined {
  return argVals(args, key)?.[0];
}

function nodeIds(args: readonly CommandArg[]): number[] {
  return args.filter((x) => x.vals.length === 0 && /^\d+$/.test(x.key)).map((x) => Number(x.key));
}
