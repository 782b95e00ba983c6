import type { Clock } from '../ports/clock.ts';
import type { Cpu } from '../ports/cpu.ts';

/** client-go DefaultControllerRateLimiter's per-item part: 5 ms doubling to 1000 s. */
export const DEFAULT_BASE_DELAY_US = 5_000;
export const DEFAULT_MAX_DELAY_US = 1_000_000_000;

/**
 * client-go's rate-limited work queue: an item is queued at most once however often it is
 * added (dirty set), is never handed to two workers at once (processing set: an add during
 * processing re-queues it when `done` is called), can be added after a delay, and backs off
 * exponentially per item until `forget`.
 *
 * Every item a worker takes is one reconcile, the unit of a controller's work: `get` charges
 * it to the process's processor (the CPU cost model) before handing the item over, so every
 * controller's loop pays for its syncs in one place.
 */
export class WorkQueue<T> {
  private readonly queue: T[] = [];
  private head = 0;
  private readonly dirty = new Set<T>();
  private readonly processing = new Set<T>();
  private readonly failures = new Map<T, number>();
  private readonly waiters: Array<(item: T | undefined) => void> = [];
  private shuttingDown = false;

  private readonly clock: Clock;
  private readonly cpu: Cpu;

  /** `host`: the controller's process (its ports): timers from its clock, work on its cpu. */
  constructor(
    host: { readonly clock: Clock; readonly cpu: Cpu },
    private readonly baseDelayUs = DEFAULT_BASE_DELAY_US,
    private readonly maxDelayUs = DEFAULT_MAX_DELAY_US,
  ) {
    this.clock = host.clock;
    this.cpu = host.cpu;
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  add(item: T): void {
    if (this.shuttingDown || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.dirty.delete(item);
      this.processing.add(item);
      this.handOver(item, waiter);
      return;
    }
    this.queue.push(item);
  }

  addAfter(item: T, delayUs: number): void {
    if (delayUs <= 0) return this.add(item);
    this.clock.setTimer(delayUs, () => this.add(item));
  }

  addRateLimited(item: T): void {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    this.addAfter(item, Math.min(this.baseDelayUs * 2 ** n, this.maxDelayUs));
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }

  /** Resolves with the next item, or undefined once the queue is shut down. */
  get(): Promise<T | undefined> {
    if (this.length > 0) {
      const item = this.queue[this.head++] as T;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.dirty.delete(item);
      this.processing.add(item);
      return new Promise((resolve) => this.handOver(item, resolve));
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Gives `item` to a worker once its reconcile's CPU time has passed (at once when free). */
  private handOver(item: T, worker: (item: T) => void): void {
    const spent = this.cpu.charge('controller.reconcile', 1);
    if (spent === undefined) worker(item);
    else void spent.then(() => worker(item));
  }

  done(item: T): void {
    this.processing.delete(item);
    if (this.dirty.has(item)) {
      this.dirty.delete(item);
      this.add(item);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
