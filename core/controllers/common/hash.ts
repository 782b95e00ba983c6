import { canonicalJson } from './canonical-json.ts';

/** rand.SafeEncodeString's alphabet: no vowels (no words) and no look-alike characters. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * controller.ComputeHash (pkg/controller/controller_utils.go) and, with the revision's data as
 * `value`, history.HashControllerRevision: FNV-32a over the value and, when set, a collision
 * count, printed as a decimal number and then passed through SafeEncodeString. Upstream hashes
 * the Go struct dump (DeepHashObject) or the raw bytes; we hash canonical JSON (sorted keys,
 * empty lists and maps dropped), so values differ from upstream's but are stable and change
 * exactly when the value does. Bumping the collision count gives a new name when an object of
 * the same name but other content is in the way.
 */
export function computeHash(value: unknown, collisionCount: number | undefined): string {
  let h = fnv32a(0x811c9dc5, new TextEncoder().encode(canonicalJson(value)));
  if (collisionCount !== undefined) {
    const c = collisionCount >>> 0;
    h = fnv32a(h, [c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, (c >>> 24) & 0xff]);
  }
  return safeEncode(String(h));
}

function fnv32a(seed: number, bytes: ArrayLike<number>): number {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}
