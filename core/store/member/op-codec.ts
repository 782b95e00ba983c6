/**
 * The payload of a store entry. Two layouts, told apart by the first byte:
 *
 *   '{'   any op as UTF-8 JSON (state-machine.ts's `decodeOp` reads it);
 *   0x01  a put, the op nearly every write is:
 *           [0x01][flags u8][lease f64, if flag 8][key length u32 LE][key UTF-8][value UTF-8]
 *         flags: 1 prevKv, 2 ignoreValue, 4 ignoreLease, 8 lease present.
 *
 * The put layout exists for speed: JSON.stringify scans the value for characters to escape and
 * wraps it in quotes, which cost three times as much as copying the two strings.
 *
 * Payloads are views into shared slabs rather than one ArrayBuffer each: allocating a buffer
 * per write cost more than encoding it. A slab lives as long as any entry on it.
 *
 * Decoding is memoised for recently encoded payloads: a payload is immutable once encoded, so
 * the op it decodes to is a pure function of its bytes, and where a host shares entry objects
 * between members (the simulator hands the same message to every receiver) each write is then
 * parsed by no one instead of once per follower. The memo remembers the ops of the newest
 * `MEMO_SLABS` slabs by (slab, offset); a payload found there is the very view `encodeEntryOp`
 * returned, or another view of the same bytes, which decode to the same op. Anything else (a
 * payload read back from the WAL, one that crossed a real wire, one written long ago) is parsed.
 * The memo carries nothing between members that the bytes themselves do not.
 */
import { assert } from '../../util/assert.ts';
import { decodeOp } from '../state-machine.ts';
import { leaseId, type Op, type PutOp } from '../types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const PUT = 0x01;
const JSON_START = 0x7b;
const FLAG_PREV_KV = 1;
const FLAG_IGNORE_VALUE = 2;
const FLAG_IGNORE_LEASE = 4;
const FLAG_LEASE = 8;
/** Tag, flags, lease, key length. */
const PUT_HEADER_MAX = 1 + 1 + 8 + 4;

const SLAB_BYTES = 64 * 1024;
/** Slabs whose ops are remembered: about 2,000 small writes, far more than followers lag by. */
const MEMO_SLABS = 8;

interface MemoSlab {
  readonly buffer: ArrayBufferLike;
  /** Op and length of each payload on the slab, by its byte offset. */
  readonly ops: Map<number, Op>;
  readonly lengths: Map<number, number>;
}

let slab = new Uint8Array(SLAB_BYTES);
let slabView = new DataView(slab.buffer);
let slabUsed = 0;
/** Newest last. */
const memo: MemoSlab[] = [newMemoSlab(slab)];

function newMemoSlab(bytes: Uint8Array): MemoSlab {
  return { buffer: bytes.buffer, ops: new Map(), lengths: new Map() };
}

/** Makes room for `maxBytes` on the current slab, starting a new one if needed. */
function reserve(maxBytes: number): void {
  if (slabUsed + maxBytes <= slab.length) return;
  slab = new Uint8Array(Math.max(SLAB_BYTES, maxBytes));
  slabView = new DataView(slab.buffer);
  slabUsed = 0;
  if (memo.length === MEMO_SLABS) memo.shift();
  memo.push(newMemoSlab(slab));
}

export function encodeEntryOp(op: Op): Uint8Array {
  let offset: number;
  let written: number;
  if (op.kind === 'put') {
    reserve(PUT_HEADER_MAX + (op.key.length + op.value.length) * 3);
    offset = slabUsed;
    written = writePut(op, offset);
  } else {
    const json = JSON.stringify(op);
    reserve(json.length * 3);
    offset = slabUsed;
    written = encoder.encodeInto(json, slab.subarray(offset)).written;
  }
  slabUsed = offset + written;
  const current = memo[memo.length - 1]!;
  current.ops.set(offset, op);
  current.lengths.set(offset, written);
  return slab.subarray(offset, offset + written);
}

function writePut(op: PutOp, at: number): number {
  let flags = 0;
  if (op.prevKv === true) flags |= FLAG_PREV_KV;
  if (op.ignoreValue === true) flags |= FLAG_IGNORE_VALUE;
  if (op.ignoreLease === true) flags |= FLAG_IGNORE_LEASE;
  if (op.lease !== undefined) flags |= FLAG_LEASE;
  let p = at;
  slab[p++] = PUT;
  slab[p++] = flags;
  if (op.lease !== undefined) {
    slabView.setFloat64(p, op.lease, true);
    p += 8;
  }
  const keyBytes = encoder.encodeInto(op.key, slab.subarray(p + 4)).written;
  slabView.setUint32(p, keyBytes, true);
  p += 4 + keyBytes;
  p += encoder.encodeInto(op.value, slab.subarray(p)).written;
  return p - at;
}

export function decodeEntryOp(bytes: Uint8Array): Op {
  for (let i = memo.length - 1; i >= 0; i--) {
    const m = memo[i]!;
    if (m.buffer !== bytes.buffer) continue;
    if (m.lengths.get(bytes.byteOffset) !== bytes.byteLength) break;
    return m.ops.get(bytes.byteOffset)!;
  }
  switch (bytes[0]) {
    case PUT:
      return readPut(bytes);
    case JSON_START:
      return decodeOp(bytes);
    default:
      throw new Error(`store entry: unknown payload layout ${String(bytes[0])}`);
  }
}

function readPut(bytes: Uint8Array): PutOp {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = bytes[1]!;
  let p = 2;
  let lease: number | undefined;
  if ((flags & FLAG_LEASE) !== 0) {
    lease = view.getFloat64(p, true);
    p += 8;
  }
  const keyBytes = view.getUint32(p, true);
  p += 4;
  assert(p + keyBytes <= bytes.byteLength, 'store entry: put key runs past the payload');
  const key = decoder.decode(bytes.subarray(p, p + keyBytes));
  const value = decoder.decode(bytes.subarray(p + keyBytes));
  // The same fields, in the same order, as the op that was encoded (absent ones stay absent).
  return {
    kind: 'put',
    key,
    value,
    ...(lease === undefined ? {} : { lease: leaseId(lease) }),
    ...((flags & FLAG_PREV_KV) !== 0 ? { prevKv: true } : {}),
    ...((flags & FLAG_IGNORE_VALUE) !== 0 ? { ignoreValue: true } : {}),
    ...((flags & FLAG_IGNORE_LEASE) !== 0 ? { ignoreLease: true } : {}),
  };
}
