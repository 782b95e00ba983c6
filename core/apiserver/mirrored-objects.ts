/**
 * A lister over one of the API server's watch caches (upstream's admission plugins read
 * informer listers): the objects of one kind by namespace and name, fed by a mirror
 * (cache-mirror.ts), so reading one costs no store request. The objects are the cache's own,
 * shared and immutable. A lister may be behind the store (an event may still be on its way):
 * its readers fall back to a live read where a stale or missing answer would matter.
 */
import type { ResourceDefinition } from '../api/kinds/index.ts';
import type { KObject } from '../api/types.ts';
import type { Clock } from '../ports/clock.ts';
import { mirrorResource } from './cache-mirror.ts';
import type { WatchCache } from './watch-cache.ts';

export class MirroredObjects {
  /** By namespace ("" for cluster-scoped objects), then name: a read builds no key string. */
  private readonly byNamespace = new Map<string, Map<string, KObject>>();
  private synced = false;

  constructor(
    cacheFor: (definition: ResourceDefinition) => WatchCache,
    definition: ResourceDefinition,
    clock: Clock,
    spawn: (task: () => Promise<unknown>) => void,
  ) {
    mirrorResource(
      cacheFor,
      definition,
      {
        reset: () => {
          this.synced = false;
          this.byNamespace.clear();
        },
        upsert: (obj) => this.upsert(obj),
        remove: (obj) => this.remove(obj),
        synced: () => {
          this.synced = true;
        },
      },
      clock,
      spawn,
    );
  }

  /**
   * The object, or undefined when the lister does not hold it: absent, or the lister has not
   * synced yet (or is starting over after its cache's store watch broke).
   */
  get(namespace: string | undefined, name: string): KObject | undefined {
    if (!this.synced) return undefined;
    return this.byNamespace.get(namespace ?? '')?.get(name);
  }

  /**
   * The objects of `namespace` ("" or undefined: the cluster-scoped ones) in name order, as a
   * store list gives them; undefined until the lister has synced.
   */
  list(namespace: string | undefined): KObject[] | undefined {
    if (!this.synced) return undefined;
    const byName = this.byNamespace.get(namespace ?? '');
    if (byName === undefined) return [];
    return [...byName.keys()].sort().map((name) => byName.get(name) as KObject);
  }

  private upsert(obj: KObject): void {
    const namespace = obj.metadata.namespace ?? '';
    let byName = this.byNamespace.get(namespace);
    if (byName === undefined) this.byNamespace.set(namespace, (byName = new Map()));
    byName.set(obj.metadata.name ?? '', obj);
  }

  private remove(obj: KObject): void {
    const namespace = obj.metadata.namespace ?? '';
    const byName = this.byNamespace.get(namespace);
    byName?.delete(obj.metadata.name ?? '');
    if (byName?.size === 0) this.byNamespace.delete(namespace);
  }
}
