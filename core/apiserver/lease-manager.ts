/**
 * Store leases for objects written with a TTL (upstream apiserver storage/etcd3/lease_manager.go):
 * granting a lease per write would cost a store write each, so a lease is reused for the writes
 * of the next `reuseSeconds` — 5% of the TTL, at most 60 s — and granted that much longer, so
 * every object lives at least its TTL and at most TTL + reuseSeconds; a lease holds at most
 * 1,000 objects (--lease-reuse-duration-seconds and the max object count of newer upstreams).
 * Events, the one kind upstream stores with a TTL (--event-ttl, 1 h), thus share one lease a
 * minute, and the store deletes them together when it expires.
 *
 * The API server picks the lease id (etcd takes a client's id as the in-memory store does, which
 * has no lessor of its own to pick one), from its own random stream.
 */
import type { Clock, Micros } from '../ports/clock.ts';
import type { Random } from '../ports/random.ts';
import type { StoreClient } from '../store/kv-client.ts';
import { leaseId, type LeaseId } from '../store/types.ts';

const REUSE_SECONDS_MAX = 60;
const REUSE_FRACTION = 0.05;
const MAX_OBJECTS_PER_LEASE = 1_000;
/** Ids drawn as the store's members draw theirs (positive, well inside a safe integer). */
const LEASE_ID_SPACE = 2 ** 48 - 1;
/** Tries when a drawn id is taken already. */
const GRANT_ATTEMPTS = 3;

interface HeldLease {
  readonly id: LeaseId;
  readonly expiresAtUs: Micros;
  objects: number;
}

export type LeaseAnswer =
  { readonly ok: true; readonly id: LeaseId } | { readonly ok: false; readonly reason: string };

export class LeaseManager {
  private held: HeldLease | undefined;
  /** A grant in flight: writes that arrive meanwhile wait for it instead of granting their own. */
  private granting: Promise<LeaseAnswer> | undefined;

  constructor(
    private readonly kv: StoreClient,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /** A lease that keeps an object at least `ttlSeconds`: the held one if it fits, else a new one. */
  async leaseFor(ttlSeconds: number): Promise<LeaseAnswer> {
    const reused = this.reusable(ttlSeconds);
    if (reused !== undefined) return { ok: true, id: reused };
    if (this.granting === undefined) {
      const granting = this.grant(ttlSeconds).finally(() => {
        if (this.granting === granting) this.granting = undefined;
      });
      this.granting = granting;
    }
    // Every write that waited for the grant takes its lease, as writes queued on upstream's
    // mutex find it reusable.
    const answer = await this.granting;
    if (answer.ok && this.held?.id === answer.id) this.held.objects++;
    return answer;
  }

  /** Forgets the held lease (the store no longer has it). */
  forget(id: LeaseId): void {
    if (this.held?.id === id) this.held = undefined;
  }

  private reusable(ttlSeconds: number): LeaseId | undefined {
    const held = this.held;
    if (held === undefined || held.objects >= MAX_OBJECTS_PER_LEASE) return undefined;
    const now = this.clock.monotonicNow();
    const validUntil = now + ttlSeconds * 1_000_000;
    const sufficient = validUntil + reuseSeconds(ttlSeconds) * 1_000_000;
    // At or after (upstream: After): virtual time stands still between a grant and the writes
    // of the same instant, which must find the lease just granted sufficient.
    if (!(validUntil < held.expiresAtUs && sufficient >= held.expiresAtUs)) return undefined;
    held.objects++;
    return held.id;
  }

  private async grant(ttlSeconds: number): Promise<LeaseAnswer> {
    const granted = ttlSeconds + reuseSeconds(ttlSeconds);
    const startUs = this.clock.monotonicNow();
    let reason = 'no lease granted';
    for (let attempt = 0; attempt < GRANT_ATTEMPTS; attempt++) {
      const id = leaseId(1 + this.random.int(LEASE_ID_SPACE));
      const r = await this.kv.do({ kind: 'lease-grant', id, ttlSeconds: granted });
      if (r.kind === 'lease-grant') {
        // Counted from the request, as upstream's manager reads its clock before granting.
        this.held = { id: r.id, expiresAtUs: startUs + granted * 1_000_000, objects: 0 };
        return { ok: true, id: r.id };
      }
      reason = r.kind === 'error' ? `store error: ${r.reason}` : r.reason;
      if (r.kind !== 'error' || r.reason !== 'lease-exists') break;
    }
    return { ok: false, reason: `lease grant failed: ${reason}` };
  }
}

function reuseSeconds(ttlSeconds: number): number {
  return Math.min(REUSE_SECONDS_MAX, Math.floor(REUSE_FRACTION * ttlSeconds));
}
