import seedrandom from 'seedrandom';
import type { Random } from '../core/ports/random.ts';

/**
 * The simulation's randomness: Alea (seedrandom) streams keyed by a seed path. A fork's
 * seed is its parent's path plus the label, so forking never draws from the parent and a new
 * component never shifts the numbers of the existing ones.
 */
export class SeededRandom implements Random {
  private readonly next: () => number;

  constructor(readonly seedPath: string) {
    this.next = seedrandom.alea(seedPath);
  }

  static root(seed: number | string): SeededRandom {
    return new SeededRandom(`ksim:${seed}`);
  }

  float(): number {
    return this.next();
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  fork(label: string): SeededRandom {
    return new SeededRandom(`${this.seedPath}/${label}`);
  }
}
