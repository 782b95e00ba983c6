/** failedPodsBackoff: flowcontrol.NewBackOff(1 s, 15 min) of daemon_controller.go. */
const INITIAL_US = 1_000_000;
const MAX_US = 900_000_000;

interface Entry {
  delayUs: number;
  lastUs: number;
}

/**
 * Per DaemonSet and node, how long to wait before deleting another failed daemon pod there:
 * 1 s doubling to 15 min, forgotten after twice the maximum without a failure (the kubelet may
 * be rejecting every pod, and deleting each at once would hot-loop).
 */
export class FailedPodBackoff {
  private readonly entries = new Map<string, Entry>();

  /** IsInBackOffSinceUpdate: the time left, 0 when a deletion may go ahead. */
  remainingUs(key: string, nowUs: number): number {
    const e = this.entries.get(key);
    if (e === undefined) return 0;
    return Math.max(0, e.lastUs + e.delayUs - nowUs);
  }

  /** Next: start or double the delay. */
  next(key: string, nowUs: number): void {
    const e = this.entries.get(key);
    if (e === undefined || nowUs - e.lastUs > 2 * MAX_US) {
      this.entries.set(key, { delayUs: INITIAL_US, lastUs: nowUs });
      return;
    }
    e.delayUs = Math.min(2 * e.delayUs, MAX_US);
    e.lastUs = nowUs;
  }
}
