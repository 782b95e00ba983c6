/**
 * The wire format of the TCP transport: length-prefixed frames on one connection per
 * (client process, server process, protocol).
 *
 *   u32 length of what follows (big-endian) | u8 frame type | u32 call or stream id | payload
 *
 * The payload is a protocol codec's bytes, except for HELLO (UTF-8 JSON naming the client and
 * the protocol) and END (the UTF-8 reason a stream ended). Ids are the client's: a request's
 * reply and a stream's messages carry the id the client chose.
 */
import { assert } from '../../core/util/assert.ts';

export const FRAME = {
  /** Client -> server, first frame: `{ from, protocol }`. */
  hello: 1,
  datagram: 2,
  request: 3,
  /** Opens stream `id` with the protocol's open request. */
  open: 4,
  /** The client closed stream `id`. */
  close: 5,
  reply: 6,
  /** Nothing was delivered: no listener for that shape, or bytes its codec refused. */
  refused: 7,
  streamMessage: 8,
  /** The server ended stream `id` (or never accepted it); the payload is the reason. */
  end: 9,
  /** Client -> server on open stream `id`: the protocol's streamInput bytes. */
  input: 10,
} as const;

export type FrameType = (typeof FRAME)[keyof typeof FRAME];

const HEADER_BYTES = 4 + 1 + 4;

/**
 * Largest frame accepted: a store snapshot travels in one message, so this is generous; a
 * larger length prefix means a corrupt or hostile stream, and the connection is dropped.
 */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export function encodeFrame(type: FrameType, id: number, payload: Uint8Array): Buffer {
  assert(payload.length + 5 <= MAX_FRAME_BYTES, `frame of ${payload.length} bytes is too large`);
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length + 5, 0);
  out.writeUInt8(type, 4);
  out.writeUInt32BE(id, 5);
  out.set(payload, HEADER_BYTES);
  return out;
}

export interface Frame {
  readonly type: number;
  readonly id: number;
  readonly payload: Uint8Array;
}

/**
 * Cuts a byte stream into frames. Chunks are kept as they came until a whole frame is there,
 * then joined once, so a large frame arriving in many chunks costs one copy, not one per chunk.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Frames completed by `chunk`; throws on a length no valid peer sends. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) return frames;
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.join();
      const length = head.readUInt32BE(0);
      if (length < 5 || length > MAX_FRAME_BYTES) throw new Error(`bad frame length ${length}`);
      if (this.buffered < 4 + length) return frames;
      const all = this.chunks.length === 1 ? this.chunks[0]! : this.join();
      frames.push({
        type: all.readUInt8(4),
        id: all.readUInt32BE(5),
        payload: all.subarray(HEADER_BYTES, 4 + length),
      });
      const rest = all.subarray(4 + length);
      this.chunks = rest.length === 0 ? [] : [rest];
      this.buffered = rest.length;
    }
  }

  private join(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }
}
