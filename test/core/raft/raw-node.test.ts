import { describe, expect, test } from 'vitest';
import {
  asIndex,
  asNodeId,
  asTerm,
  confChange,
  EMPTY_DATA,
  MemoryStorage,
  PROPOSAL_DROPPED_NO_LEADER,
  RawNode,
  type Ready,
} from '../../../core/raft/index.ts';
import { SeededRandom } from './seeded-random.ts';

const enc = (s: string) => new TextEncoder().encode(s);

function bootstrapped(id: number, voters: number[]): { node: RawNode; storage: MemoryStorage } {
  const storage = new MemoryStorage();
  storage.applySnapshot({
    metadata: {
      index: asIndex(1),
      term: asTerm(1),
      confState: { voters: voters.map(asNodeId), learners: [] },
    },
    data: EMPTY_DATA,
  });
  // As if a term-1 leader had written the snapshot: our first election is in term 2.
  storage.setHardState({ term: asTerm(1), vote: asNodeId(0), commit: asIndex(1) });
  const node = new RawNode({
    id: asNodeId(id),
    storage,
    random: new SeededRandom(id),
    applied: asIndex(1),
  });
  return { node, storage };
}

/** The host loop for one node with no peers: persist, apply, advance. */
function handle(node: RawNode, storage: MemoryStorage): Ready {
  const rd = node.ready();
  storage.append(rd.entries);
  if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
  node.advance(rd);
  return rd;
}

describe('RawNode', () => {
  test('uses the upstream defaults: election in [10, 20) ticks', () => {
    const { node } = bootstrapped(1, [1, 2, 3]);
    let ticks = 0;
    while (node.status().softState.role === 'follower') {
      node.tick();
      ticks++;
    }
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(ticks).toBeLessThan(20);
    // PreVote is on by default: the first step is a pre-election, without a term bump.
    expect(node.status().softState.role).toBe('pre-candidate');
    expect(node.status().hardState.term).toBe(1);
  });

  test('rejects proposals with a reason when no leader is known', () => {
    const { node } = bootstrapped(1, [1, 2, 3]);
    expect(node.propose(enc('x'))).toEqual({ kind: 'dropped', reason: PROPOSAL_DROPPED_NO_LEADER });
    expect(node.readIndex('r').kind).toBe('dropped');
  });

  test('a single voter elects itself and commits only what it has persisted', () => {
    const { node, storage } = bootstrapped(1, [1]);
    node.campaign();
    let rd = handle(node, storage); // pre-vote for itself, counted on advance
    rd = handle(node, storage); // vote for itself
    rd = handle(node, storage); // leader: the empty entry, counted once persisted
    expect(rd.softState?.role).toBe('leader');
    expect(rd.entries).toHaveLength(1);
    expect(rd.committedEntries).toHaveLength(0);
    rd = handle(node, storage);
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2]);

    const result = node.propose(enc('x'));
    expect(result).toEqual({ kind: 'appended', index: 3, term: 2 });
    rd = handle(node, storage);
    expect(rd.entries.map((e) => e.index)).toEqual([3]);
    expect(rd.mustSync).toBe(true);
    rd = handle(node, storage);
    expect(rd.committedEntries.map((e) => e.index)).toEqual([3]);
    expect(rd.mustSync).toBe(false);
    expect(node.hasReady()).toBe(false);
  });

  test('a single voter serves ReadIndex once it committed in its term', () => {
    const { node, storage } = bootstrapped(1, [1]);
    node.campaign();
    handle(node, storage);
    handle(node, storage);
    expect(node.readIndex('early')).toEqual({ kind: 'pending' });
    handle(node, storage);
    const rd = handle(node, storage);
    expect(rd.readStates).toEqual([{ index: 2, ctx: 'early' }]);
  });

  test('only one conf change may be pending', () => {
    const { node, storage } = bootstrapped(1, [1]);
    node.campaign();
    for (let i = 0; i < 4; i++) handle(node, storage);
    expect(node.proposeConfChange(confChange('add-learner', asNodeId(2))).kind).toBe('appended');
    expect(node.proposeConfChange(confChange('add-learner', asNodeId(3))).kind).toBe('dropped');
    handle(node, storage);
    const rd = handle(node, storage);
    const cc = rd.committedEntries.find((e) => e.type === 'conf-change');
    expect(cc).toBeDefined();
    expect(node.applyConfChange(confChange('add-learner', asNodeId(2)))).toEqual({
      voters: [1],
      learners: [2],
    });
    expect(node.proposeConfChange(confChange('add-learner', asNodeId(3))).kind).toBe('appended');
  });

  test('ready() twice without advance() is a programmer error', () => {
    const { node } = bootstrapped(1, [1]);
    node.campaign();
    node.ready();
    expect(() => node.ready()).toThrow(/advance/);
  });

  test('restarting from storage restores term, vote and log', () => {
    const { node, storage } = bootstrapped(1, [1]);
    node.campaign();
    for (let i = 0; i < 4; i++) handle(node, storage);
    node.propose(enc('x'));
    handle(node, storage);
    handle(node, storage);
    const again = new RawNode({ id: asNodeId(1), storage, random: new SeededRandom(1) });
    const s = again.status();
    expect(s.hardState).toEqual({ term: 2, vote: 1, commit: 3 });
    expect(s.lastIndex).toBe(3);
    expect(s.softState.role).toBe('follower');
    // Everything committed is applied again after a restart from scratch.
    expect(again.ready().committedEntries.map((e) => e.index)).toEqual([2, 3]);
  });
});
