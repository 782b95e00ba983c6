/**
 * Per-pod workers (pkg/kubelet/pod_workers.go, reduced): syncs of one pod UID never overlap;
 * an update that arrives during a sync makes exactly one more sync run after it, however many
 * arrive. Each pod also has at most one wake-up timer (a backoff ending, the periodic resync):
 * the earliest requested wins, so a pod is never woken more often than its work needs.
 */
import type { TimerId } from '../ports/clock.ts';
import type { ProcessPorts } from '../ports/process.ts';

interface Worker {
  running: boolean;
  pending: boolean;
  wakeAtUs: number;
  timer: TimerId | undefined;
  forgotten: boolean;
}

export class PodWorkers {
  private readonly workers = new Map<string, Worker>();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly sync: (uid: string) => Promise<void>,
  ) {}

  get size(): number {
    return this.workers.size;
  }

  /** Syncs the pod now, or once more right after the sync in progress. */
  update(uid: string): void {
    const w = this.worker(uid);
    if (w.running) {
      w.pending = true;
      return;
    }
    w.running = true;
    this.ports.spawn(async () => {
      do {
        w.pending = false;
        await this.sync(uid);
      } while (w.pending && !w.forgotten);
      w.running = false;
    });
  }

  /** Syncs the pod after `delayUs`, unless a wake-up at least as early is already set. */
  wakeAfter(uid: string, delayUs: number): void {
    const w = this.worker(uid);
    const atUs = this.ports.clock.now() + delayUs;
    if (w.timer !== undefined && w.wakeAtUs <= atUs) return;
    if (w.timer !== undefined) this.ports.clock.cancelTimer(w.timer);
    w.wakeAtUs = atUs;
    w.timer = this.ports.clock.setTimer(delayUs, () => {
      w.timer = undefined;
      if (!w.forgotten) this.update(uid);
    });
  }

  /** Drops the pod's worker; a sync in progress finishes, nothing further runs. */
  forget(uid: string): void {
    const w = this.workers.get(uid);
    if (w === undefined) return;
    w.forgotten = true;
    if (w.timer !== undefined) this.ports.clock.cancelTimer(w.timer);
    this.workers.delete(uid);
  }

  private worker(uid: string): Worker {
    let w = this.workers.get(uid);
    if (w === undefined) {
      w = { running: false, pending: false, wakeAtUs: 0, timer: undefined, forgotten: false };
      this.workers.set(uid, w);
    }
    return w;
  }
}
