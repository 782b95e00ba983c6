/**
 * Seeded, splittable randomness. `fork(label)` derives an independent stream from this
 * stream's seed path and the label only, without consuming this stream: adding a component
 * (a new fork) never shifts the numbers other components draw.
 */
export interface Random {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [0, maxExclusive); maxExclusive is a positive integer. */
  int(maxExclusive: number): number;
  fork(label: string): Random;
}

export function chance(random: Random, probability: number): boolean {
  return probability > 0 && random.float() < probability;
}

export function pick<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[random.int(items.length)] as T;
}

/** Fisher–Yates, in place; returns the array for chaining. */
export function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  }
  return items;
}

const HEX = '0123456789abcdef';
const HEX_CODES: readonly number[] = [...HEX].map((c) => c.charCodeAt(0));
const DASH = '-'.charCodeAt(0);
/** The 36 character codes of the UID being made, reused: one string per UID, not one per digit. */
const uidCodes: number[] = new Array<number>(36).fill(0);

/** An RFC 4122 version-4-shaped UID drawn from `random` (so UIDs are reproducible). */
export function uid(random: Random): string {
  let at = 0;
  for (let i = 0; i < 32; i++) {
    let d = random.int(16);
    if (i === 12) d = 4;
    else if (i === 16) d = 8 + (d & 3);
    uidCodes[at++] = HEX_CODES[d]!;
    if (i === 7 || i === 11 || i === 15 || i === 19) uidCodes[at++] = DASH;
  }
  return String.fromCharCode.apply(null, uidCodes);
}

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5-character suffix Kubernetes appends to generateName (apimachinery's alphabet). */
export function nameSuffix(random: Random, length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += NAME_ALPHABET[random.int(NAME_ALPHABET.length)];
  return s;
}
