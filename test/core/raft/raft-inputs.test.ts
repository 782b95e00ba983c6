/**
 * Raft's inputs checked at the API (what the data-driven scripts cannot print): the results a
 * follower returns when it forwards a request, what a restarted node takes from its config and
 * storage (learner role, applied index), the guard against an empty proposal, and that entries
 * the host reports persisted leave the unstable log.
 */
import { describe, expect, test } from 'vitest';
import {
  asIndex,
  asNodeId,
  asTerm,
  EMPTY_DATA,
  MemoryStorage,
  Raft,
  RawNode,
  type Entry,
  type NodeId,
} from '../../../core/raft/index.ts';
import type { Random } from '../../../core/ports/random.ts';
import { AssertionError } from '../../../core/util/assert.ts';
import { SeededRandom } from './seeded-random.ts';

const n1 = asNodeId(1);
const n2 = asNodeId(2);
const n3 = asNodeId(3);

const entry = (term: number, index: number): Entry => ({
  term: asTerm(term),
  index: asIndex(index),
  type: 'normal',
  data: new TextEncoder().encode(`e${index}`),
});

/** Storage restarted from a term-1 snapshot at index 1 (voters 1-3 unless given). */
function storageAt(learners: number[] = []): MemoryStorage {
  const storage = new MemoryStorage();
  storage.applySnapshot({
    metadata: {
      index: asIndex(1),
      term: asTerm(1),
      confState: { voters: [1, 2, 3].map(asNodeId), learners: learners.map(asNodeId) },
    },
    data: EMPTY_DATA,
  });
  storage.setHardState({ term: asTerm(1), vote: asNodeId(0), commit: asIndex(1) });
  return storage;
}

/** Node 1 following leader 2 in term 2. */
function following(): RawNode {
  const node = new RawNode({
    id: n1,
    storage: storageAt(),
    random: new SeededRandom(1),
    applied: asIndex(1),
  });
  node.step({
    kind: 'MsgHeartbeat',
    from: n2,
    to: n1,
    term: asTerm(2),
    commit: asIndex(1),
    readSeq: 0,
  });
  return node;
}

describe('a follower that knows the leader', () => {
  test('forwards proposals, reads and transfers and says to whom', () => {
    const node = following();
    expect(node.propose(new TextEncoder().encode('x'))).toEqual({ kind: 'forwarded', to: n2 });
    expect(node.readIndex('r')).toEqual({ kind: 'forwarded', to: n2 });
    expect(node.transferLeader(n3)).toEqual({ kind: 'forwarded', to: n2 });
    const rd = node.ready();
    expect(rd.messages.map((m) => `${m.kind}->${m.to}`)).toEqual([
      'MsgHeartbeatResp->2',
      'MsgProp->2',
      'MsgReadIndex->2',
      'MsgTransferLeader->2',
    ]);
  });
});

describe('a node restarted from storage', () => {
  test('knows it is a learner when its configuration says so', () => {
    const random = new SeededRandom(1);
    expect(
      new Raft({ id: n3, storage: storageAt([4]), random, applied: asIndex(1) }).isLearner,
    ).toBe(false);
    const learner = new Raft({
      id: asNodeId(4),
      storage: storageAt([4]),
      random,
      applied: asIndex(1),
    });
    expect(learner.isLearner).toBe(true);
  });

  test('hands out only the committed entries above the applied index of its config', () => {
    const storage = storageAt();
    storage.append([entry(1, 2), entry(1, 3), entry(1, 4)]);
    storage.setHardState({ term: asTerm(1), vote: asNodeId(0), commit: asIndex(4) });
    const node = new RawNode({ id: n1, storage, random: new SeededRandom(1), applied: asIndex(3) });
    // Nothing else is pending (no message, no state change): the entry alone makes a Ready.
    expect(node.hasReady()).toBe(true);
    const rd = node.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([4]);
    // Handed out: not pending again while the host applies them, nor after.
    expect(node.hasReady()).toBe(false);
    node.advance(rd);
    expect(node.hasReady()).toBe(false);
    expect(node.status().applied).toBe(4);
    expect(node.id).toBe(n1);
  });
});

describe('Raft guards and bookkeeping', () => {
  test('refuses an empty proposal batch', () => {
    const node = following();
    expect(() => node.proposeBatch([])).toThrow(AssertionError);
    expect(() => node.proposeBatch([])).toThrow('empty proposal');
  });

  test('entries reported persisted leave the unstable log', () => {
    const raft = new Raft({
      id: n1,
      storage: storageAt(),
      random: new SeededRandom(1),
      applied: asIndex(1),
    });
    raft.step({
      kind: 'MsgApp',
      from: n2,
      to: n1,
      term: asTerm(2),
      prevIndex: asIndex(1),
      prevTerm: asTerm(1),
      entries: [entry(2, 2), entry(2, 3)],
      commit: asIndex(1),
    });
    expect(raft.log.unstable.entries.map((e) => e.index)).toEqual([2, 3]);
    raft.stableTo(asIndex(3), asTerm(2));
    expect(raft.log.unstable.entries).toEqual([]);
    expect(raft.log.unstable.offset).toBe(4);
  });
});

describe('RawNode.hasReady', () => {
  test('a leader stepping down for CheckQuorum changes only its soft state, and that is a Ready', () => {
    const storage = new MemoryStorage();
    storage.applySnapshot({
      metadata: {
        index: asIndex(1),
        term: asTerm(1),
        confState: { voters: [n1, n2], learners: [] },
      },
      data: EMPTY_DATA,
    });
    const node = new RawNode({
      id: n1,
      storage,
      random: new SeededRandom(1),
      applied: asIndex(1),
      checkQuorum: true,
      preVote: false,
      electionTicks: 10,
      heartbeatTicks: 9,
    });
    const handle = () => {
      const rd = node.ready();
      storage.append(rd.entries);
      if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
      node.advance(rd);
      return rd;
    };
    node.campaign();
    handle();
    const term = node.status().hardState.term;
    node.step({ kind: 'MsgVoteResp', from: n2, to: n1, term, reject: false });
    handle();
    expect(node.status().softState.role).toBe('leader');
    while (node.hasReady()) handle();
    // Node 2 never answers: after an election timeout the leader has no active quorum.
    for (let i = 0; i < 9; i++) node.tick();
    while (node.hasReady()) handle(); // the heartbeat of tick 9 (heartbeatTicks 9)
    node.tick();
    expect(node.status().softState).toEqual({ lead: 0, role: 'follower' });
    expect(node.hasReady()).toBe(true);
    const rd = handle();
    expect(rd.softState).toEqual({ lead: 0, role: 'follower' });
    expect(rd.hardState).toBeUndefined();
    expect(rd.messages).toEqual([]);
  });
});

describe('votes', () => {
  const restarted = () =>
    new RawNode({ id: n1, storage: storageAt(), random: new SeededRandom(1), applied: asIndex(1) });
  const vote = (kind: 'MsgVote' | 'MsgPreVote', from: NodeId, term: number) =>
    ({
      kind,
      from,
      to: n1,
      term: asTerm(term),
      lastIndex: asIndex(1),
      lastTerm: asTerm(1),
      transfer: false,
    }) as const;
  const answers = (node: RawNode) =>
    node
      .ready()
      .messages.map((m) => `${m.kind}->${m.to}${'reject' in m && m.reject ? ' rejected' : ''}`);

  test('a vote is recorded; the same candidate gets it again, another one does not', () => {
    const node = restarted();
    node.step(vote('MsgVote', n2, 2));
    node.step(vote('MsgVote', n2, 2));
    node.step(vote('MsgVote', n3, 2));
    expect(node.status().hardState.vote).toBe(n2);
    expect(answers(node)).toEqual(['MsgVoteResp->2', 'MsgVoteResp->2', 'MsgVoteResp->3 rejected']);
  });

  test('a follower that knows its leader does not vote for another candidate of that term', () => {
    const node = following();
    node.step(vote('MsgVote', n3, 2));
    expect(answers(node)).toEqual(['MsgHeartbeatResp->2', 'MsgVoteResp->3 rejected']);
    expect(node.status().hardState.vote).toBe(0);
  });

  test('a pre-vote for the current term is refused once we voted; one for a later term is not', () => {
    const node = restarted();
    node.step(vote('MsgVote', n2, 2));
    node.step(vote('MsgPreVote', n3, 2));
    node.step(vote('MsgPreVote', n3, 3));
    expect(answers(node)).toEqual([
      'MsgVoteResp->2',
      'MsgPreVoteResp->3 rejected',
      'MsgPreVoteResp->3',
    ]);
  });
});

describe('the leader lease (CheckQuorum)', () => {
  /** Always the longest randomized election timeout, so the follower does not campaign first. */
  const longest: Random = { float: () => 0.999, int: (n) => n - 1, fork: () => longest };

  test('ends after exactly one election timeout without hearing from the leader', () => {
    const node = new RawNode({
      id: n1,
      storage: storageAt(),
      random: longest,
      applied: asIndex(1),
      checkQuorum: true,
      preVote: true,
      electionTicks: 10,
      heartbeatTicks: 1,
    });
    node.step({
      kind: 'MsgHeartbeat',
      from: n2,
      to: n1,
      term: asTerm(2),
      commit: asIndex(1),
      readSeq: 0,
    });
    const preVote = {
      kind: 'MsgPreVote',
      from: n3,
      to: n1,
      term: asTerm(3),
      lastIndex: asIndex(1),
      lastTerm: asTerm(1),
      transfer: false,
    } as const;
    for (let i = 0; i < 9; i++) node.tick();
    node.step(preVote); // 9 ticks: inside the lease, ignored
    node.tick();
    node.step(preVote); // 10 ticks: the lease is over
    expect(node.ready().messages.map((m) => `${m.kind}->${m.to}`)).toEqual([
      'MsgHeartbeatResp->2',
      'MsgPreVoteResp->3',
    ]);
    expect(node.status().softState.role).toBe('follower');
  });
});
