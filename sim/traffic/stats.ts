/**
 * Counts of finished requests: per generator and per Service for the run summary, per Service
 * and window for the trace (window.ts).
 */
import type { Completed, TrafficError } from './outcome.ts';

export interface TrafficReport {
  readonly name: string;
  /** namespace/name of the Service. */
  readonly service: string;
  readonly requests: number;
  readonly ok: number;
  readonly errors: Readonly<Partial<Record<TrafficError, number>>>;
  /** Latency of the successful requests, nearest-rank percentiles (0 without any). */
  readonly latencyP50Us: number;
  readonly latencyP99Us: number;
  /** Successful requests per backend pod (namespace/name). */
  readonly backends: Readonly<Record<string, number>>;
}

export class TrafficStats {
  requests = 0;
  ok = 0;
  readonly errors: Partial<Record<TrafficError, number>> = {};
  readonly backends: Record<string, number> = {};
  /** Latencies of the successful requests, in completion order. */
  private readonly latenciesUs: number[] = [];

  constructor(
    readonly name: string,
    readonly service: string,
  ) {}

  add(c: Completed): void {
    this.requests++;
    const o = c.outcome;
    if (o.kind === 'ok') {
      this.ok++;
      this.backends[o.pod] = (this.backends[o.pod] ?? 0) + 1;
      this.latenciesUs.push(c.latencyUs);
    } else this.errors[o.kind] = (this.errors[o.kind] ?? 0) + 1;
  }

  /** Nearest-rank percentile of the successful requests' latencies. */
  percentileUs(p: number): number {
    return percentile(this.latenciesUs, p);
  }

  report(): TrafficReport {
    return {
      name: this.name,
      service: this.service,
      requests: this.requests,
      ok: this.ok,
      errors: { ...this.errors },
      latencyP50Us: this.percentileUs(50),
      latencyP99Us: this.percentileUs(99),
      backends: sortedRecord(this.backends),
    };
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? 0;
}

function sortedRecord(r: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k] ?? 0;
  return out;
}
