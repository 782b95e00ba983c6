/**
 * 64-bit FNV-1a over bytes, as 16 hex digits. Not cryptographic: it lets checkers compare
 * replica states cheaply. 64-bit arithmetic is split into two 32-bit halves: multiplying by the
 * FNV prime 2^40 + 0x1b3 is `h * 0x1b3 + (h << 40)`, and `lo * 0x1b3` (< 2^41) is exact in a double.
 */
const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;
const PRIME_LOW = 0x1b3;
const TWO_POW_32 = 0x1_0000_0000;

export function fnv1a64Hex(bytes: Uint8Array): string {
  let hi = OFFSET_HI;
  let lo = OFFSET_LO;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]!) >>> 0;
    const lowProduct = lo * PRIME_LOW;
    const carry = Math.floor(lowProduct / TWO_POW_32);
    hi = (Math.imul(hi, PRIME_LOW) + carry + (lo << 8)) >>> 0;
    lo = lowProduct >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
