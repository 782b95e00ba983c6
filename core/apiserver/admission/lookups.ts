/**
 * What admission plugins read besides the request: objects by kind and name. `get` and `list`
 * read the API server's store, which is always current; `cached` reads the server's own
 * informer of the kind (upstream's plugins read informer listers and fall back to live reads),
 * which costs no store request but may be behind. A lookup answers the object, or the Status
 * its read failed with (NotFound included), as a lister's error would be.
 */
import type { Status } from '../../api/status-types.ts';
import type { Kind, KindOf } from '../../api/types.ts';

export interface ObjectLookups {
  get<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
  ): Promise<KindOf<K> | Status>;
  /** Every object of `kind` in `namespace` (all of them for a cluster-scoped kind). */
  list<K extends Kind>(kind: K, namespace: string | undefined): Promise<KindOf<K>[] | Status>;
  /**
   * The object as the server's informer of `kind` holds it, without a store read; undefined
   * when the informer does not hold it (no such object as far as it knows, not synced yet, or
   * a kind the server keeps no informer of: none that no plugin names in its `informed`).
   */
  cached<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
  ): KindOf<K> | undefined;
  /**
   * Every object of `kind` in `namespace` as the server's informer holds them, in name order
   * (the order a store list gives), without a store read; undefined when the informer has not
   * synced, or the server keeps no informer of `kind`.
   */
  cachedList<K extends Kind>(kind: K, namespace: string | undefined): KindOf<K>[] | undefined;
}

/**
 * The informer's copy, else a live read (upstream's NamespaceGetterFromListerAndClient and the
 * NamespaceLifecycle plugin's store lookup): a value at once when the informer holds it, so a
 * plugin's common case makes no store request and waits for nothing.
 */
export function cachedOrLive<K extends Kind>(
  lookups: ObjectLookups,
  kind: K,
  namespace: string | undefined,
  name: string,
): KindOf<K> | Promise<KindOf<K> | Status> {
  return lookups.cached(kind, namespace, name) ?? lookups.get(kind, namespace, name);
}

/**
 * The informer's list, else a live list while it has not synced (upstream's plugins wait for
 * their informers before admitting anything; a live read gives the same answer without the
 * wait): a value at once in the common case.
 */
export function cachedListOrLive<K extends Kind>(
  lookups: ObjectLookups,
  kind: K,
  namespace: string | undefined,
): KindOf<K>[] | Promise<KindOf<K>[] | Status> {
  return lookups.cachedList(kind, namespace) ?? lookups.list(kind, namespace);
}
