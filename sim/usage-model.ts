/**
 * A simulated container's CPU and memory use over time, declared in its environment
 * (`KSIM_CPU`, `KSIM_MEMORY`) as one of:
 *
 * - `200m`, `128Mi`: constant;
 * - `ramp:64Mi..1Gi/120s`: linear from the first to the second over the duration, then flat;
 * - `periodic:100m..500m/60s`: a sine wave between the two with that period, starting at the
 *   low value;
 * - `walk:64Mi..512Mi/10s`: a random walk from the low value, one step per duration, each step
 *   uniform within ±10 % of the range, kept within it (drawn from the container's seeded stream).
 *
 * CPU is in millicores, memory and disk in bytes, processes a count; times are since the
 * container's start.
 */
import { isQuantityError, milliValue, parseQuantity, value } from '../core/api/quantity.ts';
import type { Random } from '../core/ports/random.ts';

export type UsagePattern =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'ramp'; readonly from: number; readonly to: number; readonly overUs: number }
  | {
      readonly kind: 'periodic';
      readonly low: number;
      readonly high: number;
      readonly periodUs: number;
    }
  | { readonly kind: 'walk'; readonly low: number; readonly high: number; readonly stepUs: number };

export type Unit = 'millicores' | 'bytes' | 'count';

/** The pattern, or undefined when the text does not parse (then the container uses nothing). */
export function parseUsage(text: string | undefined, unit: Unit): UsagePattern | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const m = /^(ramp|periodic|walk):([^.]+)\.\.([^/]+)\/(.+)$/.exec(text.trim());
  if (m === null) {
    const v = amount(text.trim(), unit);
    return v === undefined ? undefined : { kind: 'constant', value: v };
  }
  const [, kind, a, b, d] = m;
  const low = amount(a ?? '', unit);
  const high = amount(b ?? '', unit);
  const us = durationUs(d ?? '');
  if (low === undefined || high === undefined || us === undefined || us <= 0) return undefined;
  if (kind === 'ramp') return { kind: 'ramp', from: low, to: high, overUs: us };
  if (kind === 'periodic') return { kind: 'periodic', low, high, periodUs: us };
  return { kind: 'walk', low: Math.min(low, high), high: Math.max(low, high), stepUs: us };
}

/**
 * The use at `sinceStartUs`. A walk is stateful: `walk` holds its steps so far, drawn on demand
 * from `random` in order, so asking at any time gives the same answer for the same seed.
 */
export class Usage {
  private readonly steps: number[] = [];

  constructor(
    readonly pattern: UsagePattern,
    private readonly random: Random,
  ) {}

  at(sinceStartUs: number): number {
    const p = this.pattern;
    const t = Math.max(0, sinceStartUs);
    switch (p.kind) {
      case 'constant':
        return p.value;
      case 'ramp':
        return t >= p.overUs ? p.to : p.from + ((p.to - p.from) * t) / p.overUs;
      case 'periodic':
        return p.low + ((p.high - p.low) * (1 - Math.cos((2 * Math.PI * t) / p.periodUs))) / 2;
      case 'walk':
        return this.walkStep(Math.floor(t / p.stepUs));
    }
  }

  /** The first time (since start, at or after `fromUs`) the use exceeds `limit`, if ever. */
  firstAbove(limit: number, fromUs: number, horizonUs: number): number | undefined {
    const p = this.pattern;
    switch (p.kind) {
      case 'constant':
        return p.value > limit ? fromUs : undefined;
      case 'ramp': {
        if (p.to <= limit) return p.from > limit ? fromUs : undefined;
        if (p.from > limit) return fromUs;
        const t = Math.ceil(((limit - p.from) * p.overUs) / (p.to - p.from)) + 1;
        return Math.max(fromUs, t);
      }
      case 'periodic': {
        if (p.high <= limit) return undefined;
        if (this.at(fromUs) > limit) return fromUs;
        // The wave rises through the limit at this phase of each period.
        const phase = Math.acos(1 - (2 * (limit - p.low)) / (p.high - p.low));
        const offsetUs = Math.ceil((phase / (2 * Math.PI)) * p.periodUs) + 1;
        const k = Math.max(0, Math.ceil((fromUs - offsetUs) / p.periodUs));
        return k * p.periodUs + offsetUs;
      }
      case 'walk': {
        for (let i = Math.floor(fromUs / p.stepUs); i * p.stepUs <= horizonUs; i++) {
          if (this.walkStep(i) > limit) return Math.max(fromUs, i * p.stepUs);
        }
        return undefined;
      }
    }
  }

  private walkStep(i: number): number {
    const p = this.pattern;
    if (p.kind !== 'walk') return 0;
    if (this.steps.length === 0) this.steps.push(p.low);
    const span = (p.high - p.low) / 10;
    while (this.steps.length <= i) {
      const prev = this.steps[this.steps.length - 1] ?? p.low;
      const next = prev + (this.random.float() * 2 - 1) * span;
      this.steps.push(Math.min(p.high, Math.max(p.low, next)));
    }
    return this.steps[i] ?? p.low;
  }
}

function amount(text: string, unit: Unit): number | undefined {
  const q = parseQuantity(text);
  if (isQuantityError(q)) return undefined;
  return unit === 'millicores' ? milliValue(q) : value(q);
}

function durationUs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  const scale = { ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 }[m[2] ?? 's'] ?? 1;
  return Math.round(n * scale);
}
