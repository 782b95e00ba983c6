/**
 * StorageObjectInUseProtection (plugin/pkg/admission/storage/storageobjectinuseprotection):
 * every new PersistentVolumeClaim gets the kubernetes.io/pvc-protection finalizer and every new
 * PersistentVolume the kubernetes.io/pv-protection one, so a claim a pod still uses, or a
 * volume still bound, outlives its deletion until the protection controllers let it go.
 */
import type { KObject } from '../../../api/types.ts';
import { ADMIT, coreResources, handlesOnly, type AdmissionPlugin } from '../attributes.ts';

export const STORAGE_OBJECT_IN_USE_PROTECTION = 'StorageObjectInUseProtection';

const FINALIZERS: Readonly<Record<string, string>> = {
  persistentvolumeclaims: 'kubernetes.io/pvc-protection',
  persistentvolumes: 'kubernetes.io/pv-protection',
};

export const storageObjectInUseProtection: AdmissionPlugin = {
  name: STORAGE_OBJECT_IN_USE_PROTECTION,
  resources: coreResources(...Object.keys(FINALIZERS)),
  handles: handlesOnly('CREATE'),
  admit: (a) => {
    if (a.resource.group !== '' || a.subresource !== '') return ADMIT;
    const finalizer = FINALIZERS[a.resource.resource];
    const obj = a.object;
    if (finalizer === undefined || obj === undefined) return ADMIT;
    const finalizers = obj.metadata.finalizers ?? [];
    if (finalizers.includes(finalizer)) return ADMIT;
    return {
      allowed: true,
      object: {
        ...obj,
        metadata: { ...obj.metadata, finalizers: [...finalizers, finalizer] },
      } as KObject,
    };
  },
};
