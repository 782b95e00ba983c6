/**
 * The benchmark's notion of time: an integer microsecond clock that moves only when the runner
 * advances it (a fixed cost per scheduling attempt, or a jump to the next timer when the
 * scheduler is idle). Timers fire in (time, insertion) order from inside `advance*`, never
 * re-entrantly inside an engine call. Like every Clock it reads Unix microseconds, starting
 * at an epoch; `elapsedUs` is the virtual time the benchmark has run.
 */
import type { Clock, Micros, TimerId } from '../../core/ports/clock.ts';
import { DEFAULT_EPOCH_US } from '../epoch.ts';

interface PendingTimer {
  readonly at: Micros;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  private nowUs: Micros;
  private seq = 0;
  /** Sorted by (at, seq); the benchmark keeps only a handful of timers at a time. */
  private timers: PendingTimer[] = [];

  constructor(readonly epochUs: Micros = DEFAULT_EPOCH_US) {
    this.nowUs = epochUs;
  }

  now(): Micros {
    return this.nowUs;
  }

  /** Virtual time since the clock was made. */
  get elapsedUs(): Micros {
    return this.nowUs - this.epochUs;
  }

  /** Never jumps: the same reading as now(). */

  monotonicNow(): number {
    return this.now();
  }

  setTimer(delayUs: Micros, fn: () => void): TimerId {
    if (!(delayUs >= 0) || !Number.isInteger(delayUs))
      throw new Error(`setTimer: delay must be a non-negative integer, got ${delayUs}`);
    const t: PendingTimer = { at: this.nowUs + delayUs, seq: this.seq++, fn, cancelled: false };
    let i = this.timers.length;
    while (i > 0 && (this.timers[i - 1] as PendingTimer).at > t.at) i--;
    this.timers.splice(i, 0, t);
    return t as unknown as TimerId;
  }

  cancelTimer(id: TimerId): void {
    (id as unknown as PendingTimer).cancelled = true;
  }

  sleep(delayUs: Micros): Promise<void> {
    return new Promise((resolve) => this.setTimer(delayUs, resolve));
  }

  /** When the next live timer fires, or undefined when none is pending. */
  nextTimerUs(): Micros | undefined {
    this.dropCancelled();
    return this.timers[0]?.at;
  }

  /** Moves time forward by `us`, firing every timer due on the way. */
  advance(us: Micros): void {
    this.advanceTo(this.nowUs + us);
  }

  advanceTo(untilUs: Micros): void {
    for (;;) {
      this.dropCancelled();
      const t = this.timers[0];
      if (t === undefined || t.at > untilUs) break;
      this.timers.shift();
      this.nowUs = Math.max(this.nowUs, t.at);
      t.fn();
    }
    this.nowUs = Math.max(this.nowUs, untilUs);
  }

  private dropCancelled(): void {
    while (this.timers[0]?.cancelled === true) this.timers.shift();
  }
}
