/**
 * A fixed-size set of small integers, with a string form used as a memo key: two bitsets of the
 * same size have equal keys exactly when they hold the same members.
 */
export class Bitset {
  private readonly words: Uint32Array;
  private members = 0;

  constructor(readonly capacity: number) {
    this.words = new Uint32Array(Math.ceil(capacity / 32));
  }

  get size(): number {
    return this.members;
  }

  has(i: number): boolean {
    return ((this.words[i >>> 5]! >>> (i & 31)) & 1) === 1;
  }

  add(i: number): void {
    if (this.has(i)) return;
    this.words[i >>> 5]! |= 1 << (i & 31);
    this.members++;
  }

  delete(i: number): void {
    if (!this.has(i)) return;
    this.words[i >>> 5]! &= ~(1 << (i & 31));
    this.members--;
  }

  /** Two UTF-16 code units per word: exact, and 16 times shorter than a '0'/'1' string. */
  key(): string {
    let out = '';
    for (const word of this.words) out += String.fromCharCode(word & 0xffff, word >>> 16);
    return out;
  }
}
