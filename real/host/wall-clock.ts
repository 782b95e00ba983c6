import type { Clock, Micros, TimerId } from '../../core/ports/clock.ts';
import { assert } from '../../core/util/assert.ts';

/** setTimeout's longest delay (2^31 - 1 ms); longer timers are chained. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

interface WallTimer {
  handle: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The Clock port on the host: `now()` is Unix microseconds, read from the monotonic clock
 * anchored at the wall time the process started (performance.timeOrigin), so it has
 * microsecond resolution and never runs backwards within a process, as core code measuring a
 * difference of readings would like. Timers are setTimeout, rounded up to whole milliseconds
 * and re-armed for the remainder if Node fires them before their deadline, so none fires early; a timer fires as its own macrotask, never inside the caller.
 */
export class WallClock implements Clock {
  /** Pending timers, so that `stop` can drop them. */
  private readonly pending = new Set<WallTimer>();
  private stopped = false;

  now(): Micros {
    return Math.floor((performance.timeOrigin + performance.now()) * 1_000);
  }

  /** now() is already read off the monotonic clock: it never jumps. */
  monotonicNow(): Micros {
    return this.now();
  }

  setTimer(delayUs: Micros, fn: () => void): TimerId {
    assert(
      Number.isInteger(delayUs) && delayUs >= 0,
      `timer delay must be a non-negative integer, got ${delayUs}`,
    );
    const timer: WallTimer = { handle: undefined };
    if (this.stopped) return timer as unknown as TimerId;
    this.pending.add(timer);
    const deadlineUs = this.now() + delayUs;
    const arm = (remainingUs: number): void => {
      const delayMs = Math.min(Math.ceil(remainingUs / 1_000), MAX_TIMEOUT_MS);
      timer.handle = setTimeout(() => {
        const leftUs = deadlineUs - this.now();
        // Node counts timers on a clock truncated to whole milliseconds, so a timer can fire
        // up to a millisecond before its deadline on this one; and long delays are chained.
        // Either way, wait for the rest.
        if (leftUs > 0) arm(leftUs);
        else {
          timer.handle = undefined;
          this.pending.delete(timer);
          fn();
        }
      }, delayMs);
    };
    arm(delayUs);
    return timer as unknown as TimerId;
  }

  cancelTimer(id: TimerId): void {
    const timer = id as unknown as WallTimer;
    if (timer.handle !== undefined) clearTimeout(timer.handle);
    timer.handle = undefined;
    this.pending.delete(timer);
  }

  /**
   * The process is stopping: pending timers never fire and new ones are never armed (so its
   * sleeps never resolve), as a crashed process's in simulation, and Node's loop can end.
   */
  stop(): void {
    this.stopped = true;
    for (const timer of this.pending) clearTimeout(timer.handle);
    this.pending.clear();
  }

  sleep(delayUs: Micros): Promise<void> {
    return new Promise((resolve) => {
      this.setTimer(delayUs, resolve);
    });
  }
}
