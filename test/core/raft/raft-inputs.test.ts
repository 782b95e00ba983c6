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
  confChange,
  EMPTY_DATA,
  MemoryStorage,
  Raft,
  RawNode,
  type Entry,
  type Message,
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

describe('a configuration change applied', () => {
  test('sets whether this node is a learner, as a restart from that configuration would', () => {
    const raft = new Raft({
      id: asNodeId(4),
      storage: storageAt(),
      random: new SeededRandom(1),
      applied: asIndex(1),
    });
    expect(raft.isLearner).toBe(false); // not a member yet
    raft.applyConfChange(confChange('add-learner', asNodeId(4)));
    expect(raft.isLearner).toBe(true);
    raft.applyConfChange(confChange('add-voter', asNodeId(4)));
    expect(raft.isLearner).toBe(false);
    raft.applyConfChange(confChange('add-learner', asNodeId(4))); // demoted
    expect(raft.isLearner).toBe(true);
    raft.applyConfChange(confChange('remove', asNodeId(4)));
    expect(raft.isLearner).toBe(false);
  });
});

describe("the order of a Ready's messages", () => {
  test('messages that wait for the append come after those that do not (etcd msgsAfterAppend)', () => {
    // A follower answers an append (an MsgAppResp, which promises the entries are persisted)
    // and then forwards a proposal (an MsgProp, which promises nothing): the proposal leaves
    // first, as in etcd-io/raft's Ready, whose Messages are msgs followed by msgsAfterAppend.
    const node = following();
    node.advance(node.ready()); // the heartbeat response
    node.step({
      kind: 'MsgApp',
      from: n2,
      to: n1,
      term: asTerm(2),
      prevIndex: asIndex(1),
      prevTerm: asTerm(1),
      entries: [entry(2, 2)],
      commit: asIndex(1),
    });
    expect(node.propose(new TextEncoder().encode('x'))).toEqual({ kind: 'forwarded', to: n2 });
    const rd = node.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    expect(rd.messages.map((m) => `${m.kind}->${m.to}`)).toEqual(['MsgProp->2', 'MsgAppResp->2']);
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

/**
 * Messages by role (raft.ts stepCandidate, stepFollower, handleAppendEntries, restore): each
 * kind a role receives in its own term, stepped directly, with what it answers or forwards.
 */
describe('messages a candidate or follower receives in its own term', () => {
  const node = (extra: { preVote?: boolean; disableProposalForwarding?: boolean } = {}) =>
    new RawNode({
      id: n1,
      storage: storageAt(),
      random: new SeededRandom(1),
      applied: asIndex(1),
      ...extra,
    });
  const sent = (rn: RawNode): string[] => {
    const rd = rn.ready();
    rn.advance(rd);
    return rd.messages.map((m) => `${m.kind}->${m.to}`);
  };
  /** Node 1 campaigning in term 2, its vote requests already handed out. */
  const candidate = (): RawNode => {
    const rn = node({ preVote: false });
    rn.campaign();
    expect(sent(rn)).toEqual(['MsgVote->2', 'MsgVote->3']);
    return rn;
  };
  const t2 = asTerm(2);
  const snapshotAt = (index: number, term: number) => ({
    metadata: {
      index: asIndex(index),
      term: asTerm(term),
      confState: { voters: [n1, n2, n3], learners: [] },
    },
    data: EMPTY_DATA,
  });
  const others: Message[] = [
    { kind: 'MsgProp', from: n3, to: n1, term: asTerm(0), entries: [entry(0, 0)] },
    { kind: 'MsgReadIndex', from: n3, to: n1, term: asTerm(0), ctx: 'r' },
    { kind: 'MsgReadIndexResp', from: n3, to: n1, term: t2, index: asIndex(1), ctx: 'r' },
    { kind: 'MsgTransferLeader', from: n3, to: n1, term: t2, transferee: n3 },
    { kind: 'MsgTimeoutNow', from: n3, to: n1, term: t2 },
    {
      kind: 'MsgAppResp',
      from: n3,
      to: n1,
      term: t2,
      index: asIndex(1),
      reject: false,
      rejectHintIndex: asIndex(0),
      rejectHintTerm: asTerm(0),
    },
    { kind: 'MsgHeartbeatResp', from: n3, to: n1, term: t2, readSeq: 0 },
  ];

  test.each(others.map((m) => [m.kind, m] as const))('a candidate ignores %s', (_kind, m) => {
    const rn = candidate();
    rn.step(m);
    expect(rn.status().softState.role).toBe('candidate');
    expect(rn.hasReady()).toBe(false);
  });

  test.each([
    {
      kind: 'MsgApp',
      m: {
        kind: 'MsgApp',
        from: n2,
        to: n1,
        term: t2,
        prevIndex: asIndex(1),
        prevTerm: asTerm(1),
        entries: [entry(2, 2)],
        commit: asIndex(1),
      },
      answer: 'MsgAppResp->2 index 2',
    },
    {
      kind: 'MsgSnap',
      m: { kind: 'MsgSnap', from: n2, to: n1, term: t2, snapshot: snapshotAt(5, 2) },
      answer: 'MsgAppResp->2 index 5',
    },
  ] as const)('a candidate follows the sender of a $kind of its term', ({ m, answer }) => {
    const rn = candidate();
    rn.step(m as Message);
    expect(rn.status().softState).toEqual({ lead: n2, role: 'follower' });
    const rd = rn.ready();
    expect(
      rd.messages.map((x) => `${x.kind}->${x.to} index ${'index' in x ? x.index : ''}`),
    ).toEqual([answer]);
  });

  test('a pre-candidate does not count a vote, nor a candidate a pre-vote', () => {
    const pre = node({ preVote: true });
    pre.campaign();
    expect(sent(pre)).toEqual(['MsgPreVote->2', 'MsgPreVote->3']);
    pre.step({ kind: 'MsgVoteResp', from: n2, to: n1, term: asTerm(1), reject: false });
    expect(pre.status().softState.role).toBe('pre-candidate');
    pre.step({ kind: 'MsgPreVoteResp', from: n2, to: n1, term: t2, reject: false });
    expect(pre.status().softState.role).toBe('candidate');
    // The other pre-vote arrives late: it is not a vote for the real election.
    pre.step({ kind: 'MsgPreVoteResp', from: n3, to: n1, term: t2, reject: false });
    expect(pre.status().softState.role).toBe('candidate');
  });

  test.each([
    {
      name: 'knows its leader',
      forwarding: true,
      leader: true,
      expected: ['MsgProp', 'MsgReadIndex', 'MsgTransferLeader'],
    },
    {
      name: 'does not forward proposals',
      forwarding: false,
      leader: true,
      expected: ['MsgReadIndex', 'MsgTransferLeader'],
    },
    { name: 'knows no leader', forwarding: true, leader: false, expected: [] },
  ])('a follower that $name forwards $expected to it', ({ forwarding, leader, expected }) => {
    const rn = node({ disableProposalForwarding: !forwarding });
    if (leader) {
      rn.step({ kind: 'MsgHeartbeat', from: n2, to: n1, term: t2, commit: asIndex(1), readSeq: 0 });
    } else {
      rn.step({ kind: 'MsgVoteResp', from: n2, to: n1, term: t2, reject: true });
    }
    expect(rn.status().hardState.term).toBe(2);
    sent(rn);
    for (const m of others.slice(0, 4)) {
      if (m.kind !== 'MsgReadIndexResp') rn.step(m);
    }
    const rd = rn.ready();
    expect(rd.messages.map((m) => `${m.kind}->${m.to}`)).toEqual(expected.map((k) => `${k}->2`));
    const transfer = rd.messages.find((m) => m.kind === 'MsgTransferLeader');
    if (transfer !== undefined)
      expect(transfer).toEqual({
        kind: 'MsgTransferLeader',
        from: n1,
        to: n2,
        term: t2,
        transferee: n3,
      });
  });

  test.each(['MsgHeartbeatResp', 'MsgVoteResp', 'MsgPreVoteResp', 'MsgAppResp'])(
    'a follower ignores a %s of its term',
    (kind) => {
      const rn = following();
      sent(rn);
      const base = others.find((m) => m.kind === kind);
      rn.step(base ?? ({ kind, from: n3, to: n1, term: t2, reject: false } as Message));
      expect(rn.status().softState).toEqual({ lead: n2, role: 'follower' });
      expect(rn.hasReady()).toBe(false);
    },
  );

  /** Node 1 following 2 in term 2 with entries 2..5 of term 2 persisted, committed through 3. */
  const committedThrough3 = (): RawNode => {
    const storage = storageAt();
    const rn = new RawNode({ id: n1, storage, random: new SeededRandom(1), applied: asIndex(1) });
    rn.step({
      kind: 'MsgApp',
      from: n2,
      to: n1,
      term: t2,
      prevIndex: asIndex(1),
      prevTerm: asTerm(1),
      entries: [entry(2, 2), entry(2, 3), entry(2, 4), entry(2, 5)],
      commit: asIndex(3),
    });
    const rd = rn.ready();
    storage.append(rd.entries);
    if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
    rn.advance(rd);
    return rn;
  };
  const answers = (rn: RawNode) =>
    rn.ready().messages.map((m) => (m.kind === 'MsgAppResp' ? `index ${m.index}` : m.kind));

  test('an append below the commit index is answered with the commit index', () => {
    const rn = committedThrough3();
    rn.step({
      kind: 'MsgApp',
      from: n2,
      to: n1,
      term: t2,
      prevIndex: asIndex(2),
      prevTerm: t2,
      entries: [],
      commit: asIndex(3),
    });
    expect(answers(rn)).toEqual(['index 3']);
  });

  test.each([
    { snap: 3, term: 2, commit: 3, answer: 'index 3', why: 'at the commit index: nothing new' },
    { snap: 2, term: 2, commit: 3, answer: 'index 3', why: 'below the commit index: nothing new' },
    {
      snap: 4,
      term: 2,
      commit: 4,
      answer: 'index 4',
      why: 'whose last entry we hold: commits it, answers with it (not our last index)',
    },
  ])('a snapshot $why', ({ snap, term, commit, answer }) => {
    const rn = committedThrough3();
    rn.step({ kind: 'MsgSnap', from: n2, to: n1, term: t2, snapshot: snapshotAt(snap, term) });
    expect(rn.status().hardState.commit).toBe(commit);
    const rd = rn.ready();
    expect(rd.snapshot).toBeUndefined();
    expect(rd.messages.map((m) => (m.kind === 'MsgAppResp' ? `index ${m.index}` : m.kind))).toEqual(
      [answer],
    );
  });
});

test('a follower restarted from a snapshot at 5 does not install an older one', () => {
  const storage = new MemoryStorage();
  const confState = { voters: [n1, n2, n3], learners: [] };
  storage.applySnapshot({
    metadata: { index: asIndex(5), term: asTerm(1), confState },
    data: EMPTY_DATA,
  });
  storage.setHardState({ term: asTerm(1), vote: asNodeId(0), commit: asIndex(5) });
  const rn = new RawNode({ id: n1, storage, random: new SeededRandom(1), applied: asIndex(5) });
  rn.step({
    kind: 'MsgSnap',
    from: n2,
    to: n1,
    term: asTerm(2),
    snapshot: { metadata: { index: asIndex(3), term: asTerm(1), confState }, data: EMPTY_DATA },
  });
  const rd = rn.ready();
  expect(rd.snapshot).toBeUndefined();
  expect(rd.messages.map((m) => (m.kind === 'MsgAppResp' ? `index ${m.index}` : m.kind))).toEqual([
    'index 5',
  ]);
});

describe('the hard state a node restarts from', () => {
  test.each([
    { commit: 5, why: 'beyond the last entry' },
    { commit: 0, why: 'below the snapshot' },
  ])('is refused with a commit index $why', ({ commit }) => {
    const storage = storageAt();
    storage.setHardState({ term: asTerm(1), vote: asNodeId(0), commit: asIndex(commit) });
    expect(
      () => new RawNode({ id: n1, storage, random: new SeededRandom(1), applied: asIndex(1) }),
    ).toThrow(`1 state.commit ${commit} is out of range [1, 1]`);
  });
});
