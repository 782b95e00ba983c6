/**
 * Time as core sees it: integer microseconds since the start of the run.
 *
 * In simulation the host's event loop owns the clock; in real mode it is the monotonic
 * wall clock. Timers fire as events of the host's loop, never re-entrantly inside a call.
 */
export type Micros = number;

export const US_PER_MS = 1_000;
export const US_PER_SECOND = 1_000_000;

/** Opaque handle of a pending timer; `cancelTimer` on a fired or cancelled timer is a no-op. */
export type TimerId = { readonly __timer: unique symbol };

export interface Clock {
  /** Current time in integer microseconds. */
  now(): Micros;
  /** Calls `fn` once, `delayUs` (>= 0, integer) after now. */
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
