import type { EndpointSlice } from '../../api/kinds/endpoint-slice.ts';

/**
 * EndpointSliceTracker (staging/src/k8s.io/endpointslice/endpointslice_tracker.go): the
 * generation of every slice this controller wrote, and the slices it deleted, per Service. A
 * cache that shows an older generation, or still shows a deleted slice, or misses a written one,
 * is stale: syncing from it would undo or duplicate the controller's own writes.
 */
export class SliceTracker {
  /** Service key -> slice uid -> generation written, or DELETED. */
  private readonly services = new Map<string, Map<string, number>>();

  written(service: string, slice: EndpointSlice): void {
    this.slicesOf(service).set(slice.metadata.uid ?? '', slice.metadata.generation ?? 0);
  }

  deleted(service: string, slice: EndpointSlice): void {
    this.slicesOf(service).set(slice.metadata.uid ?? '', DELETED);
  }

  forgetService(service: string): void {
    this.services.delete(service);
  }

  /** StaleSlices; entries the cache has caught up with are dropped. */
  stale(service: string, cached: readonly EndpointSlice[]): boolean {
    const tracked = this.services.get(service);
    if (tracked === undefined) return false;
    const byUid = new Map(cached.map((s) => [s.metadata.uid ?? '', s]));
    let stale = false;
    for (const [uid, generation] of tracked) {
      const seen = byUid.get(uid);
      const behind =
        generation === DELETED
          ? seen !== undefined
          : seen === undefined || (seen.metadata.generation ?? 0) < generation;
      if (behind) stale = true;
      else tracked.delete(uid);
    }
    if (tracked.size === 0) this.services.delete(service);
    return stale;
  }

  private slicesOf(service: string): Map<string, number> {
    let m = this.services.get(service);
    if (m === undefined) {
      m = new Map();
      this.services.set(service, m);
    }
    return m;
  }
}

const DELETED = -1;
