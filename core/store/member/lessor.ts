/**
 * Lease deadlines on the leader (etcd server/lease/lessor.go, primary side only). The replicated
 * state knows which leases exist and their TTLs; when they expire is the leader's business: it
 * holds a deadline per lease, renews it on keep-alive, and proposes LeaseRevoke for expired
 * ones, so every member deletes the attached keys at the same log index.
 *
 * A new leader restarts every deadline at a full TTL (etcd's Promote): it cannot know how much
 * of the old leader's timer had run, and expiring late is safe where expiring early is not.
 * No clock here: callers pass the local time.
 */
import type { LeaseId, LeaseInfo } from '../types.ts';

const US_PER_SECOND = 1_000_000;

export class Lessor {
  private primary = false;
  private readonly deadlineUs = new Map<LeaseId, number>();
  private readonly ttlSeconds = new Map<LeaseId, number>();
  /** Revocations proposed and not yet applied: not proposed twice. */
  private readonly revoking = new Set<LeaseId>();

  get isPrimary(): boolean {
    return this.primary;
  }

  promote(leases: readonly LeaseInfo[], nowUs: number): void {
    this.primary = true;
    this.deadlineUs.clear();
    this.ttlSeconds.clear();
    this.revoking.clear();
    for (const l of leases) this.granted(l.id, l.ttlSeconds, nowUs);
  }

  demote(): void {
    this.primary = false;
    this.deadlineUs.clear();
    this.ttlSeconds.clear();
    this.revoking.clear();
  }

  /** A grant was applied. */
  granted(id: LeaseId, ttlSeconds: number, nowUs: number): void {
    if (!this.primary) return;
    this.ttlSeconds.set(id, ttlSeconds);
    this.deadlineUs.set(id, nowUs + ttlSeconds * US_PER_SECOND);
  }

  /** A revoke was applied (or failed: the lease is gone either way). */
  revoked(id: LeaseId): void {
    this.deadlineUs.delete(id);
    this.ttlSeconds.delete(id);
    this.revoking.delete(id);
  }

  /** A revoke proposal was dropped: try again at the next expiry check. */
  revokeDropped(id: LeaseId): void {
    this.revoking.delete(id);
  }

  /** Renews the lease; its TTL, or undefined when this lessor does not know it. */
  keepAlive(id: LeaseId, nowUs: number): number | undefined {
    const ttl = this.ttlSeconds.get(id);
    if (!this.primary || ttl === undefined || this.revoking.has(id)) return undefined;
    this.deadlineUs.set(id, nowUs + ttl * US_PER_SECOND);
    return ttl;
  }

  remainingUs(id: LeaseId, nowUs: number): number | undefined {
    const deadline = this.deadlineUs.get(id);
    return deadline === undefined ? undefined : Math.max(0, deadline - nowUs);
  }

  /** Expired leases not yet being revoked, marked as being revoked; in grant order. */
  takeExpired(nowUs: number): LeaseId[] {
    if (!this.primary) return [];
    const out: LeaseId[] = [];
    for (const [id, deadline] of this.deadlineUs) {
      if (deadline <= nowUs && !this.revoking.has(id)) {
        this.revoking.add(id);
        out.push(id);
      }
    }
    return out;
  }
}
