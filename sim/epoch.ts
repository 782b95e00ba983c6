import { parseRfc3339 } from '../core/api/time.ts';
import { assert } from '../core/util/assert.ts';

/**
 * Where simulated clocks start unless a run says otherwise: a plausible present-day date, so
 * timestamps in objects and reports read like a real cluster's. Kept fixed (never the host's
 * date) because a run's trace must not depend on the day it ran.
 */
export const DEFAULT_EPOCH = '2026-01-01T00:00:00Z';

/** An RFC3339 epoch as Unix microseconds; a malformed one is a programmer error. */
export function epochUs(iso: string): number {
  const us = parseRfc3339(iso);
  assert(us !== undefined, `epoch is not an RFC3339 time: ${JSON.stringify(iso)}`);
  return us;
}

export const DEFAULT_EPOCH_US = epochUs(DEFAULT_EPOCH);
