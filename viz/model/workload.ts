/**
 * What pods went through on their nodes: startup latency (the pod startup SLI of
 * sig-scalability/slos/pod_startup_latency.md: creation to running with image pulls left out;
 * SLO p99 <= 5s), container restarts and evictions (taint-based and preemption).
 */
import type { TraceRecord } from '../../core/trace/types.ts';
import type { WorkloadView } from './report-data.ts';
import { Counter, histogram, type Binning } from './stats.ts';

const MAX_EVICTIONS_LISTED = 200;
const TOP_RESTARTS = 10;

export class WorkloadModel {
  private readonly startup: number[] = [];
  private readonly restarts = new Counter();
  private readonly restartsBy = new Map<string, number>();
  private readonly evictions = new Counter();
  private readonly evictionList: [number, string, string][] = [];
  private rejected = 0;

  add(r: TraceRecord): void {
    switch (r.k) {
      case 'kubelet.pod-started':
        this.startup.push(Math.max(0, r.e2eUs - r.imagePullUs));
        return;
      case 'kubelet.container-start':
        if (r.restartCount > 0) {
          this.restarts.add(r.t);
          const key = `${r.pod}/${r.container}`;
          this.restartsBy.set(key, Math.max(this.restartsBy.get(key) ?? 0, r.restartCount));
        }
        return;
      case 'taint-eviction.delete':
        return this.evict(r.t, r.pod, `taint on ${r.node}`);
      case 'scheduler.preempt':
        return this.evict(r.t, r.victim, `preempted for ${r.preemptor} on ${r.node}`);
      case 'kubelet.pod-rejected':
        this.rejected++;
        return;
      default:
        return;
    }
  }

  private evict(t: number, pod: string, why: string): void {
    this.evictions.add(t);
    if (this.evictionList.length < MAX_EVICTIONS_LISTED) this.evictionList.push([t, pod, why]);
  }

  view(b: Binning): WorkloadView {
    return {
      startup: histogram(this.startup),
      restarts: this.restarts.bins(b),
      restartsTotal: this.restarts.total,
      topRestarts: [...this.restartsBy]
        .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
        .slice(0, TOP_RESTARTS),
      evictions: this.evictions.bins(b),
      evictionList: this.evictionList.slice(),
      evictionsTotal: this.evictions.total,
      rejected: this.rejected,
    };
  }
}
