/**
 * The replicated half of etcd's lessor (server/lease/lessor.go): which leases exist, their
 * granted TTL, and which keys each one holds. Expiry timing is the leader's business: it
 * proposes a LeaseRevoke, so nothing here knows about time.
 */
import { assert } from '../util/assert.ts';
import type { LeaseId, LeaseInfo } from './types.ts';

interface LeaseEntry {
  readonly ttlSeconds: number;
  readonly keys: Set<string>;
}

export class LeaseTable {
  private readonly leases = new Map<LeaseId, LeaseEntry>();

  has(id: LeaseId): boolean {
    return this.leases.has(id);
  }

  grant(id: LeaseId, ttlSeconds: number): void {
    assert(!this.leases.has(id), `lease ${id} already granted`);
    this.leases.set(id, { ttlSeconds, keys: new Set() });
  }

  /** Forgets a lease whose keys have all been deleted (revoke deletes them first). */
  remove(id: LeaseId): void {
    const entry = this.leases.get(id);
    assert(
      entry !== undefined && entry.keys.size === 0,
      `remove lease ${id}: unknown or still holds keys`,
    );
    this.leases.delete(id);
  }

  /**
   * Keys currently attached, sorted: revoke deletes them in this order, so every replica gives
   * them the same sub-revisions (etcd lessor.Revoke sorts for the same reason).
   */
  keysOf(id: LeaseId): string[] {
    const entry = this.leases.get(id);
    assert(entry !== undefined, `lease ${id} not found`);
    return [...entry.keys].sort(compareStrings);
  }

  attach(id: LeaseId, key: string): void {
    const entry = this.leases.get(id);
    assert(entry !== undefined, `attach to unknown lease ${id}`);
    entry.keys.add(key);
  }

  detach(id: LeaseId, key: string): void {
    const entry = this.leases.get(id);
    assert(
      entry !== undefined && entry.keys.delete(key),
      `detach ${key} from lease ${id}: not attached`,
    );
  }

  /** All leases by ascending id. Cost O(L log L + K log K): meant for the leader's lessor. */
  list(): LeaseInfo[] {
    return [...this.leases.keys()]
      .sort((a, b) => a - b)
      .map((id) => ({ id, ttlSeconds: this.leases.get(id)!.ttlSeconds, keys: this.keysOf(id) }));
  }
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
