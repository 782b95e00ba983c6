/**
 * DefaultStorageClass (plugin/pkg/admission/storage/storageclass/setdefault): a new
 * PersistentVolumeClaim that does not name a storage class (an explicit "" is a name: no class)
 * gets the default one, the class annotated is-default-class "true" (or its beta annotation);
 * of several defaults the newest wins, then the first by name. The classes are read from the
 * server's StorageClass informer (a live list while it has not synced), as upstream's lister.
 */
import * as errors from '../../../api/errors.ts';
import type { PersistentVolumeClaim } from '../../../api/kinds/persistent-volume-claim.ts';
import type { StorageClass } from '../../../api/kinds/storage-class.ts';
import { parseTime } from '../../../api/time.ts';
import {
  ADMIT,
  coreResources,
  deny,
  handlesOnly,
  type AdmissionPlugin,
  type AdmissionResult,
} from '../attributes.ts';
import type { Status } from '../../../api/status-types.ts';
import { cachedListOrLive, type ObjectLookups } from '../lookups.ts';

export const DEFAULT_STORAGE_CLASS = 'DefaultStorageClass';

const IS_DEFAULT_ANNOTATIONS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

export function defaultStorageClass(lookups: ObjectLookups): AdmissionPlugin {
  return {
    name: DEFAULT_STORAGE_CLASS,
    informed: ['StorageClass'],
    resources: coreResources('persistentvolumeclaims'),
    handles: handlesOnly('CREATE'),
    admit: (a) => {
      if (a.resource.group !== '' || a.resource.resource !== 'persistentvolumeclaims') return ADMIT;
      if (a.subresource !== '' || a.object?.kind !== 'PersistentVolumeClaim') return ADMIT;
      const pvc = a.object as PersistentVolumeClaim;
      if (pvc.spec?.storageClassName !== undefined) return ADMIT;
      const classes = cachedListOrLive(lookups, 'StorageClass', undefined);
      return classes instanceof Promise
        ? classes.then((c) => withDefault(pvc, c))
        : withDefault(pvc, classes);
    },
  };
}

function withDefault(
  pvc: PersistentVolumeClaim,
  classes: readonly StorageClass[] | Status,
): AdmissionResult {
  if (errors.isStatus(classes)) return deny(classes);
  const chosen = defaultClass(classes);
  if (chosen === undefined) return ADMIT;
  return { allowed: true, object: { ...pvc, spec: { ...pvc.spec, storageClassName: chosen } } };
}

/** GetDefaultClass: newest creationTimestamp first, then name ascending. */
export function defaultClass(classes: readonly StorageClass[]): string | undefined {
  const defaults = classes.filter((c) =>
    IS_DEFAULT_ANNOTATIONS.some((k) => c.metadata.annotations?.[k] === 'true'),
  );
  const created = (c: StorageClass): number => parseTime(c.metadata.creationTimestamp ?? '') ?? 0;
  defaults.sort((x, y) => {
    const byAge = created(y) - created(x);
    if (byAge !== 0) return byAge;
    const a = x.metadata.name ?? '';
    const b = y.metadata.name ?? '';
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return defaults[0]?.metadata.name;
}
