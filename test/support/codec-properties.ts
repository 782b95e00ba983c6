/**
 * The properties every codec must have, as a vitest suite: decode(encode(x)) deep-equals x for
 * arbitrary messages of every variant, and malformed bytes (truncated, padded, random) give a
 * CodecError rather than a crash deep inside the decoder.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { CodecError, type Codec } from '../../core/ports/codec.ts';

/** Decoding must either succeed or throw a CodecError. */
function decodesOrRefuses<T>(codec: Codec<T>, bytes: Uint8Array): T | CodecError {
  try {
    return codec.decode(bytes);
  } catch (e) {
    if (e instanceof CodecError) return e;
    throw e;
  }
}

export function codecProperties<T>(
  name: string,
  codec: Codec<T>,
  arb: fc.Arbitrary<T>,
  options: { readonly binary: boolean },
): void {
  describe(`${name} codec`, () => {
    test.prop([arb])('decode(encode(x)) deep-equals x', (x) => {
      // A fresh buffer: as bytes read from a socket, sharing nothing with the encoder.
      const bytes = Uint8Array.from(codec.encode(x));
      expect(codec.decode(bytes)).toStrictEqual(x);
    });

    test.prop([arb, fc.nat()])('a truncated message is refused with a CodecError', (x, cut) => {
      const bytes = codec.encode(x);
      const prefix = bytes.slice(0, cut % bytes.byteLength);
      expect(() => codec.decode(prefix)).toThrow(CodecError);
    });

    if (options.binary) {
      test.prop([arb, fc.uint8Array({ minLength: 1, maxLength: 8 })])(
        'trailing bytes are refused with a CodecError',
        (x, extra) => {
          const bytes = codec.encode(x);
          const padded = new Uint8Array(bytes.byteLength + extra.byteLength);
          padded.set(bytes);
          padded.set(extra, bytes.byteLength);
          expect(() => codec.decode(padded)).toThrow(CodecError);
        },
      );
    }

    test.prop([fc.uint8Array({ maxLength: 64 })])(
      'random bytes decode or are refused with a CodecError, never a crash',
      (bytes) => {
        decodesOrRefuses(codec, bytes);
      },
    );

    test.prop([arb, fc.nat(), fc.integer({ min: 1, max: 255 })])(
      'a corrupted byte decodes or is refused with a CodecError, never a crash',
      (x, at, flip) => {
        const bytes = Uint8Array.from(codec.encode(x));
        if (bytes.byteLength === 0) return;
        bytes[at % bytes.byteLength]! ^= flip;
        decodesOrRefuses(codec, bytes);
      },
    );
  });
}
