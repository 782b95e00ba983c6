/**
 * Building blocks of the binary codecs (Raft messages, store requests and replies): a growing
 * writer and a bounds-checked reader. Layouts are little-endian; numbers are float64 because
 * ids, terms, indexes and revisions are JavaScript numbers (exact below 2^53), as in the WAL;
 * strings and byte arrays are a u32 length and the bytes. A reader that runs past the end or
 * finds a bad value throws a `ByteCodecError` that names the message and the offset; the
 * layouts of struct-codec.ts add the field it was reading on the way out.
 */
import { CodecError } from './codec.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const INITIAL_BYTES = 256;

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private at = 0;

  constructor(initialBytes = INITIAL_BYTES) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  u8(n: number): void {
    this.room(1);
    this.buf[this.at++] = n;
  }

  u32(n: number): void {
    this.room(4);
    this.view.setUint32(this.at, n, true);
    this.at += 4;
  }

  f64(n: number): void {
    this.room(8);
    this.view.setFloat64(this.at, n, true);
    this.at += 8;
  }

  bool(b: boolean): void {
    this.u8(b ? 1 : 0);
  }

  str(s: string): void {
    // UTF-8 needs at most three bytes per UTF-16 code unit.
    this.room(4 + s.length * 3);
    const written = encoder.encodeInto(s, this.buf.subarray(this.at + 4)).written;
    this.view.setUint32(this.at, written, true);
    this.at += 4 + written;
  }

  bytes(b: Uint8Array): void {
    this.room(4 + b.byteLength);
    this.view.setUint32(this.at, b.byteLength, true);
    this.buf.set(b, this.at + 4);
    this.at += 4 + b.byteLength;
  }

  /** The bytes written so far (a view of the writer's buffer, until it writes again). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }

  /** Starts over, keeping the buffer. */
  reset(): void {
    this.at = 0;
  }

  get capacity(): number {
    return this.buf.length;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

export class ByteReader {
  private readonly view: DataView;
  private at = 0;
  private copy: Uint8Array | undefined;

  constructor(
    private readonly buf: Uint8Array,
    /** What is being decoded, for error messages. */
    private readonly what: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.at++]!;
  }

  u32(): number {
    this.need(4);
    const n = this.view.getUint32(this.at, true);
    this.at += 4;
    return n;
  }

  f64(): number {
    this.need(8);
    const n = this.view.getFloat64(this.at, true);
    this.at += 8;
    return n;
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) this.fail(`expected a boolean, found ${b}`);
    return b === 1;
  }

  str(): string {
    const n = this.u32();
    this.need(n);
    let s: string;
    try {
      s = decoder.decode(this.buf.subarray(this.at, this.at + n));
    } catch {
      return this.fail('string is not valid UTF-8');
    }
    this.at += n;
    return s;
  }

  /**
   * A copy: the decoded message must not share the receive buffer, which a host may reuse. The
   * first byte array copies the whole message and every byte array is a view of that copy:
   * allocating an ArrayBuffer per array (64 entries of an append) cost more than the rest of
   * decoding. As with op-codec.ts's slabs, the copy lives as long as any array on it.
   */
  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    this.copy ??= this.buf.slice();
    const b = this.copy.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }

  /** An element count, checked against the bytes left (each element takes at least one). */
  count(): number {
    const n = this.u32();
    if (n > this.buf.byteLength - this.at) this.fail(`count ${n} exceeds the bytes left`);
    return n;
  }

  /** Every byte must have been read. */
  end(): void {
    if (this.at !== this.buf.byteLength)
      this.fail(`${this.buf.byteLength - this.at} bytes left over`);
  }

  fail(problem: string): never {
    throw new ByteCodecError(this.what, problem, this.at);
  }

  private need(n: number): void {
    if (this.at + n > this.buf.byteLength)
      this.fail(`truncated: needs ${n} more bytes, ${this.buf.byteLength - this.at} left`);
  }
}

/**
 * A CodecError from a ByteReader: what was being decoded, the problem, the offset, and the path
 * of fields (`MsgApp.entries[3].data`) that the enclosing layouts name as the error passes
 * through them, so that the message reads `raft message: MsgApp.entries[3].data: truncated:
 * needs 16 more bytes, 9 left (at byte 512)`.
 */
export class ByteCodecError extends CodecError {
  // Private (#) so that the error has a CodecError's properties only, and compares equal to one.
  readonly #what: string;
  readonly #problem: string;
  readonly #offset: number;
  readonly #path: string[] = [];

  constructor(what: string, problem: string, offset: number) {
    super(`${what}: ${problem} (at byte ${offset})`);
    this.#what = what;
    this.#problem = problem;
    this.#offset = offset;
  }

  /** Prefixes the path with a field name, a union variant's kind or a list index (`[3]`). */
  within(segment: string): this {
    this.#path.unshift(segment);
    const path = this.#path.join('.').replaceAll('.[', '[');
    this.message = `${this.#what}: ${path}: ${this.#problem} (at byte ${this.#offset})`;
    return this;
  }
}

/**
 * The writer `encodeWith` reuses. A fresh writer would grow its buffer several times for a large
 * message, allocating an ArrayBuffer each time (the largest cost of encoding one); this one keeps
 * its grown buffer and the message is copied out once. Past `SCRATCH_KEEP_BYTES` (a snapshot)
 * it is dropped rather than kept.
 */
let scratch: ByteWriter | undefined = new ByteWriter(64 * 1024); // a range of ~100 objects
const SCRATCH_KEEP_BYTES = 1024 * 1024;

/** Encodes `value` into a buffer of its own. */
export function encodeWith<T>(value: T, write: (w: ByteWriter, value: T) => void): Uint8Array {
  // Taken while in use, so that an encode from inside `write` gets a writer of its own.
  const w = scratch ?? new ByteWriter();
  scratch = undefined;
  try {
    write(w, value);
    return w.finish().slice();
  } finally {
    if (w.capacity <= SCRATCH_KEEP_BYTES) {
      w.reset();
      scratch = w;
    }
  }
}

/** Decodes all of `bytes` with `read`; leftover bytes are an error. */
export function decodeWith<T>(bytes: Uint8Array, what: string, read: (r: ByteReader) => T): T {
  const r = new ByteReader(bytes, what);
  const value = read(r);
  r.end();
  return value;
}
