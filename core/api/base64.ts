/**
 * Standard base64 (RFC 4648 with padding), decoding as Go's base64.StdEncoding does: `[]byte`
 * fields in Kubernetes JSON (a Secret's data, a RangeAllocation's bitmap) go through it, and its
 * error offsets are what users see ("illegal base64 data at input byte 4"). CR and LF are
 * skipped; anything else outside the alphabet, missing padding or trailing data is an error.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = '='.charCodeAt(0);
const CR = 13;
const LF = 10;

const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = i + 1 < bytes.length ? (bytes[i + 1] as number) : 0;
    const c = i + 2 < bytes.length ? (bytes[i + 2] as number) : 0;
    const n = (a << 16) | (b << 8) | c;
    out += ALPHABET[(n >> 18) & 63];
    out += ALPHABET[(n >> 12) & 63];
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? ALPHABET[n & 63] : '=';
  }
  return out;
}

/** The decoded bytes, or the offset of the first illegal input byte (Go's CorruptInputError). */
export type Base64Result =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly offset: number };

/**
 * Go's decodeQuantum loop over a string of byte values (the JSON string's UTF-8 code units
 * above 0x7f are never in the alphabet, so treating UTF-16 code units as bytes only shifts an
 * offset inside a value that is invalid anyway).
 */
export function decodeBase64(text: string): Base64Result {
  const out: number[] = [];
  let si = 0;
  while (si < text.length) {
    const quantum = decodeQuantum(text, si);
    if (!quantum.ok) return quantum;
    out.push(...quantum.bytes);
    if (quantum.trailingAt !== undefined) return { ok: false, offset: quantum.trailingAt };
    si = quantum.next;
  }
  return { ok: true, bytes: Uint8Array.from(out) };
}

type Quantum =
  | {
      readonly ok: true;
      readonly bytes: number[];
      readonly next: number;
      readonly trailingAt?: number;
    }
  | { readonly ok: false; readonly offset: number };

function decodeQuantum(src: string, start: number): Quantum {
  const dbuf = [0, 0, 0, 0];
  let dlen = 4;
  let si = start;
  let trailingAt: number | undefined;
  for (let j = 0; j < 4; j++) {
    if (si === src.length) {
      // A partial quantum at the end: padding was required.
      if (j === 0) return { ok: true, bytes: [], next: si };
      return { ok: false, offset: si - j };
    }
    const code = src.charCodeAt(si);
    si++;
    const value = code < 256 ? (DECODE[code] as number) : -1;
    if (value >= 0) {
      dbuf[j] = value;
      continue;
    }
    if (code === LF || code === CR) {
      j--;
      continue;
    }
    if (code !== PAD) return { ok: false, offset: si - 1 };
    if (j < 2) return { ok: false, offset: si - 1 };
    if (j === 2) {
      si = skipNewlines(src, si);
      if (si === src.length) return { ok: false, offset: src.length };
      if (src.charCodeAt(si) !== PAD) return { ok: false, offset: si - 1 };
      si++;
    }
    si = skipNewlines(src, si);
    if (si < src.length) trailingAt = si;
    dlen = j;
    break;
  }
  const n = ((dbuf[0] as number) << 18) | ((dbuf[1] as number) << 12) | ((dbuf[2] as number) << 6);
  const v = n | (dbuf[3] as number);
  const bytes = [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff].slice(0, dlen - 1);
  return trailingAt === undefined
    ? { ok: true, bytes, next: si }
    : { ok: true, bytes, next: si, trailingAt };
}

function skipNewlines(src: string, from: number): number {
  let i = from;
  while (i < src.length && (src.charCodeAt(i) === LF || src.charCodeAt(i) === CR)) i++;
  return i;
}

const utf8Encoder = new TextEncoder();

/** The base64 of a string's UTF-8 bytes (how a Secret's stringData becomes data). */
export function encodeBase64Utf8(text: string): string {
  return encodeBase64(utf8Encoder.encode(text));
}
