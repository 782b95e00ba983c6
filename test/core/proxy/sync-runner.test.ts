import { describe, expect, it } from 'vitest';
import type { Clock, TimerId } from '../../../core/ports/clock.ts';
import { SyncRunner } from '../../../core/proxy/sync-runner.ts';

/** A manual clock: timers fire when the test advances time. */
class ManualClock implements Clock {
  nowUs = 0;
  private timers: { at: number; fn: () => void; id: TimerId }[] = [];
  now() {
    return this.nowUs;
  }
  /** Never jumps: the same reading as now(). */
  monotonicNow(): number {
    return this.now();
  }

  setTimer(delayUs: number, fn: () => void): TimerId {
    const id = {} as TimerId;
    this.timers.push({ at: this.nowUs + delayUs, fn, id });
    return id;
  }
  cancelTimer(id: TimerId) {
    this.timers = this.timers.filter((t) => t.id !== id);
  }
  sleep(): Promise<void> {
    throw new Error('not used');
  }
  async advance(toUs: number) {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= toUs).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.nowUs = due.at;
      due.fn();
      await Promise.resolve();
    }
    this.nowUs = toUs;
  }
}

describe('SyncRunner (BoundedFrequencyRunner)', () => {
  const setup = () => {
    const clock = new ManualClock();
    const runs: number[] = [];
    const runner = new SyncRunner(clock, async () => void runs.push(clock.nowUs), {
      minIntervalUs: 1_000_000,
      maxIntervalUs: 3_600_000_000,
      burst: 2,
    });
    runner.start();
    return { clock, runs, runner };
  };

  it('runs a burst of two at once, then at most once per minInterval', async () => {
    const { clock, runs, runner } = setup();
    for (let i = 0; i < 5; i++) {
      runner.run();
      await Promise.resolve();
    }
    expect(runs).toEqual([0, 0]);
    await clock.advance(2_500_000);
    expect(runs).toEqual([0, 0, 1_000_000]);
  });

  it('runs every maxInterval with no requests, and sooner after retryAfter', async () => {
    const { clock, runs, runner } = setup();
    await clock.advance(3_600_000_000);
    expect(runs).toEqual([3_600_000_000]);
    runner.retryAfter(30_000_000);
    await clock.advance(3_630_000_000);
    expect(runs).toEqual([3_600_000_000, 3_630_000_000]);
  });
});
