/**
 * The binary codec of Raft messages, the hottest traffic a cluster has (every append, every
 * heartbeat). Layout, little-endian, numbers float64 as in the WAL (wal-codec.ts):
 *
 *   [kind u8][from f64][to f64][term f64][fields of the kind, in declaration order]
 *
 * booleans are one byte, strings and byte arrays a u32 length and the bytes, lists a u32 count
 * and the elements; an entry is [index f64][term f64][type u8][data], a proposed entry
 * [type u8][data], a snapshot [index f64][term f64][voters][learners][data].
 */
import { ByteReader, ByteWriter, decodeWith } from '../ports/bytes.ts';
import type { Codec } from '../ports/codec.ts';
import { assertNever } from '../util/assert.ts';
import type { Message, MessageKind } from './messages.ts';
import {
  asIndex,
  asNodeId,
  asTerm,
  type Entry,
  type EntryType,
  type NodeId,
  type ProposedEntry,
  type Snapshot,
} from './types.ts';

const KINDS: readonly MessageKind[] = [
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgVoteResp',
  'MsgPreVote',
  'MsgPreVoteResp',
  'MsgHeartbeat',
  'MsgHeartbeatResp',
  'MsgSnap',
  'MsgReadIndex',
  'MsgReadIndexResp',
  'MsgTimeoutNow',
  'MsgTransferLeader',
  'MsgProp',
];
const KIND_CODE = new Map(KINDS.map((k, i) => [k, i]));
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'conf-change'];
/** Header plus the largest fixed part of any kind. */
const FIXED_BYTES = 1 + 24 + 40;
const ENTRY_HEADER_BYTES = 8 + 8 + 1 + 4;

export const RAFT_MESSAGE_CODEC: Codec<Message> = {
  encode(m) {
    const w = new ByteWriter(FIXED_BYTES + payloadBytes(m));
    writeMessage(w, m);
    return w.finish();
  },
  decode: (bytes) => decodeWith(bytes, 'raft message', readMessage),
};

/** A guess of the variable part's size, so that the writer rarely grows. */
function payloadBytes(m: Message): number {
  switch (m.kind) {
    case 'MsgApp':
    case 'MsgProp': {
      let n = 4;
      for (const e of m.entries) n += ENTRY_HEADER_BYTES + e.data.byteLength;
      return n;
    }
    case 'MsgSnap': {
      const cs = m.snapshot.metadata.confState;
      return 8 * (cs.voters.length + cs.learners.length) + 28 + m.snapshot.data.byteLength;
    }
    case 'MsgReadIndex':
    case 'MsgReadIndexResp':
      return 4 + 3 * m.ctx.length;
    default:
      return 0;
  }
}

export function writeMessage(w: ByteWriter, m: Message): void {
  w.u8(KIND_CODE.get(m.kind)!);
  w.f64(m.from);
  w.f64(m.to);
  w.f64(m.term);
  switch (m.kind) {
    case 'MsgApp':
      w.f64(m.prevIndex);
      w.f64(m.prevTerm);
      writeEntries(w, m.entries);
      w.f64(m.commit);
      return;
    case 'MsgAppResp':
      w.f64(m.index);
      w.bool(m.reject);
      w.f64(m.rejectHintIndex);
      w.f64(m.rejectHintTerm);
      return;
    case 'MsgVote':
    case 'MsgPreVote':
      w.f64(m.lastIndex);
      w.f64(m.lastTerm);
      w.bool(m.transfer);
      return;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      w.bool(m.reject);
      return;
    case 'MsgHeartbeat':
      w.f64(m.commit);
      w.f64(m.readSeq);
      return;
    case 'MsgHeartbeatResp':
      w.f64(m.readSeq);
      return;
    case 'MsgSnap':
      writeSnapshot(w, m.snapshot);
      return;
    case 'MsgReadIndex':
      w.str(m.ctx);
      return;
    case 'MsgReadIndexResp':
      w.f64(m.index);
      w.str(m.ctx);
      return;
    case 'MsgTimeoutNow':
      return;
    case 'MsgTransferLeader':
      w.f64(m.transferee);
      return;
    case 'MsgProp':
      w.u32(m.entries.length);
      for (const e of m.entries) {
        w.u8(e.type === 'normal' ? 0 : 1);
        w.bytes(e.data);
      }
      return;
    default:
      return assertNever(m, 'raft message');
  }
}

export function readMessage(r: ByteReader): Message {
  const kind = r.tag(KINDS, 'raft message kind');
  const from = asNodeId(r.f64());
  const to = asNodeId(r.f64());
  const term = asTerm(r.f64());
  switch (kind) {
    case 'MsgApp': {
      const prevIndex = asIndex(r.f64());
      const prevTerm = asTerm(r.f64());
      const entries = readEntries(r);
      return { kind, from, to, term, prevIndex, prevTerm, entries, commit: asIndex(r.f64()) };
    }
    case 'MsgAppResp':
      return {
        kind,
        from,
        to,
        term,
        index: asIndex(r.f64()),
        reject: r.bool(),
        rejectHintIndex: asIndex(r.f64()),
        rejectHintTerm: asTerm(r.f64()),
      };
    case 'MsgVote':
    case 'MsgPreVote':
      return {
        kind,
        from,
        to,
        term,
        lastIndex: asIndex(r.f64()),
        lastTerm: asTerm(r.f64()),
        transfer: r.bool(),
      };
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return { kind, from, to, term, reject: r.bool() };
    case 'MsgHeartbeat':
      return { kind, from, to, term, commit: asIndex(r.f64()), readSeq: r.f64() };
    case 'MsgHeartbeatResp':
      return { kind, from, to, term, readSeq: r.f64() };
    case 'MsgSnap':
      return { kind, from, to, term, snapshot: readSnapshot(r) };
    case 'MsgReadIndex':
      return { kind, from, to, term, ctx: r.str() };
    case 'MsgReadIndexResp':
      return { kind, from, to, term, index: asIndex(r.f64()), ctx: r.str() };
    case 'MsgTimeoutNow':
      return { kind, from, to, term };
    case 'MsgTransferLeader':
      return { kind, from, to, term, transferee: asNodeId(r.f64()) };
    case 'MsgProp': {
      const n = r.count();
      const entries: ProposedEntry[] = [];
      for (let i = 0; i < n; i++) {
        const type = r.tag(ENTRY_TYPES, 'entry type');
        entries.push({ type, data: r.bytes() });
      }
      return { kind, from, to, term, entries };
    }
    default:
      return assertNever(kind, 'raft message kind');
  }
}

function writeEntries(w: ByteWriter, entries: readonly Entry[]): void {
  w.u32(entries.length);
  for (const e of entries) {
    w.f64(e.index);
    w.f64(e.term);
    w.u8(e.type === 'normal' ? 0 : 1);
    w.bytes(e.data);
  }
}

function readEntries(r: ByteReader): Entry[] {
  const n = r.count();
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const index = asIndex(r.f64());
    const term = asTerm(r.f64());
    const type = r.tag(ENTRY_TYPES, 'entry type');
    entries.push({ index, term, type, data: r.bytes() });
  }
  return entries;
}

function writeSnapshot(w: ByteWriter, s: Snapshot): void {
  w.f64(s.metadata.index);
  w.f64(s.metadata.term);
  writeIds(w, s.metadata.confState.voters);
  writeIds(w, s.metadata.confState.learners);
  w.bytes(s.data);
}

function readSnapshot(r: ByteReader): Snapshot {
  const index = asIndex(r.f64());
  const term = asTerm(r.f64());
  const voters = readIds(r);
  const learners = readIds(r);
  return { metadata: { index, term, confState: { voters, learners } }, data: r.bytes() };
}

function writeIds(w: ByteWriter, ids: readonly NodeId[]): void {
  w.u32(ids.length);
  for (const id of ids) w.f64(id);
}

function readIds(r: ByteReader): NodeId[] {
  const n = r.count();
  const ids: NodeId[] = [];
  for (let i = 0; i < n; i++) ids.push(asNodeId(r.f64()));
  return ids;
}
