/**
 * Service traffic (traffic.window records): per Service, requests and failures by kind over
 * time, and how the successful requests spread over the backend pods.
 */
import type { TraceRecord } from '../../core/trace/types.ts';
import type { ServiceTrafficView } from './report-data.ts';
import { Counter, type Binning } from './stats.ts';

interface ServiceFold {
  readonly requests: Counter;
  readonly ok: Counter;
  readonly errors: Map<string, Counter>;
  readonly backends: Map<string, number>;
  p99MaxUs: number;
}

export class TrafficModel {
  private readonly services = new Map<string, ServiceFold>();

  add(r: TraceRecord): void {
    if (r.k !== 'traffic.window') return;
    let s = this.services.get(r.service);
    if (s === undefined) {
      s = {
        requests: new Counter(),
        ok: new Counter(),
        errors: new Map(),
        backends: new Map(),
        p99MaxUs: 0,
      };
      this.services.set(r.service, s);
    }
    // A window's requests count at its start: the charts bin by the time they were sent.
    const t = r.windowStartUs;
    s.requests.add(t, r.requests);
    s.ok.add(t, r.ok);
    for (const [kind, n] of Object.entries(r.errors)) {
      let c = s.errors.get(kind);
      if (c === undefined) s.errors.set(kind, (c = new Counter()));
      c.add(t, n ?? 0);
    }
    for (const [pod, n] of Object.entries(r.backends))
      s.backends.set(pod, (s.backends.get(pod) ?? 0) + n);
    s.p99MaxUs = Math.max(s.p99MaxUs, r.latencyP99Us ?? 0);
  }

  /** Undefined when the trace has no traffic: the report then has no traffic view. */
  view(b: Binning): readonly ServiceTrafficView[] | undefined {
    if (this.services.size === 0) return undefined;
    return [...this.services.keys()].sort().map((service) => {
      const s = this.services.get(service)!;
      return {
        service,
        total: s.requests.total,
        ok: s.ok.total,
        requests: s.requests.bins(b),
        errors: [...s.errors.keys()].sort().map((name) => {
          const c = s.errors.get(name)!;
          return { name, total: c.total, values: c.bins(b).values };
        }),
        backends: [...s.backends].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0)),
        worstP99Us: s.p99MaxUs,
      };
    });
  }
}
