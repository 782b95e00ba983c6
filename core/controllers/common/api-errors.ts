import type { ApiResult } from '../../client/api-client.ts';

type Failure = Extract<ApiResult<unknown>, { ok: false }>;

/**
 * Whether a failed write may still have taken effect: a 504 from the client (no reply in time)
 * or a 5xx from the server other than 503 (our client's "connection refused", nothing sent).
 */
export function outcomeUnknown(r: Failure): boolean {
  return r.status >= 500 && r.status !== 503;
}

export function isNotFound(r: Failure): boolean {
  return r.status === 404;
}

export function isConflict(r: Failure): boolean {
  return r.status === 409;
}

export function describeFailure(r: Failure): string {
  return `${r.status} ${r.error.reason ?? ''}: ${r.error.message ?? ''}`;
}
