/**
 * The simulation's buggify (core/ports/buggify.ts): a run turns sites on with a probability
 * each (a scenario's `spec.buggify`, drawn per world by `ksim fuzz cluster`), and every process
 * incarnation draws its firings from a stream of its own, forked from its process's, so turning
 * sites on never shifts any other random stream and a run without buggify draws nothing.
 */
import type { Buggify, BuggifySite } from '../core/ports/buggify.ts';
import type { Random } from '../core/ports/random.ts';
import type { Trace } from '../core/ports/trace.ts';
import { assert } from '../core/util/assert.ts';

/** The sites a run turns on, with the probability that each evaluation fires. */
export type BuggifyConfig = Readonly<Partial<Record<BuggifySite, number>>>;

export function buggifyOn(config: BuggifyConfig | undefined): boolean {
  return config !== undefined && Object.values(config).some((p) => p !== undefined && p > 0);
}

export class SimBuggify implements Buggify {
  constructor(
    private readonly config: BuggifyConfig,
    private readonly random: Random,
    private readonly trace: Trace,
  ) {
    for (const [site, p] of Object.entries(config))
      assert(p === undefined || (p >= 0 && p <= 1), `buggify ${site}: probability ${p}`);
  }

  fires(site: BuggifySite): boolean {
    const p = this.config[site];
    if (p === undefined || p <= 0) return false;
    if (this.random.float() >= p) return false;
    this.trace.emit('buggify.fired', { site });
    return true;
  }

  durationUs(minUs: number, maxUs: number): number {
    return minUs + this.random.int(maxUs - minUs + 1);
  }
}
