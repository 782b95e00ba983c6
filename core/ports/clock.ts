/**
 * Time as core sees it: integer microseconds since the Unix epoch (1970-01-01T00:00:00Z, UTC),
 * the clock Kubernetes timestamps are written in.
 *
 * In real mode `now()` is the host's wall clock. In simulation every process's clock starts at
 * the run's epoch (SimulationOptions.epoch) and advances with the event loop, unless a clock
 * fault jumps it or makes it drift. Either way `now()` may jump, even backwards, as a wall clock
 * does under NTP: measure a duration as a difference of `monotonicNow()` readings (or of `now()`
 * readings only where a wrong answer is harmless), and wait with timers, which are relative
 * delays and never see a jump.
 *
 * Timers fire as events of the host's loop, never re-entrantly inside a call.
 */
export type Micros = number;

export const US_PER_MS = 1_000;
export const US_PER_SECOND = 1_000_000;

/** Opaque handle of a pending timer; `cancelTimer` on a fired or cancelled timer is a no-op. */
export type TimerId = { readonly __timer: unique symbol };

export interface Clock {
  /** Wall-clock time: integer microseconds since the Unix epoch. */
  now(): Micros;
  /**
   * Integer microseconds on a clock that never jumps (Go's monotonic reading, Linux's
   * CLOCK_MONOTONIC): only differences mean anything, and only within one incarnation of the
   * process. It runs at the local clock's rate, so drift stretches it, but a jump of the wall
   * clock never moves it. Measure durations that matter with it.
   */
  monotonicNow(): Micros;
  /** Calls `fn` once, `delayUs` (>= 0, integer) after now, measured on this process's clock. */
  setTimer(delayUs: Micros, fn: () => void): TimerId;
  cancelTimer(id: TimerId): void;
  /** Resolves after `delayUs`. A crashed process's sleep never resolves. */
  sleep(delayUs: Micros): Promise<void>;
}

export function ms(n: number): Micros {
  return Math.round(n * US_PER_MS);
}

export function seconds(n: number): Micros {
  return Math.round(n * US_PER_SECOND);
}
