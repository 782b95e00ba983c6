/**
 * The binary codec of Raft messages, the hottest traffic a cluster has (every append, every
 * heartbeat), declared with struct-codec.ts: a one-byte kind, then from, to, term and the
 * kind's fields in declaration order, numbers float64 as in the WAL (wal-codec.ts). No message
 * has optional fields, so none has a flags byte.
 */
import type { Codec } from '../ports/codec.ts';
import { toBytes, type Bytes } from '../ports/lazy-bytes.ts';
import {
  binaryCodec,
  bool,
  bytes,
  f64,
  f64As,
  list,
  oneOf,
  str,
  struct,
  union,
  type FieldCodec,
  type Variants,
} from '../ports/struct-codec.ts';
import type { Message } from './messages.ts';
import {
  asIndex,
  asNodeId,
  asTerm,
  type ConfState,
  type Entry,
  type EntryType,
  type ProposedEntry,
  type Snapshot,
  type SnapshotMetadata,
} from './types.ts';

const nodeId = f64As(asNodeId);
const term = f64As(asTerm);
const index = f64As(asIndex);
const entryType = oneOf<EntryType>(['normal', 'conf-change']);

const entry = struct<Entry>({ index, term, type: entryType, data: bytes });
const proposedEntry = struct<ProposedEntry>({ type: entryType, data: bytes });
/** A snapshot's data goes out as bytes (a lazy image is encoded here) and comes back as bytes. */
const snapshotData: FieldCodec<Bytes> = {
  write: (w, b) => w.bytes(toBytes(b)),
  read: (r) => r.bytes(),
};
const snapshot = struct<Snapshot>({
  metadata: struct<SnapshotMetadata>({
    index,
    term,
    confState: struct<ConfState>({ voters: list(nodeId), learners: list(nodeId) }),
  }),
  data: snapshotData,
});

const envelope = { from: nodeId, to: nodeId, term };
const voteRequest = { ...envelope, lastIndex: index, lastTerm: term, transfer: bool };

/** Every kind's fields; the tags are the kinds' positions, so new kinds go at the end. */
export const RAFT_MESSAGE_VARIANTS: Variants<Message, 'kind'> = {
  MsgApp: { ...envelope, prevIndex: index, prevTerm: term, entries: list(entry), commit: index },
  MsgAppResp: { ...envelope, index, reject: bool, rejectHintIndex: index, rejectHintTerm: term },
  MsgVote: voteRequest,
  MsgVoteResp: { ...envelope, reject: bool },
  MsgPreVote: voteRequest,
  MsgPreVoteResp: { ...envelope, reject: bool },
  MsgHeartbeat: { ...envelope, commit: index, readSeq: f64 },
  MsgHeartbeatResp: { ...envelope, readSeq: f64 },
  MsgSnap: { ...envelope, snapshot },
  MsgReadIndex: { ...envelope, ctx: str },
  MsgReadIndexResp: { ...envelope, index, ctx: str },
  MsgTimeoutNow: envelope,
  MsgTransferLeader: { ...envelope, transferee: nodeId },
  MsgProp: { ...envelope, entries: list(proposedEntry) },
};

export const RAFT_MESSAGE_CODEC: Codec<Message> = binaryCodec(
  'raft message',
  union<Message>('raft message', 'kind', RAFT_MESSAGE_VARIANTS),
);
