/** Binning, quantiles and histograms: the pure arithmetic behind the report's aggregates. */
import type { Bins, Histogram } from './report-data.ts';

/** At most this many time bins per series, whatever the run's length. */
export const MAX_BINS = 400;
const NICE_WIDTHS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** The bin width for a run of `endUs`: a round number of seconds giving at most MAX_BINS bins. */
export function binWidthUs(endUs: number): number {
  const s =
    NICE_WIDTHS_S.find((w) => endUs / 1e6 / w <= MAX_BINS) ?? Math.ceil(endUs / 1e6 / MAX_BINS);
  return s * 1_000_000;
}

/**
 * Records are read in one pass and the run's end is known only after it, so series are kept
 * at a base resolution of one second (growing as time goes) and coarsened at the end.
 */
const BASE_US = 1_000_000;

/** The final binning of a run: the width and the number of bins. */
export interface Binning {
  readonly widthUs: number;
  readonly count: number;
}

export function binningFor(endUs: number): Binning {
  const widthUs = binWidthUs(endUs);
  return { widthUs, count: Math.max(1, Math.ceil((endUs + 1) / widthUs)) };
}

/** Counts events per bin. */
export class Counter {
  private readonly base: number[] = [];
  total = 0;
  add(t: number, n = 1): void {
    const i = Math.floor(t / BASE_US);
    while (this.base.length <= i) this.base.push(0);
    this.base[i] = (this.base[i] as number) + n;
    this.total += n;
  }
  bins(b: Binning): Bins {
    const per = b.widthUs / BASE_US;
    const values = new Array<number>(b.count).fill(0);
    this.base.forEach((v, i) => {
      const j = Math.min(b.count - 1, Math.floor(i / per));
      values[j] = (values[j] as number) + v;
    });
    return { widthUs: b.widthUs, values };
  }
}

/**
 * A level that changes over time (pods running, nodes down), sampled at the end of each bin:
 * the value after the last change at or before the bin's end.
 */
export class Level {
  private value = 0;
  /** base[i]: the value at the end of second i, for the seconds before the last change. */
  private readonly base: number[] = [];
  /** Changes the level by `delta` at `t` (calls in time order). */
  change(t: number, delta: number): void {
    const i = Math.floor(t / BASE_US);
    while (this.base.length < i) this.base.push(this.value);
    this.value += delta;
  }
  get current(): number {
    return this.value;
  }
  bins(b: Binning): Bins {
    const per = b.widthUs / BASE_US;
    const values: number[] = [];
    for (let j = 0; j < b.count; j++) values.push(this.base[(j + 1) * per - 1] ?? this.value);
    return { widthUs: b.widthUs, values };
  }
}

/** Nearest-rank quantile of ascending `sorted` (q in [0, 1]); 0 for no values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** CDF samples of ascending `sorted`: evenly spaced ranks, denser in the tail. */
export function cdfSamples(sorted: readonly number[]): [number, number][] {
  const n = sorted.length;
  if (n === 0) return [];
  const fractions = new Set<number>();
  for (let i = 0; i <= 100; i++) fractions.add(i / 100);
  for (let i = 1; i <= 20; i++) fractions.add(0.99 + i / 2000);
  const out: [number, number][] = [];
  for (const f of [...fractions].sort((a, b) => a - b)) {
    const rank = Math.max(1, Math.ceil(f * n));
    out.push([sorted[rank - 1] as number, rank / n]);
  }
  return out;
}

/** Log-spaced bucket bounds: 1 ms doubling up to past `maxUs` (at least 2 s). */
function bucketBounds(maxUs: number): number[] {
  const bounds: number[] = [];
  for (let b = 1_000; ; b *= 2) {
    bounds.push(b);
    if (b >= Math.max(maxUs, 2_000_000)) return bounds;
  }
}

export function histogram(values: number[]): Histogram {
  const sorted = values.sort((a, b) => a - b);
  const maxUs = sorted[sorted.length - 1] ?? 0;
  const boundsUs = bucketBounds(maxUs);
  const counts = new Array<number>(boundsUs.length).fill(0);
  let bucket = 0;
  for (const v of sorted) {
    while (v > (boundsUs[bucket] as number)) bucket++;
    counts[bucket] = (counts[bucket] ?? 0) + 1;
  }
  return {
    boundsUs,
    counts,
    count: sorted.length,
    p50Us: quantile(sorted, 0.5),
    p90Us: quantile(sorted, 0.9),
    p99Us: quantile(sorted, 0.99),
  };
}

/** Keeps at most `max` points of a time-ordered series: the last point of each stretch. */
export function downsample<T extends readonly [number, ...unknown[]]>(
  points: readonly T[],
  max: number,
): T[] {
  if (points.length <= max) return [...points];
  const step = points.length / max;
  const out: T[] = [];
  for (let i = 1; i <= max; i++)
    out.push(points[Math.min(points.length, Math.round(i * step)) - 1] as T);
  return out;
}

/** Duration for labels: 850µs, 12.3ms, 4.20s, 3m05s. */
export function formatUs(us: number): string {
  if (us < 1_000) return `${us}µs`;
  if (us < 1_000_000) return `${(us / 1_000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  if (us < 60_000_000) return `${(us / 1_000_000).toFixed(2)}s`;
  const s = Math.round(us / 1_000_000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
