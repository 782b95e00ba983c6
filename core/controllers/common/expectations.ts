import type { Clock } from '../../ports/clock.ts';

/** pkg/controller/controller_utils.go ExpectationsTimeout. */
export const EXPECTATIONS_TIMEOUT_US = 300_000_000;

interface Expectation {
  add: number;
  del: number;
  /** Keys of pods whose deletion was asked for and not yet observed (UIDTrackingControllerExpectations). */
  readonly deleteKeys: Set<string>;
  readonly setAtUs: number;
  /**
   * Some create or delete timed out, so whether it happened is unknown. Not in upstream; see
   * `markUncertain`.
   */
  uncertain: boolean;
}

/**
 * ControllerExpectations + UIDTrackingControllerExpectations (pkg/controller/controller_utils.go):
 * after a controller issues creates/deletes for an owner it records how many informer events it
 * expects, and does not act on that owner again until it has seen them all or the record is
 * older than the timeout. This is what keeps a controller from creating the same replica twice
 * while its cache lags behind its own writes.
 *
 * One addition over upstream: a write whose outcome is unknown (request or reply lost, server
 * crashed mid-write) does not lower the count at once, as upstream does on any error. It marks
 * the record uncertain; the controller then reads the live state from the API server and calls
 * `resolve`, which keeps waiting only for the writes that really happened. Upstream lowers the
 * count and may create a duplicate that it deletes later; in a simulator that injects message
 * loss on purpose that race is common, and "never more replicas than asked" is an invariant the
 * tests check.
 */
export class ControllerExpectations {
  private readonly records = new Map<string, Expectation>();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutUs: number = EXPECTATIONS_TIMEOUT_US,
  ) {}

  /** True when the owner may be synced: no record, all observed, or the record expired. */
  satisfied(key: string): boolean {
    const e = this.records.get(key);
    if (e === undefined) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.expired(e);
  }

  /** True when a timed-out write must be resolved against live state before the next sync. */
  needsResolution(key: string): boolean {
    const e = this.records.get(key);
    return e !== undefined && e.uncertain && !this.expired(e) && (e.add > 0 || e.del > 0);
  }

  expectCreations(key: string, count: number): void {
    this.records.set(key, {
      add: count,
      del: 0,
      deleteKeys: new Set(),
      setAtUs: this.clock.now(),
      uncertain: false,
    });
  }

  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.records.set(key, {
      add: 0,
      del: podKeys.length,
      deleteKeys: new Set(podKeys),
      setAtUs: this.clock.now(),
      uncertain: false,
    });
  }

  /** SetExpectations: creations and deletions at once (the DaemonSet controller does both). */
  expect(key: string, adds: number, podKeys: readonly string[]): void {
    this.records.set(key, {
      add: adds,
      del: podKeys.length,
      deleteKeys: new Set(podKeys),
      setAtUs: this.clock.now(),
      uncertain: false,
    });
  }

  creationObserved(key: string): void {
    const e = this.records.get(key);
    if (e !== undefined) e.add--;
  }

  deletionObserved(key: string, podKey: string): void {
    const e = this.records.get(key);
    if (e === undefined || !e.deleteKeys.delete(podKey)) return;
    e.del--;
  }

  markUncertain(key: string): void {
    const e = this.records.get(key);
    if (e !== undefined) e.uncertain = true;
  }

  /**
   * After a live read: `pendingCreates` is how many of the owner's pods exist on the server but
   * not yet in the cache (only those will still produce an add event), `stillPending(podKey)`
   * says whether a deletion happened on the server but not yet in the cache.
   */
  resolve(key: string, pendingCreates: number, stillPending: (podKey: string) => boolean): void {
    const e = this.records.get(key);
    if (e === undefined) return;
    e.add = Math.min(e.add, pendingCreates);
    for (const podKey of [...e.deleteKeys]) {
      if (stillPending(podKey)) continue;
      e.deleteKeys.delete(podKey);
      e.del--;
    }
    e.uncertain = false;
  }

  pendingDeletionKeys(key: string): readonly string[] {
    return [...(this.records.get(key)?.deleteKeys ?? [])];
  }

  delete(key: string): void {
    this.records.delete(key);
  }

  private expired(e: Expectation): boolean {
    return this.clock.now() - e.setAtUs > this.timeoutUs;
  }
}
