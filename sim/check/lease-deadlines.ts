/**
 * Leases expire only after their deadline: a leader may propose to revoke an expired lease only
 * once the TTL has run out since the lease was last granted or renewed.
 *
 * The client sees a grant or keep-alive succeed between its call (c) and its reply (r); the
 * leader renewed the lease somewhere in [c, r], so its deadline is at least c + ttl. An expiry
 * proposed at p, with r < p < c + ttl, is a violation once it commits: the lease was renewed
 * before p and could not have run out yet. (A deposed leader that has not noticed may propose
 * such an expiry; that is harmless as long as it never commits.) A renewal whose reply comes after p proves nothing (a new leader may
 * renew a lease an old one's revoke will still remove; the revoke itself is in the history).
 *
 * Why that bound is sound across leader changes: a leader serves a keep-alive only after a
 * ReadIndex round confirms it still leads, so a renewal called after a new leader was elected is
 * never served by the old one, and every new leader restarts each deadline at its promotion.
 */
import type { LeaseId } from '../../core/store/types.ts';

const US_PER_SECOND = 1_000_000;

export interface LeaseDeadlineViolation {
  readonly id: LeaseId;
  readonly expiredAtUs: number;
  readonly message: string;
}

interface Renewal {
  readonly callUs: number;
  readonly replyUs: number;
  readonly ttlSeconds: number;
}

export class LeaseDeadlines {
  private readonly renewals = new Map<LeaseId, Renewal[]>();
  private readonly expiries: {
    readonly id: LeaseId;
    readonly term: number;
    readonly atUs: number;
  }[] = [];

  /** A grant or keep-alive of `id` for `ttlSeconds`, called at `callUs`, answered at `replyUs`. */
  renewed(id: LeaseId, callUs: number, replyUs: number, ttlSeconds: number): void {
    let list = this.renewals.get(id);
    if (list === undefined) this.renewals.set(id, (list = []));
    list.push({ callUs, replyUs, ttlSeconds });
  }

  /** The leader of `term` proposed to revoke `id` because it expired. */
  expiring(id: LeaseId, term: number, atUs: number): void {
    this.expiries.push({ id, term, atUs });
  }

  get expiryCount(): number {
    return this.expiries.length;
  }

  get renewalCount(): number {
    let n = 0;
    for (const list of this.renewals.values()) n += list.length;
    return n;
  }

  /**
   * Expiries that took effect and came too early. `committed` holds the revokes that committed,
   * as `id@term`: a deposed leader may propose an expiry its successor's renewals make wrong,
   * which is harmless as long as it never commits.
   */
  violations(committed: ReadonlySet<string>): LeaseDeadlineViolation[] {
    const out: LeaseDeadlineViolation[] = [];
    for (const { id, term, atUs } of this.expiries) {
      if (!committed.has(`${id}@${term}`)) continue;
      for (const r of this.renewals.get(id) ?? []) {
        const deadlineUs = r.callUs + r.ttlSeconds * US_PER_SECOND;
        if (r.replyUs < atUs && atUs < deadlineUs) {
          out.push({
            id,
            expiredAtUs: atUs,
            message: `lease ${id} expired at ${atUs}us, but a renewal called at ${r.callUs}us and answered at ${r.replyUs}us holds it until at least ${deadlineUs}us`,
          });
          break;
        }
      }
    }
    return out;
  }
}
