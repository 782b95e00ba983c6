/**
 * Binary codecs of the store's client traffic (protocol.ts): ops and their results, which every
 * API server request turns into, and the watch stream. Building blocks for the member protocol
 * codec (member/member-protocol-codec.ts), which frames them into requests and replies.
 *
 * Layout: little-endian; numbers float64 (revisions, lease ids and counts are JavaScript
 * numbers); strings and lists a u32 length then the contents; a union a one-byte tag. An object
 * with optional fields starts with a flags byte with one bit per optional field present, in
 * declaration order, and the present fields follow the required ones, so a decoded object has
 * exactly the fields the encoded one had.
 */
import { decodeWith, encodeWith, type ByteReader, type ByteWriter } from '../ports/bytes.ts';
import type { Codec } from '../ports/codec.ts';
import { assertNever } from '../util/assert.ts';
import type { NotLeaderReply, WatchOpen, WatchStreamMessage } from './protocol.ts';
import {
  leaseId,
  revision,
  watchId,
  type Compare,
  type CompareResult,
  type DeleteRangeOp,
  type DeleteRangeResult,
  type EventType,
  type KeyValue,
  type Op,
  type PutOp,
  type PutResult,
  type RangeOp,
  type RangeResult,
  type Result,
  type StoreError,
  type StoreErrorReason,
  type TxnRequestOp,
  type TxnResponse,
  type WatchEvent,
  type WatchRequest,
  type WatchResponse,
} from './types.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const OP_KINDS: readonly Op['kind'][] = [
  'put',
  'range',
  'delete-range',
  'txn',
  'compact',
  'lease-grant',
  'lease-revoke',
];
const OP_CODE = new Map(OP_KINDS.map((k, i) => [k, i]));
const RESULT_KINDS: readonly Result['kind'][] = [
  'put',
  'range',
  'delete-range',
  'txn',
  'compact',
  'lease-grant',
  'lease-revoke',
  'error',
];
const RESULT_CODE = new Map(RESULT_KINDS.map((k, i) => [k, i]));
const ERROR_REASONS: readonly StoreErrorReason[] = [
  'empty-key',
  'compacted',
  'future-revision',
  'key-not-found',
  'value-provided',
  'lease-provided',
  'lease-not-found',
  'lease-exists',
  'invalid-lease',
  'too-many-ops',
  'duplicate-key-in-txn',
];
const COMPARE_TARGETS: readonly Compare['target'][] = [
  'value',
  'version',
  'create',
  'mod',
  'lease',
];
const COMPARE_RESULTS: readonly CompareResult[] = ['=', '!=', '<', '>'];
const EVENT_TYPES: readonly EventType[] = ['PUT', 'DELETE'];

/** Reads a flags byte, refusing bits beyond the `fields` optional fields the object has. */
function readFlags(r: ByteReader, fields: number, what: string): number {
  const flags = r.u8();
  if (flags >>> fields !== 0) r.fail(`unknown ${what} flags ${flags}`);
  return flags;
}

function bit(present: boolean, n: number): number {
  return present ? 1 << n : 0;
}

/** Indexes of `table`, by value. */
function codeOf<T>(table: ReadonlyMap<T, number>, value: T): number {
  return table.get(value)!;
}

// ---- key-values -----------------------------------------------------------------------------

export function writeKeyValue(w: ByteWriter, kv: KeyValue): void {
  w.str(kv.key);
  w.str(kv.value);
  w.f64(kv.createRevision);
  w.f64(kv.modRevision);
  w.f64(kv.version);
  w.f64(kv.lease);
}

export function readKeyValue(r: ByteReader): KeyValue {
  return {
    key: r.str(),
    value: r.str(),
    createRevision: revision(r.f64()),
    modRevision: revision(r.f64()),
    version: r.f64(),
    lease: leaseId(r.f64()),
  };
}

function writeKeyValues(w: ByteWriter, kvs: readonly KeyValue[]): void {
  w.u32(kvs.length);
  for (const kv of kvs) writeKeyValue(w, kv);
}

function readKeyValues(r: ByteReader): KeyValue[] {
  const n = r.count();
  const kvs: KeyValue[] = [];
  for (let i = 0; i < n; i++) kvs.push(readKeyValue(r));
  return kvs;
}

export function writeStrings(w: ByteWriter, strings: readonly string[]): void {
  w.u32(strings.length);
  for (const s of strings) w.str(s);
}

export function readStrings(r: ByteReader): string[] {
  const n = r.count();
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.str());
  return out;
}

// ---- ops ------------------------------------------------------------------------------------

export function writeOp(w: ByteWriter, op: Op): void {
  w.u8(codeOf(OP_CODE, op.kind));
  switch (op.kind) {
    case 'put':
      return writePut(w, op);
    case 'range':
      return writeRange(w, op);
    case 'delete-range':
      return writeDeleteRange(w, op);
    case 'txn':
      w.u32(op.compare.length);
      for (const c of op.compare) writeCompare(w, c);
      for (const branch of [op.success, op.failure]) {
        w.u32(branch.length);
        for (const o of branch) writeOp(w, o);
      }
      return;
    case 'compact':
      w.f64(op.revision);
      return;
    case 'lease-grant':
      w.f64(op.id);
      w.f64(op.ttlSeconds);
      return;
    case 'lease-revoke':
      w.f64(op.id);
      return;
    default:
      return assertNever(op, 'op');
  }
}

export function readOp(r: ByteReader): Op {
  const kind = r.tag(OP_KINDS, 'op');
  switch (kind) {
    case 'put':
      return readPut(r);
    case 'range':
      return readRange(r);
    case 'delete-range':
      return readDeleteRange(r);
    case 'txn': {
      const n = r.count();
      const compare: Compare[] = [];
      for (let i = 0; i < n; i++) compare.push(readCompare(r));
      const success = readTxnOps(r);
      return { kind, compare, success, failure: readTxnOps(r) };
    }
    case 'compact':
      return { kind, revision: revision(r.f64()) };
    case 'lease-grant':
      return { kind, id: leaseId(r.f64()), ttlSeconds: r.f64() };
    case 'lease-revoke':
      return { kind, id: leaseId(r.f64()) };
    default:
      return assertNever(kind, 'op');
  }
}

function readTxnOps(r: ByteReader): TxnRequestOp[] {
  const n = r.count();
  const ops: TxnRequestOp[] = [];
  for (let i = 0; i < n; i++) {
    const op = readOp(r);
    if (op.kind !== 'put' && op.kind !== 'range' && op.kind !== 'delete-range')
      r.fail(`a txn branch holds a ${op.kind} op`);
    ops.push(op);
  }
  return ops;
}

function writePut(w: ByteWriter, op: PutOp): void {
  w.u8(
    bit(op.lease !== undefined, 0) |
      bit(op.prevKv !== undefined, 1) |
      bit(op.ignoreValue !== undefined, 2) |
      bit(op.ignoreLease !== undefined, 3),
  );
  w.str(op.key);
  w.str(op.value);
  if (op.lease !== undefined) w.f64(op.lease);
  if (op.prevKv !== undefined) w.bool(op.prevKv);
  if (op.ignoreValue !== undefined) w.bool(op.ignoreValue);
  if (op.ignoreLease !== undefined) w.bool(op.ignoreLease);
}

function readPut(r: ByteReader): PutOp {
  const flags = readFlags(r, 4, 'put');
  const op: Mutable<PutOp> = { kind: 'put', key: r.str(), value: r.str() };
  if (flags & 1) op.lease = leaseId(r.f64());
  if (flags & 2) op.prevKv = r.bool();
  if (flags & 4) op.ignoreValue = r.bool();
  if (flags & 8) op.ignoreLease = r.bool();
  return op;
}

function writeRange(w: ByteWriter, op: RangeOp): void {
  w.u8(
    bit(op.rangeEnd !== undefined, 0) |
      bit(op.limit !== undefined, 1) |
      bit(op.revision !== undefined, 2) |
      bit(op.countOnly !== undefined, 3) |
      bit(op.keysOnly !== undefined, 4),
  );
  w.str(op.key);
  if (op.rangeEnd !== undefined) w.str(op.rangeEnd);
  if (op.limit !== undefined) w.f64(op.limit);
  if (op.revision !== undefined) w.f64(op.revision);
  if (op.countOnly !== undefined) w.bool(op.countOnly);
  if (op.keysOnly !== undefined) w.bool(op.keysOnly);
}

function readRange(r: ByteReader): RangeOp {
  const flags = readFlags(r, 5, 'range');
  const op: Mutable<RangeOp> = { kind: 'range', key: r.str() };
  if (flags & 1) op.rangeEnd = r.str();
  if (flags & 2) op.limit = r.f64();
  if (flags & 4) op.revision = revision(r.f64());
  if (flags & 8) op.countOnly = r.bool();
  if (flags & 16) op.keysOnly = r.bool();
  return op;
}

function writeDeleteRange(w: ByteWriter, op: DeleteRangeOp): void {
  w.u8(bit(op.rangeEnd !== undefined, 0) | bit(op.prevKv !== undefined, 1));
  w.str(op.key);
  if (op.rangeEnd !== undefined) w.str(op.rangeEnd);
  if (op.prevKv !== undefined) w.bool(op.prevKv);
}

function readDeleteRange(r: ByteReader): DeleteRangeOp {
  const flags = readFlags(r, 2, 'delete-range');
  const op: Mutable<DeleteRangeOp> = { kind: 'delete-range', key: r.str() };
  if (flags & 1) op.rangeEnd = r.str();
  if (flags & 2) op.prevKv = r.bool();
  return op;
}

function writeCompare(w: ByteWriter, c: Compare): void {
  w.u8(COMPARE_TARGETS.indexOf(c.target));
  w.str(c.key);
  w.u8(COMPARE_RESULTS.indexOf(c.result));
  if (c.target === 'value') w.str(c.value);
  else w.f64(c.value);
}

function readCompare(r: ByteReader): Compare {
  const target = r.tag(COMPARE_TARGETS, 'compare target');
  const key = r.str();
  const result = r.tag(COMPARE_RESULTS, 'compare result');
  switch (target) {
    case 'value':
      return { target, key, result, value: r.str() };
    case 'version':
      return { target, key, result, value: r.f64() };
    case 'create':
    case 'mod':
      return { target, key, result, value: revision(r.f64()) };
    case 'lease':
      return { target, key, result, value: leaseId(r.f64()) };
    default:
      return assertNever(target, 'compare target');
  }
}

// ---- results --------------------------------------------------------------------------------

export function writeResult(w: ByteWriter, res: Result): void {
  w.u8(codeOf(RESULT_CODE, res.kind));
  if (res.kind === 'error') return writeErrorBody(w, res);
  w.f64(res.header.revision);
  switch (res.kind) {
    case 'put':
      w.u8(bit(res.prevKv !== undefined, 0));
      if (res.prevKv !== undefined) writeKeyValue(w, res.prevKv);
      return;
    case 'range':
      writeKeyValues(w, res.kvs);
      w.f64(res.count);
      w.bool(res.more);
      return;
    case 'delete-range':
      w.u8(bit(res.prevKvs !== undefined, 0));
      w.f64(res.deleted);
      if (res.prevKvs !== undefined) writeKeyValues(w, res.prevKvs);
      return;
    case 'txn':
      w.bool(res.succeeded);
      w.u32(res.responses.length);
      for (const r of res.responses) writeResult(w, r);
      return;
    case 'compact':
    case 'lease-revoke':
      return;
    case 'lease-grant':
      w.f64(res.id);
      w.f64(res.ttlSeconds);
      return;
    default:
      return assertNever(res, 'result');
  }
}

export function readResult(r: ByteReader): Result {
  const kind = r.tag(RESULT_KINDS, 'result');
  if (kind === 'error') return readErrorBody(r);
  const header = { revision: revision(r.f64()) };
  switch (kind) {
    case 'put': {
      const flags = readFlags(r, 1, 'put result');
      const res: Mutable<PutResult> = { kind, header };
      if (flags & 1) res.prevKv = readKeyValue(r);
      return res;
    }
    case 'range': {
      const kvs = readKeyValues(r);
      const count = r.f64();
      return { kind, header, kvs, count, more: r.bool() } satisfies RangeResult;
    }
    case 'delete-range': {
      const flags = readFlags(r, 1, 'delete-range result');
      const res: Mutable<DeleteRangeResult> = { kind, header, deleted: r.f64() };
      if (flags & 1) res.prevKvs = readKeyValues(r);
      return res;
    }
    case 'txn': {
      const succeeded = r.bool();
      const n = r.count();
      const responses: TxnResponse[] = [];
      for (let i = 0; i < n; i++) {
        const res = readResult(r);
        if (res.kind !== 'put' && res.kind !== 'range' && res.kind !== 'delete-range')
          r.fail(`a txn response is a ${res.kind} result`);
        responses.push(res);
      }
      return { kind, header, succeeded, responses };
    }
    case 'compact':
    case 'lease-revoke':
      return { kind, header };
    case 'lease-grant':
      return { kind, header, id: leaseId(r.f64()), ttlSeconds: r.f64() };
    default:
      return assertNever(kind, 'result');
  }
}

/** A StoreError after its tag (also the error case of lease results). */
export function writeErrorBody(w: ByteWriter, e: StoreError): void {
  w.u8(ERROR_REASONS.indexOf(e.reason));
  w.u8(bit(e.compactRevision !== undefined, 0));
  w.f64(e.header.revision);
  if (e.compactRevision !== undefined) w.f64(e.compactRevision);
}

export function readErrorBody(r: ByteReader): StoreError {
  const reason = r.tag(ERROR_REASONS, 'store error reason');
  const flags = readFlags(r, 1, 'store error');
  const e: Mutable<StoreError> = { kind: 'error', reason, header: { revision: revision(r.f64()) } };
  if (flags & 1) e.compactRevision = revision(r.f64());
  return e;
}

// ---- not-leader -----------------------------------------------------------------------------

export function writeNotLeader(w: ByteWriter, reply: NotLeaderReply): void {
  w.u8(bit(reply.leader !== undefined, 0) | bit(reply.members !== undefined, 1));
  if (reply.leader !== undefined) w.str(reply.leader);
  if (reply.members !== undefined) writeStrings(w, reply.members);
}

export function readNotLeader(r: ByteReader): NotLeaderReply {
  const flags = readFlags(r, 2, 'not-leader');
  const reply: Mutable<NotLeaderReply> = { kind: 'not-leader' };
  if (flags & 1) reply.leader = r.str();
  if (flags & 2) reply.members = readStrings(r);
  return reply;
}

// ---- watches --------------------------------------------------------------------------------

function writeWatchRequest(w: ByteWriter, req: WatchRequest): void {
  w.u8(
    bit(req.rangeEnd !== undefined, 0) |
      bit(req.startRevision !== undefined, 1) |
      bit(req.prevKv !== undefined, 2) |
      bit(req.progressNotify !== undefined, 3),
  );
  w.str(req.key);
  if (req.rangeEnd !== undefined) w.str(req.rangeEnd);
  if (req.startRevision !== undefined) w.f64(req.startRevision);
  if (req.prevKv !== undefined) w.bool(req.prevKv);
  if (req.progressNotify !== undefined) w.bool(req.progressNotify);
}

function readWatchRequest(r: ByteReader): WatchRequest {
  const flags = readFlags(r, 4, 'watch request');
  const req: Mutable<WatchRequest> = { key: r.str() };
  if (flags & 1) req.rangeEnd = r.str();
  if (flags & 2) req.startRevision = revision(r.f64());
  if (flags & 4) req.prevKv = r.bool();
  if (flags & 8) req.progressNotify = r.bool();
  return req;
}

function writeWatchResponse(w: ByteWriter, res: WatchResponse): void {
  w.f64(res.watchId);
  w.f64(res.revision);
  w.u32(res.events.length);
  for (const ev of res.events) {
    w.u8(ev.type === 'PUT' ? 0 : 1);
    w.u8(bit(ev.prevKv !== undefined, 0));
    writeKeyValue(w, ev.kv);
    if (ev.prevKv !== undefined) writeKeyValue(w, ev.prevKv);
  }
}

function readWatchResponse(r: ByteReader): WatchResponse {
  const id = watchId(r.f64());
  const rev = revision(r.f64());
  const n = r.count();
  const events: WatchEvent[] = [];
  for (let i = 0; i < n; i++) {
    const type = r.tag(EVENT_TYPES, 'event type');
    const flags = readFlags(r, 1, 'watch event');
    const ev: Mutable<WatchEvent> = { type, kv: readKeyValue(r) };
    if (flags & 1) ev.prevKv = readKeyValue(r);
    events.push(ev);
  }
  return { watchId: id, revision: rev, events };
}

export const WATCH_OPEN_CODEC: Codec<WatchOpen> = {
  encode: (open) => encodeWith(open.request, writeWatchRequest),
  decode: (bytes) =>
    decodeWith(bytes, 'watch open', (r) => ({ kind: 'watch', request: readWatchRequest(r) })),
};

const STREAM_KINDS: readonly WatchStreamMessage['kind'][] = [
  'created',
  'events',
  'progress',
  'error',
  'member-removed',
];

function writeStreamMessage(w: ByteWriter, msg: WatchStreamMessage): void {
  w.u8(STREAM_KINDS.indexOf(msg.kind));
  switch (msg.kind) {
    case 'created':
      w.f64(msg.watchId);
      return;
    case 'events':
      return writeWatchResponse(w, msg.response);
    case 'progress':
      w.f64(msg.revision);
      return;
    case 'error':
      return writeErrorBody(w, msg.error);
    case 'member-removed':
      return writeStrings(w, msg.members);
    default:
      return assertNever(msg, 'watch stream message');
  }
}

function readStreamMessage(r: ByteReader): WatchStreamMessage {
  const kind = r.tag(STREAM_KINDS, 'watch stream message');
  switch (kind) {
    case 'created':
      return { kind, watchId: watchId(r.f64()) };
    case 'events':
      return { kind, response: readWatchResponse(r) };
    case 'progress':
      return { kind, revision: revision(r.f64()) };
    case 'error':
      return { kind, error: readErrorBody(r) };
    case 'member-removed':
      return { kind, members: readStrings(r) };
    default:
      return assertNever(kind, 'watch stream message');
  }
}

export const WATCH_STREAM_CODEC: Codec<WatchStreamMessage> = {
  encode: (msg) => encodeWith(msg, writeStreamMessage),
  decode: (bytes) => decodeWith(bytes, 'watch stream message', readStreamMessage),
};
