/**
 * The trace's view of service traffic: per Service and window of virtual time, one
 * `traffic.window` record with the requests that finished in it, so a trace's size grows with
 * the run's length and its Services, not with the request rate.
 */
import type { TraceFieldsOf } from '../../core/trace/types.ts';
import type { Simulation } from '../simulation.ts';
import type { Completed } from './outcome.ts';
import { TrafficStats } from './stats.ts';

export const TRAFFIC_PROCESS = 'ksim-traffic';
export const TRAFFIC_WINDOW_US = 1_000_000;

export class TrafficWindows {
  private windowStartUs = 0;
  private readonly current = new Map<string, TrafficStats>();

  constructor(
    private readonly sim: Simulation,
    private readonly windowUs = TRAFFIC_WINDOW_US,
  ) {}

  /** Closes a window at every boundary up to `endUs`; `flush` closes the last one. */
  start(endUs: number): void {
    const tick = (atUs: number): void => {
      if (atUs > endUs) return;
      this.sim.at(atUs, () => {
        this.flush();
        tick(atUs + this.windowUs);
      });
    };
    tick(this.windowUs);
  }

  add(service: string, c: Completed): void {
    let w = this.current.get(service);
    if (w === undefined) {
      w = new TrafficStats(service, service);
      this.current.set(service, w);
    }
    w.add(c);
  }

  /** Records the window that ends now, one record per Service with finished requests. */
  flush(): void {
    const endUs = this.sim.now;
    if (endUs <= this.windowStartUs && this.current.size === 0) return;
    for (const service of [...this.current.keys()].sort()) {
      const w = this.current.get(service)!;
      this.sim.trace.record(TRAFFIC_PROCESS, 'traffic.window', this.fields(w, endUs));
    }
    this.current.clear();
    this.windowStartUs = endUs;
  }

  private fields(w: TrafficStats, endUs: number): TraceFieldsOf<'traffic.window'> {
    const r = w.report();
    const latency =
      r.ok === 0
        ? {}
        : {
            latencyP50Us: r.latencyP50Us,
            latencyP99Us: r.latencyP99Us,
            latencyMaxUs: w.percentileUs(100),
          };
    return {
      service: r.service,
      windowStartUs: this.windowStartUs,
      windowUs: endUs - this.windowStartUs,
      requests: r.requests,
      ok: r.ok,
      errors: r.errors,
      ...latency,
      backends: r.backends,
    };
  }
}
