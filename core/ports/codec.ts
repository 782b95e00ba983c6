/**
 * How a message becomes bytes and back. Every message that crosses a process boundary has a
 * codec (its protocol names them, see transport.ts): a real host sends `encode`'s bytes on a
 * socket and hands the receiver what `decode` makes of them; the simulator passes the frozen
 * objects themselves and, in check mode, round-trips a sample through the codecs so the two
 * hosts cannot drift apart.
 *
 * `decode` must not trust its input: bytes from a socket may be truncated, corrupt or hostile.
 * It throws a `CodecError` naming what was wrong and where, never a TypeError from deep inside;
 * a host treats that as a broken message (drops the datagram, fails the request, breaks the
 * stream), not as a programmer error.
 */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** Bytes that are not a valid encoding (an expected failure on a real wire). */
export class CodecError extends Error {
  override name = 'CodecError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A JSON codec. `check` inspects the parsed value and names what is wrong with it (undefined
 * when it is acceptable), so that a well-formed JSON document of the wrong shape is refused
 * here rather than deep inside the receiver. JSON drops properties whose value is undefined;
 * receivers must treat an absent optional field and an undefined one alike.
 */
export function jsonCodec<T>(
  what: string,
  check: (value: unknown) => string | undefined = () => undefined,
): Codec<T> {
  return {
    encode: (value) => encoder.encode(JSON.stringify(value)),
    decode: (bytes) => {
      let value: unknown;
      try {
        value = JSON.parse(decoder.decode(bytes));
      } catch (e) {
        throw new CodecError(`${what}: not UTF-8 JSON (${(e as Error).message})`);
      }
      const problem = check(value);
      if (problem !== undefined) throw new CodecError(`${what}: ${problem}`);
      return value as T;
    },
  };
}

/** Any JSON value (tests and benchmarks that send strings and numbers). */
export const JSON_VALUE_CODEC: Codec<unknown> = jsonCodec('JSON value');

/** The codec of a message shape a protocol does not carry: nothing may be sent with it. */
export function noMessages(what: string): Codec<never> {
  return {
    encode: () => {
      throw new CodecError(`${what} carries no such messages`);
    },
    decode: () => {
      throw new CodecError(`${what} carries no such messages`);
    },
  };
}

/** A plain JSON object (not null, not an array), for `check` functions. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
