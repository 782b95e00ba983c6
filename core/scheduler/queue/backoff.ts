/**
 * Pod backoff (scheduling_queue.go calculateBackoffDuration): the initial backoff doubled per
 * attempt after the first, capped at the maximum (1 s, 2 s, 4 s, 8 s, 10 s, 10 s, ...).
 */
export function backoffDurationUs(attempts: number, initialUs: number, maxUs: number): number {
  let d = initialUs;
  for (let i = 1; i < attempts; i++) {
    if (d > maxUs - d) return maxUs;
    d += d;
  }
  return Math.min(d, maxUs);
}
