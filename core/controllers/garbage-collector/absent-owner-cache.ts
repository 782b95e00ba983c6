import type { ObjectIdentity } from './graph.ts';

/** Upstream's NewReferenceCache(500). */
export const ABSENT_OWNER_CACHE_SIZE = 500;

/**
 * The owners the collector has seen absent (uidcache.go's ReferenceCache): an LRU of
 * identities, so dependents of one deleted owner do not each ask the API server again. UIDs are
 * never reused, so an entry never turns wrong; it is only forgotten when the cache is full.
 */
export class AbsentOwnerCache {
  private readonly entries = new Map<string, true>();

  constructor(private readonly capacity = ABSENT_OWNER_CACHE_SIZE) {}

  add(id: ObjectIdentity): void {
    const key = cacheKey(id);
    this.entries.delete(key);
    this.entries.set(key, true);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  has(id: ObjectIdentity): boolean {
    const key = cacheKey(id);
    if (!this.entries.has(key)) return false;
    this.entries.delete(key);
    this.entries.set(key, true);
    return true;
  }
}

function cacheKey(id: ObjectIdentity): string {
  return JSON.stringify([id.apiVersion, id.kind, id.namespace, id.name, id.uid]);
}
