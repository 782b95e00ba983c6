/**
 * API server requests: latency distributions per class against the upstream API call latency
 * SLO (kubernetes/community sig-scalability/slos/api_call_latency.md: p99 of mutating calls and
 * of single-object reads <= 1s, of namespace-scoped lists <= 5s, of cluster-scoped lists <= 30s),
 * requests per second, and the answers clients must handle (409, 410, 429, 5xx).
 */
import type { TraceRecord } from '../../core/trace/types.ts';
import type { ApiView, LatencySeries } from './report-data.ts';
import { API_LATENCY_THRESHOLDS_US as THRESHOLDS_US, requestClass } from './slo.ts';
import { cdfSamples, Counter, quantile, type Binning } from './stats.ts';

const S = 1_000_000;

export { requestClass };

const CODES: readonly (readonly [string, (code: number) => boolean])[] = [
  ['409 Conflict', (c) => c === 409],
  ['410 Gone', (c) => c === 410],
  ['429 TooManyRequests', (c) => c === 429],
  ['5xx', (c) => c >= 500],
];

export class ApiModel {
  private readonly latencies = new Map<string, number[]>();
  private readonly requests = new Counter();
  private readonly codes = CODES.map(() => new Counter());

  add(r: TraceRecord): void {
    if (r.k !== 'api.request') return;
    const key = requestClass(r.verb, r.path);
    let l = this.latencies.get(key);
    if (l === undefined) this.latencies.set(key, (l = []));
    l.push(r.latencyUs);
    this.requests.add(r.t);
    CODES.forEach(([, matches], i) => {
      if (matches(r.code)) this.codes[i]!.add(r.t);
    });
  }

  view(b: Binning): ApiView {
    const order = Object.keys(THRESHOLDS_US);
    const series: LatencySeries[] = [...this.latencies]
      .sort(([a], [c]) => order.indexOf(a) - order.indexOf(c))
      .map(([key, values]) => {
        const sorted = values.sort((x, y) => x - y);
        return {
          key,
          count: sorted.length,
          thresholdUs: THRESHOLDS_US[key] ?? S,
          p50Us: quantile(sorted, 0.5),
          p90Us: quantile(sorted, 0.9),
          p99Us: quantile(sorted, 0.99),
          maxUs: sorted[sorted.length - 1] ?? 0,
          cdf: cdfSamples(sorted),
        };
      });
    return {
      series,
      requests: this.requests.bins(b),
      codes: CODES.map(([name], i) => ({
        name,
        total: this.codes[i]!.total,
        values: this.codes[i]!.bins(b).values,
      })),
      total: this.requests.total,
    };
  }
}
