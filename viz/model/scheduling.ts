/**
 * The scheduler: attempts that bound a pod and attempts that failed, by the reasons the failure
 * message names ("0/5 nodes are available: 3 Insufficient cpu, 2 node(s) had untolerated taint
 * {...}."), the scheduling latency histogram (first attempt to binding: upstream's
 * scheduler_pod_scheduling_sli_duration_seconds), and the queue lengths.
 */
import type { TraceRecord } from '../../core/trace/types.ts';
import type { NamedBins, SchedulingView } from './report-data.ts';
import { Counter, histogram, Level, type Binning } from './stats.ts';

/** Reasons charted by name; the rest are summed as "other". */
const MAX_REASONS = 8;

/** The reasons a FailedScheduling message names, without their node counts. */
export function failureReasons(reason: string, message: string): string[] {
  const m = /nodes are available: (.*?)\.(?: preemption:|$)/.exec(message);
  if (m === null)
    return [reason === 'SchedulerError' ? 'SchedulerError' : (message.split(':')[0] ?? message)];
  const out: string[] = [];
  for (const part of (m[1] as string).split(/, (?=\d+ )/)) out.push(part.replace(/^\d+ /, ''));
  return out;
}

const QUEUES = ['active', 'backoff', 'unschedulable', 'gated'] as const;

export class SchedulingModel {
  private readonly binds = new Counter();
  private readonly failures = new Map<string, Counter>();
  private failedAttempts = 0;
  private readonly latencies: number[] = [];
  private readonly queue = QUEUES.map(() => new Level());
  private preemptions = 0;

  add(r: TraceRecord): void {
    switch (r.k) {
      case 'scheduler.bind':
        this.binds.add(r.t);
        this.latencies.push(r.latencyUs);
        return;
      case 'scheduler.unschedulable':
        this.failedAttempts++;
        for (const reason of failureReasons(r.reason, r.message)) {
          let c = this.failures.get(reason);
          if (c === undefined) this.failures.set(reason, (c = new Counter()));
          c.add(r.t);
        }
        return;
      case 'scheduler.queue':
        QUEUES.forEach((q, i) => {
          const level = this.queue[i]!;
          level.change(r.t, r[q] - level.current);
        });
        return;
      case 'scheduler.preempt':
        this.preemptions++;
        return;
      default:
        return;
    }
  }

  view(b: Binning): SchedulingView {
    const byTotal = [...this.failures].sort(
      ([a, x], [c, y]) => y.total - x.total || (a < c ? -1 : 1),
    );
    const failures: NamedBins[] = byTotal
      .slice(0, MAX_REASONS)
      .map(([name, c]) => ({ name, total: c.total, values: c.bins(b).values }));
    const rest = byTotal.slice(MAX_REASONS);
    if (rest.length > 0) {
      const values = new Array<number>(b.count).fill(0);
      for (const [, c] of rest)
        c.bins(b).values.forEach((v, i) => (values[i] = (values[i] as number) + v));
      failures.push({
        name: `other (${rest.length} reasons)`,
        total: rest.reduce((s, [, c]) => s + c.total, 0),
        values,
      });
    }
    return {
      binds: this.binds.bins(b),
      failures,
      failedAttempts: this.failedAttempts,
      latency: histogram(this.latencies),
      queue: QUEUES.map((name, i) => {
        const values = this.queue[i]!.bins(b).values;
        return { name, total: Math.max(0, ...values), values };
      }),
      preemptions: this.preemptions,
    };
  }
}
