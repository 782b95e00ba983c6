/**
 * One item of client-go's flowcontrol.Backoff (util/flowcontrol/backoff.go), which the kubelet
 * uses for both CrashLoopBackOff and ImagePullBackOff: the delay starts at `initialUs`,
 * doubles at every `next` up to `maxUs`, and an item not updated for 2 × maxUs (10 min with
 * the 5 min cap) starts over — that is the "reset after 10 minutes of running".
 */
import type { BackoffPolicy } from './config.ts';

export interface BackoffEntry {
  readonly delayUs: number;
  readonly lastUpdateUs: number;
}

function expired(entry: BackoffEntry, eventUs: number, policy: BackoffPolicy): boolean {
  return eventUs - entry.lastUpdateUs > 2 * policy.maxUs;
}

/** Backoff.Next(id, eventTime). */
export function nextBackoff(
  entry: BackoffEntry | undefined,
  eventUs: number,
  policy: BackoffPolicy,
): BackoffEntry {
  if (entry === undefined || expired(entry, eventUs, policy)) {
    return { delayUs: policy.initialUs, lastUpdateUs: eventUs };
  }
  return { delayUs: Math.min(entry.delayUs * 2, policy.maxUs), lastUpdateUs: eventUs };
}

/**
 * Backoff.IsInBackOffSince(id, eventTime): when the item is backing off from an event (a
 * container's exit) at `eventUs`, the virtual time the backoff ends; undefined when not.
 */
export function backoffSinceEndsAt(
  entry: BackoffEntry | undefined,
  eventUs: number,
  nowUs: number,
  policy: BackoffPolicy,
): number | undefined {
  if (entry === undefined || expired(entry, eventUs, policy)) return undefined;
  const endUs = eventUs + entry.delayUs;
  return nowUs < endUs ? endUs : undefined;
}

/** Backoff.IsInBackOffSinceUpdate(id, now): backing off since the last update (a failed pull). */
export function backoffSinceUpdateEndsAt(
  entry: BackoffEntry | undefined,
  nowUs: number,
  policy: BackoffPolicy,
): number | undefined {
  if (entry === undefined || expired(entry, nowUs, policy)) return undefined;
  const endUs = entry.lastUpdateUs + entry.delayUs;
  return nowUs < endUs ? endUs : undefined;
}
