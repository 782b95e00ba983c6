/**
 * Every finished request of a run, counted per Service: for the run summary, and (window.ts)
 * per virtual-time window for the trace.
 */
import type { Completed } from './outcome.ts';
import { TrafficStats, type TrafficReport } from './stats.ts';

export class TrafficRecorder {
  private readonly services = new Map<string, TrafficStats>();

  add(service: string, c: Completed): void {
    let stats = this.services.get(service);
    if (stats === undefined) {
      stats = new TrafficStats(service, service);
      this.services.set(service, stats);
    }
    stats.add(c);
  }

  /** Per Service, sorted by name. */
  reports(): TrafficReport[] {
    return [...this.services.keys()].sort().map((k) => this.services.get(k)!.report());
  }
}
