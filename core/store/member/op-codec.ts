/**
 * The payload of a store entry: the op as UTF-8 JSON, byte-compatible with state-machine.ts's
 * `encodeOp`/`decodeOp`, with one shared TextEncoder/TextDecoder.
 *
 * Decoding is memoised by payload identity: a payload is immutable once encoded, so the op it
 * decodes to is a pure function of the object, and where a host shares entry objects between
 * members (the simulator hands the same message to every receiver) each write is parsed once
 * instead of once per member. A payload that crossed a real wire or came back from the WAL is
 * a new object and is simply parsed. The memo holds payloads weakly: it never keeps an entry
 * alive, and it carries nothing between members that the bytes themselves do not.
 */
import { decodeOp } from '../state-machine.ts';
import type { Op } from '../types.ts';

const encoder = new TextEncoder();
const decoded = new WeakMap<Uint8Array, Op>();

/**
 * Payloads are views into shared slabs rather than one ArrayBuffer each: allocating a buffer
 * per write cost more than encoding it. A slab lives as long as any entry on it.
 */
const SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

export function encodeEntryOp(op: Op): Uint8Array {
  const json = JSON.stringify(op);
  const maxBytes = json.length * 3;
  if (slabUsed + maxBytes > slab.length) {
    slab = new Uint8Array(Math.max(SLAB_BYTES, maxBytes));
    slabUsed = 0;
  }
  const { written } = encoder.encodeInto(json, slab.subarray(slabUsed));
  const bytes = slab.subarray(slabUsed, slabUsed + written);
  slabUsed += written;
  decoded.set(bytes, op);
  return bytes;
}

export function decodeEntryOp(bytes: Uint8Array): Op {
  let op = decoded.get(bytes);
  if (op === undefined) {
    op = decodeOp(bytes);
    decoded.set(bytes, op);
  }
  return op;
}
