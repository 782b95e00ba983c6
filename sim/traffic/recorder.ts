/**
 * Every finished request of a run, counted per Service: for the run summary, and (window.ts)
 * per virtual-time window for the trace.
 */
import type { Completed } from './outcome.ts';
import { TrafficStats, type TrafficReport } from './stats.ts';
import type { TrafficWindows } from './window.ts';

export class TrafficRecorder {
  private readonly services = new Map<string, TrafficStats>();

  constructor(
    private readonly windows: TrafficWindows | undefined = undefined,
    private readonly observer: ((service: string, c: Completed) => void) | undefined = undefined,
  ) {}

  add(service: string, c: Completed): void {
    this.windows?.add(service, c);
    this.observer?.(service, c);
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
