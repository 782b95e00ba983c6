/**
 * upstream's BoundedFrequencyRunner (pkg/util/async/bounded_frequency_runner.go) on the Clock
 * port: `run()` asks for a sync as soon as the rate limit allows (a token bucket refilled once
 * per minInterval, holding `burst` tokens); a sync also happens maxInterval after the last one;
 * `retryAfter` schedules one sooner after a failure. The function is async here (it waits on the
 * Netfilter port), so a request during a run is remembered and served when the run ends: runs
 * never overlap. It lives as long as its process: a crash drops its timer with the others.
 */
import type { Clock, Micros, TimerId } from '../ports/clock.ts';
import { assert } from '../util/assert.ts';

export interface SyncRunnerOptions {
  readonly minIntervalUs: Micros;
  readonly maxIntervalUs: Micros;
  /** Runs allowed back to back before minInterval spacing applies (kube-proxy: 2). */
  readonly burst: number;
}

export class SyncRunner {
  private tokens: number;
  private lastRefillUs: Micros;
  private timer: TimerId | undefined;
  private timerDueUs = Infinity;
  private running = false;
  private requested = false;

  constructor(
    private readonly clock: Clock,
    private readonly fn: () => Promise<void>,
    private readonly options: SyncRunnerOptions,
  ) {
    assert(options.minIntervalUs > 0 && options.burst >= 1, 'sync runner limits');
    this.tokens = options.burst;
    this.lastRefillUs = clock.now();
  }

  /** Starts the periodic runs (Loop): the first after maxInterval unless run() comes sooner. */
  start(): void {
    this.schedule(this.options.maxIntervalUs);
  }

  /** Asks for a run as soon as the rate limit allows. */
  run(): void {
    if (this.running) {
      this.requested = true;
      return;
    }
    this.tryRun();
  }

  /** After a failure: run again in `delayUs` unless something runs sooner. */
  retryAfter(delayUs: Micros): void {
    this.schedule(delayUs);
  }

  private tryRun(): void {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      void this.execute();
      return;
    }
    const waitUs = Math.ceil((1 - this.tokens) * this.options.minIntervalUs);
    this.schedule(waitUs);
  }

  private async execute(): Promise<void> {
    this.running = true;
    this.requested = false;
    if (this.timer !== undefined) this.clock.cancelTimer(this.timer);
    this.timer = undefined;
    this.timerDueUs = Infinity;
    this.schedule(this.options.maxIntervalUs);
    try {
      await this.fn();
    } finally {
      this.running = false;
    }
    if (this.requested) this.tryRun();
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.lastRefillUs);
    this.lastRefillUs = now;
    this.tokens = Math.min(this.options.burst, this.tokens + elapsed / this.options.minIntervalUs);
  }

  /** Arms the timer for `delayUs` from now unless it is already due sooner. */
  private schedule(delayUs: Micros): void {
    const due = this.clock.now() + delayUs;
    if (due >= this.timerDueUs) return;
    if (this.timer !== undefined) this.clock.cancelTimer(this.timer);
    this.timerDueUs = due;
    this.timer = this.clock.setTimer(delayUs, () => {
      this.timer = undefined;
      this.timerDueUs = Infinity;
      this.run();
    });
  }
}
