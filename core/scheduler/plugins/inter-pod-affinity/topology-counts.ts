/** Counts per topology pair (topologyKey -> value -> n), entries removed when they reach 0. */
import type { Labels } from '../../../api/selectors.ts';

export class TopologyCounts {
  readonly byKey = new Map<string, Map<string, number>>();

  get isEmpty(): boolean {
    return this.byKey.size === 0;
  }

  add(key: string, value: string, delta: number): void {
    let m = this.byKey.get(key);
    if (m === undefined) {
      m = new Map();
      this.byKey.set(key, m);
    }
    const n = (m.get(value) ?? 0) + delta;
    if (n === 0) {
      m.delete(value);
      if (m.size === 0) this.byKey.delete(key);
    } else m.set(value, n);
  }

  /** add(key, v, n * factor) for every entry of `sums`, whose counts are all non-zero. */
  addAll(key: string, sums: ReadonlyMap<string, number>, factor: number): void {
    if (sums.size === 0 || factor === 0) return;
    const m = this.byKey.get(key);
    if (m === undefined) {
      // Fresh pairs: no entry can reach 0, so copy without the per-entry checks.
      let fresh: Map<string, number>;
      if (factor === 1) fresh = new Map(sums);
      else {
        fresh = new Map();
        for (const [v, n] of sums) fresh.set(v, n * factor);
      }
      this.byKey.set(key, fresh);
      return;
    }
    for (const [v, n] of sums) {
      const x = (m.get(v) ?? 0) + n * factor;
      if (x === 0) m.delete(v);
      else m.set(v, x);
    }
    if (m.size === 0) this.byKey.delete(key);
  }

  get(key: string, value: string): number {
    return this.byKey.get(key)?.get(value) ?? 0;
  }

  /** Does any pair of the node's labels have a positive count? */
  anyPositiveFor(labels: Labels): boolean {
    if (labels === undefined) return false;
    for (const [key, m] of this.byKey) {
      if (!Object.hasOwn(labels, key)) continue;
      if ((m.get(labels[key] as string) ?? 0) > 0) return true;
    }
    return false;
  }

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    for (const [k, m] of this.byKey) c.byKey.set(k, new Map(m));
    return c;
  }
}
