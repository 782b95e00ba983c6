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
   * batch's frames); `length` encodes otherwise.
   */
  constructor(
    make: () => Uint8Array,
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
      this.#bytes = this.#make!();
      // What the encoder closed over is no longer needed once the bytes exist.
      this.#make = undefined;
    }
    return this.#bytes;
  }
}

export function toBytes(data: Bytes): Uint8Array {
  return data instanceof Uint8Array ? data : data.bytes();
}
