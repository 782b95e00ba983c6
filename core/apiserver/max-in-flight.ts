/**
 * kube-apiserver's max-in-flight filter (k8s.io/apiserver/pkg/server/filters/maxinflight.go):
 * at most --max-requests-inflight read-only and --max-mutating-requests-inflight mutating
 * requests are served at once; one more is answered 429 with Retry-After: 1. Long-running
 * requests (watches) and the super-users of system:masters are not counted. 0 disables a limit.
 */
import * as errors from '../api/errors.ts';
import type { ApiResponse } from '../api/http.ts';

export const DEFAULT_MAX_REQUESTS_IN_FLIGHT = 400;
export const DEFAULT_MAX_MUTATING_REQUESTS_IN_FLIGHT = 200;
const RETRY_AFTER_SECONDS = 1;

export class InFlightLimiter {
  private readOnly = 0;
  private mutating = 0;

  constructor(
    private readonly maxReadOnly: number,
    private readonly maxMutating: number,
  ) {}

  /** Takes a slot: the function that gives it back, or undefined when none is free. */
  tryAcquire(mutating: boolean): (() => void) | undefined {
    if (mutating) {
      if (this.maxMutating > 0 && this.mutating >= this.maxMutating) return undefined;
      this.mutating++;
      return () => this.mutating--;
    }
    if (this.maxReadOnly > 0 && this.readOnly >= this.maxReadOnly) return undefined;
    this.readOnly++;
    return () => this.readOnly--;
  }
}

/** tooManyRequests: the answer to a request over the limit. */
export const TOO_MANY_REQUESTS: ApiResponse = {
  status: 429,
  body: errors.tooManyRequests('Too many requests, please try again later.', RETRY_AFTER_SECONDS),
  headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
};
