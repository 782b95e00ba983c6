/**
 * What admission plugins read besides the request: objects by kind and name, from the API
 * server's store (upstream's plugins read informer listers and fall back to live reads; ksim
 * reads the store, which is always current). A lookup answers the object, or the Status its
 * read failed with (NotFound included), as a lister's error would be.
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
}
