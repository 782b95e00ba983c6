/**
 * Bytes produced on demand. Large immutable content (a store snapshot image, a WAL record batch)
 * travels through the simulation as the objects it encodes, and becomes bytes only where bytes
 * are needed: read back from a simulated disk after a restart, sent through a codec (check mode
 * and real mode), written to a real file. A simulated member that never crashes never encodes
 * its snapshots, and its simulated WAL holds references to entries it already keeps, not a
 * second copy of them.
 *
 * The encoding must be a pure function of data that no one changes afterwards, so encoding late
 * gives the bytes encoding early would have given: recovery, torn writes and checksums see
 * exactly what they saw before.
 */
export type Bytes = Uint8Array | LazyBytes;

export class LazyBytes {
  // Private fields: check mode deep-freezes what crosses a process boundary, which leaves these
  // writable, so a frozen image still memoizes its bytes.
  #make: (() => Uint8Array) | undefined;
  #bytes: Uint8Array | undefined;

  /**
   * `knownLength`: the encoded size when it is cheap to know without encoding (a WAL record
   * batch's frames); `length` encodes otherwise. Without `make`, a subclass's `encode` makes the
   * bytes: content held in the subclass's own fields costs no closure and context beside it,
   * which matters for small content kept in large numbers (a simulated WAL's appends).
   */
  constructor(
    make?: () => Uint8Array,
    private readonly knownLength?: number,
  ) {
    this.#make = make;
  }

  /** Size of the encoded bytes. */
  get length(): number {
    return this.knownLength ?? this.bytes().length;
  }

  /** The encoded bytes, computed once; callers must not modify them. */
  bytes(): Uint8Array {
    if (this.#bytes === undefined) {
      this.#bytes = this.#make === undefined ? this.encode() : this.#make();
      // What the encoder closed over is no longer needed once the bytes exist.
      this.#make = undefined;
    }
    return this.#bytes;
  }

  /** Called once, by a subclass constructed without `make`; it may drop its content after. */
  protected encode(): Uint8Array {
    throw new Error('LazyBytes: neither a make function nor an encode method');
  }
}

export function toBytes(data: Bytes): Uint8Array {
  return data instanceof Uint8Array ? data : data.bytes();
}
