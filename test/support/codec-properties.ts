/**
 * The properties every codec must have, as a vitest suite: decode(encode(x)) deep-equals x for
 * arbitrary messages of every variant (binary codecs: with the keys in the same order), and
 * malformed bytes (truncated, padded, random) give a CodecError rather than a crash deep inside
 * the decoder. And `pinnedEncoding`, which fixes a message's bytes.
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

    if (options.binary) {
      // Key order matters to whatever prints a decoded message (a trace, a log).
      test.prop([arb])('decode(encode(x)) has the keys of x in the same order', (x) => {
        expect(keyOrder(codec.decode(codec.encode(x)))).toEqual(keyOrder(x));
      });
    }

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

/** The keys of every object in `value`, depth first, in their order. */
function keyOrder(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...keyOrder(v).map((p) => `${k}.${p}`)]);
}

/** Bytes from hex text; spaces (between fields, for the reader) are ignored. */
export function hex(...parts: string[]): Uint8Array {
  const text = parts.join('').replaceAll(' ', '');
  return Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** A float64 in hex, little-endian, for `hex`. */
export function f64Hex(n: number): string {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, n, true);
  return toHex(b);
}

/** A string in hex: u32 length, little-endian, and the UTF-8 bytes, for `hex`. */
export function strHex(s: string): string {
  const utf8 = new TextEncoder().encode(s);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, utf8.byteLength, true);
  return toHex(length) + toHex(utf8);
}

/** `value` encodes to exactly `bytes` (a layout change fails here) and decodes back. */
export function pinnedEncoding<T>(codec: Codec<T>, value: T, bytes: Uint8Array): void {
  expect(toHex(codec.encode(value))).toBe(toHex(bytes));
  expect(codec.decode(bytes)).toStrictEqual(value);
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
