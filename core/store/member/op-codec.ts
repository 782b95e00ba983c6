/**
 * The payload of a store entry: the op as UTF-8 JSON, byte-compatible with state-machine.ts's
 * `encodeOp`/`decodeOp`.
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
import { decodeOp } from '../state-machine.ts';
import type { Op } from '../types.ts';

const encoder = new TextEncoder();

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
let slabUsed = 0;
/** Newest last. */
const memo: MemoSlab[] = [newMemoSlab(slab)];

function newMemoSlab(bytes: Uint8Array): MemoSlab {
  return { buffer: bytes.buffer, ops: new Map(), lengths: new Map() };
}

export function encodeEntryOp(op: Op): Uint8Array {
  const json = JSON.stringify(op);
  const maxBytes = json.length * 3;
  if (slabUsed + maxBytes > slab.length) {
    slab = new Uint8Array(Math.max(SLAB_BYTES, maxBytes));
    slabUsed = 0;
    if (memo.length === MEMO_SLABS) memo.shift();
    memo.push(newMemoSlab(slab));
  }
  const { written } = encoder.encodeInto(json, slab.subarray(slabUsed));
  const offset = slab.byteOffset + slabUsed;
  const bytes = slab.subarray(slabUsed, slabUsed + written);
  slabUsed += written;
  const current = memo[memo.length - 1]!;
  current.ops.set(offset, op);
  current.lengths.set(offset, written);
  return bytes;
}

export function decodeEntryOp(bytes: Uint8Array): Op {
  for (let i = memo.length - 1; i >= 0; i--) {
    const m = memo[i]!;
    if (m.buffer !== bytes.buffer) continue;
    if (m.lengths.get(bytes.byteOffset) !== bytes.byteLength) break;
    return m.ops.get(bytes.byteOffset)!;
  }
  return decodeOp(bytes);
}
