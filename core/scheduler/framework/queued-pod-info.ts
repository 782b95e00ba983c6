/** A pod in the scheduling queue (pkg/scheduler/framework/types.go QueuedPodInfo). */
import type { PodInfo } from './pod-info.ts';

export class QueuedPodInfo {
  /** When the pod was (re)added to the queue, µs; orders pods of equal priority. */
  timestampUs: number;
  /** Set with timestampUs from a queue-wide counter: breaks ties between equal virtual times. */
  seq = 0;
  /** Scheduling attempts so far; drives the backoff. */
  attempts = 0;
  initialAttemptTimestampUs: number | undefined = undefined;
  /** Plugins that rejected the pod in its last attempt: only their events requeue it. */
  unschedulablePlugins: ReadonlySet<string> = new Set();
  /** The PreEnqueue plugin that keeps the pod out of the active queue, if any. */
  gatingPlugin: string | undefined = undefined;
  /** When the last failed attempt ended, µs (start of the backoff). */
  lastFailureUs = 0;
  /** The last failure was an error rather than a rejection: retry after backoff, on no event. */
  lastFailureWasError = false;

  constructor(
    public podInfo: PodInfo,
    nowUs: number,
  ) {
    this.timestampUs = nowUs;
  }

  get key(): string {
    return this.podInfo.key;
  }
}
