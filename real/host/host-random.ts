import { randomInt } from 'node:crypto';
import seedrandom from 'seedrandom';
import type { Random } from '../../core/ports/random.ts';

/**
 * The Random port on the host: the same Alea streams under the same seed paths as the
 * simulator's SeededRandom (sim/random.ts; a test compares the two), so a real process given
 * `--seed N` draws what a simulated one would. real/ does not import sim/, hence this twin of a
 * few lines rather than a shared class.
 *
 * Without a seed, the root seed itself is drawn from the operating system's CSPRNG: the process
 * still has one integer seed, which its trace header records, so its draws can be replayed.
 */
export class HostRandom implements Random {
  private readonly next: () => number;

  private constructor(readonly seedPath: string) {
    this.next = seedrandom.alea(seedPath);
  }

  static root(seed: number): HostRandom {
    return new HostRandom(`ksim:${seed}`);
  }

  /** A seed drawn from the OS: a non-negative integer below 2^48, as `--seed` accepts. */
  static cryptoSeed(): number {
    return randomInt(2 ** 48 - 1);
  }

  float(): number {
    return this.next();
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  fork(label: string): HostRandom {
    return new HostRandom(`${this.seedPath}/${label}`);
  }
}
