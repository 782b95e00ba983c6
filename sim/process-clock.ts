import type { Clock, Micros, TimerId } from '../core/ports/clock.ts';
import { assert } from '../core/util/assert.ts';
import type { EventLoop, EventOwner, SimEvent } from './event-loop.ts';

/**
 * A process's view of time: the run's epoch plus the loop's virtual time. Clock faults act
 * here: `offsetUs` shifts what `now()` reads (a jump), `rate` makes the local clock run fast or
 * slow against virtual time (drift), which also stretches the process's timers. All timers are
 * owned by the process: they die with it.
 */
export class ProcessClock implements Clock {
  private offsetUs = 0;
  private rate = 1;
  /** Loop time and local (drifting, unjumped) time at the last rate change. */
  private anchorUs = 0;
  private anchorLocalUs: number;

  /** `epochUs`: what now() reads at virtual time 0, in Unix microseconds. */
  constructor(
    private readonly loop: EventLoop,
    private readonly owner: EventOwner,
    epochUs: number,
  ) {
    assert(Number.isSafeInteger(epochUs), `epoch must be integer microseconds, got ${epochUs}`);
    this.anchorLocalUs = epochUs;
  }

  now(): Micros {
    const elapsedUs = this.loop.now - this.anchorUs;
    const localUs = this.rate === 1 ? elapsedUs : Math.floor(elapsedUs * this.rate);
    return this.anchorLocalUs + localUs + this.offsetUs;
  }

  /** The local clock without its jumps: drift moves it, a jump does not. */
  monotonicNow(): Micros {
    return this.now() - this.offsetUs;
  }

  setTimer(delayUs: Micros, fn: () => void): TimerId {
    return this.loop.schedule(this.toLoopDelay(delayUs), fn, this.owner) as unknown as TimerId;
  }

  cancelTimer(id: TimerId): void {
    this.loop.cancel(id as unknown as SimEvent);
  }

  sleep(delayUs: Micros): Promise<void> {
    return new Promise((resolve) => {
      this.loop.schedule(
        this.toLoopDelay(delayUs),
        () => {
          resolve();
        },
        this.owner,
      );
    });
  }

  /** Clock jump: what now() reads moves by `deltaUs` (may be negative: time goes backwards). */
  jump(deltaUs: number): void {
    this.offsetUs += deltaUs;
  }

  /** Drift: from now on the local clock advances `rate` local µs per virtual µs. */
  setRate(rate: number): void {
    assert(rate > 0, `clock rate must be positive, got ${rate}`);
    const localNow = this.now() - this.offsetUs;
    this.anchorUs = this.loop.now;
    this.anchorLocalUs = localNow;
    this.rate = rate;
  }

  private toLoopDelay(delayUs: Micros): number {
    assert(delayUs >= 0, `timer delay must be non-negative, got ${delayUs}`);
    return this.rate === 1 ? Math.round(delayUs) : Math.max(0, Math.round(delayUs / this.rate));
  }
}
