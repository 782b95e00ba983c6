/**
 * What each kind of pending work does to a follower's Ready, one at a time: hasReady() must see
 * each on its own (messages, durable-state responses, entries, committed entries, read states,
 * a snapshot, a soft or hard state change), and mustSync must follow exactly the term, the vote,
 * entries and snapshots (not the commit index). The node is stepped by hand, as a leader would.
 */
import { describe, expect, test } from 'vitest';
import {
  asIndex,
  asNodeId,
  asTerm,
  EMPTY_DATA,
  MemoryStorage,
  RawNode,
  type Entry,
  type Message,
  type Ready,
} from '../../../core/raft/index.ts';
import { AssertionError } from '../../../core/util/assert.ts';
import { SeededRandom } from './seeded-random.ts';

const n1 = asNodeId(1);
const n2 = asNodeId(2);

/** Node 1 of voters 1, 2, 3, restarted from a term-1 snapshot at index 1. */
function follower(): { node: RawNode; storage: MemoryStorage } {
  const storage = new MemoryStorage();
  storage.applySnapshot({
    metadata: {
      index: asIndex(1),
      term: asTerm(1),
      confState: { voters: [1, 2, 3].map(asNodeId), learners: [] },
    },
    data: EMPTY_DATA,
  });
  storage.setHardState({ term: asTerm(1), vote: asNodeId(0), commit: asIndex(1) });
  const node = new RawNode({ id: n1, storage, random: new SeededRandom(1), applied: asIndex(1) });
  return { node, storage };
}

function handle(node: RawNode, storage: MemoryStorage): Ready {
  const rd = node.ready();
  if (rd.snapshot !== undefined) storage.applySnapshot(rd.snapshot);
  storage.append(rd.entries);
  if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
  node.advance(rd);
  return rd;
}

const entry = (term: number, index: number): Entry => ({
  term: asTerm(term),
  index: asIndex(index),
  type: 'normal',
  data: EMPTY_DATA,
});
const kinds = (ms: readonly Message[]) => ms.map((m) => `${m.kind}->${m.to}`).join(' ');

/** Node 1 following leader 2 in term 3, with entry 3/2 persisted and applied. */
function following(): { node: RawNode; storage: MemoryStorage } {
  const f = follower();
  f.node.step({
    kind: 'MsgApp',
    from: n2,
    to: n1,
    term: asTerm(3),
    prevIndex: asIndex(1),
    prevTerm: asTerm(1),
    entries: [entry(3, 2)],
    commit: asIndex(2),
  });
  handle(f.node, f.storage);
  expect(f.node.hasReady()).toBe(false);
  return f;
}

describe('RawNode Ready, one cause at a time', () => {
  test('a node restarted with nothing to do has no Ready', () => {
    const { node } = follower();
    expect(node.hasReady()).toBe(false);
  });

  test('a vote in the same term: only the vote changes, and it must be synced', () => {
    const { node, storage } = follower();
    node.step({
      kind: 'MsgVote',
      from: n2,
      to: n1,
      term: asTerm(1),
      lastIndex: asIndex(1),
      lastTerm: asTerm(1),
      transfer: false,
    });
    expect(node.hasReady()).toBe(true);
    const rd = handle(node, storage);
    expect(rd.hardState).toEqual({ term: 1, vote: 2, commit: 1 });
    expect(rd.softState).toBeUndefined();
    expect(rd.entries).toEqual([]);
    expect(rd.snapshot).toBeUndefined();
    expect(kinds(rd.messages)).toBe('MsgVoteResp->2');
    expect(rd.mustSync).toBe(true);
    expect(node.hasReady()).toBe(false);
  });

  test('a heartbeat from a newer term: new leader and term, synced for the term alone', () => {
    const { node, storage } = follower();
    node.step({
      kind: 'MsgHeartbeat',
      from: n2,
      to: n1,
      term: asTerm(3),
      commit: asIndex(1),
      readSeq: 0,
    });
    expect(node.hasReady()).toBe(true);
    const rd = handle(node, storage);
    expect(rd.softState).toEqual({ lead: 2, role: 'follower' });
    expect(rd.hardState).toEqual({ term: 3, vote: 0, commit: 1 });
    expect(kinds(rd.messages)).toBe('MsgHeartbeatResp->2');
    expect(rd.mustSync).toBe(true);
    expect(node.hasReady()).toBe(false);
  });

  test('appended entries must be synced though term and vote stay', () => {
    const { node, storage } = following();
    node.step({
      kind: 'MsgApp',
      from: n2,
      to: n1,
      term: asTerm(3),
      prevIndex: asIndex(2),
      prevTerm: asTerm(3),
      entries: [entry(3, 3)],
      commit: asIndex(2),
    });
    expect(node.hasReady()).toBe(true);
    const rd = handle(node, storage);
    expect(rd.hardState).toBeUndefined();
    expect(rd.softState).toBeUndefined();
    expect(rd.entries.map((e) => e.index)).toEqual([3]);
    expect(rd.committedEntries).toEqual([]);
    // The acknowledgement waits for the append: it leaves with this Ready, to the leader.
    expect(rd.messages).toMatchObject([{ kind: 'MsgAppResp', to: 2, index: 3, reject: false }]);
    expect(rd.mustSync).toBe(true);
    expect(node.hasReady()).toBe(false);
  });

  test('a heartbeat of the current leader: only a message, nothing to sync', () => {
    const { node, storage } = following();
    node.step({
      kind: 'MsgHeartbeat',
      from: n2,
      to: n1,
      term: asTerm(3),
      commit: asIndex(2),
      readSeq: 7,
    });
    expect(node.hasReady()).toBe(true);
    const rd = handle(node, storage);
    expect(rd.hardState).toBeUndefined();
    expect(rd.softState).toBeUndefined();
    expect(rd.messages).toMatchObject([{ kind: 'MsgHeartbeatResp', to: 2, readSeq: 7 }]);
    expect(rd.mustSync).toBe(false);
  });

  test('a commit index moving alone: committed entries and hard state, not synced', () => {
    const { node, storage } = following();
    node.step({
      kind: 'MsgApp',
      from: n2,
      to: n1,
      term: asTerm(3),
      prevIndex: asIndex(2),
      prevTerm: asTerm(3),
      entries: [entry(3, 3)],
      commit: asIndex(2),
    });
    handle(node, storage);
    node.step({
      kind: 'MsgHeartbeat',
      from: n2,
      to: n1,
      term: asTerm(3),
      commit: asIndex(3),
      readSeq: 0,
    });
    // The heartbeat's response and the new commit index; drop the response to see the rest.
    let rd = node.ready();
    expect(rd.hardState).toEqual({ term: 3, vote: 0, commit: 3 });
    expect(rd.committedEntries.map((e) => e.index)).toEqual([3]);
    expect(rd.mustSync).toBe(false);
    node.advance(rd);
    expect(node.hasReady()).toBe(false);
    rd = handle(node, storage);
    expect(rd.committedEntries).toEqual([]);
  });

  test('a snapshot from the leader is a Ready on its own and must be synced', () => {
    const { node, storage } = following();
    node.step({
      kind: 'MsgSnap',
      from: n2,
      to: n1,
      term: asTerm(3),
      snapshot: {
        metadata: {
          index: asIndex(10),
          term: asTerm(3),
          confState: { voters: [1, 2, 3].map(asNodeId), learners: [] },
        },
        data: EMPTY_DATA,
      },
    });
    expect(node.hasReady()).toBe(true);
    const rd = handle(node, storage);
    expect(rd.snapshot?.metadata.index).toBe(10);
    expect(rd.entries).toEqual([]);
    expect(rd.committedEntries).toEqual([]);
    expect(rd.mustSync).toBe(true);
    expect(rd.hardState?.commit).toBe(10);
    expect(node.hasReady()).toBe(false);
    expect(node.status().applied).toBe(10);
  });

  test('a read state is a Ready on its own, handed out once', () => {
    const { node, storage } = following();
    expect(node.readIndex('r1')).toEqual({ kind: 'forwarded', to: 2 });
    // The follower forwards the request to the leader.
    let rd = handle(node, storage);
    expect(kinds(rd.messages)).toBe('MsgReadIndex->2');
    expect(node.hasReady()).toBe(false);
    node.step({
      kind: 'MsgReadIndexResp',
      from: n2,
      to: n1,
      term: asTerm(3),
      index: asIndex(2),
      ctx: 'r1',
    });
    expect(node.hasReady()).toBe(true);
    rd = handle(node, storage);
    expect(rd.readStates).toEqual([{ index: 2, ctx: 'r1' }]);
    expect(rd.messages).toEqual([]);
    expect(rd.mustSync).toBe(false);
    expect(node.hasReady()).toBe(false);
    expect(handle(node, storage).readStates).toEqual([]);
  });

  test('misuse is refused with a message: a message for another node, advance without ready', () => {
    const { node } = follower();
    expect(() =>
      node.step({
        kind: 'MsgHeartbeatResp',
        from: n2,
        to: asNodeId(3),
        term: asTerm(1),
        readSeq: 0,
      }),
    ).toThrow(new AssertionError('message for 3 stepped on 1'));
    const rd = node.ready();
    node.advance(rd);
    expect(() => node.advance(rd)).toThrow(new AssertionError('advance() without ready()'));
    node.ready();
    expect(() => node.ready()).toThrow(new AssertionError('ready() called again before advance()'));
  });
});
