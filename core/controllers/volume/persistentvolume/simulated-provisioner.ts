import type { PersistentVolume } from '../../../api/kinds/persistent-volume.ts';
import type { PersistentVolumeClaim } from '../../../api/kinds/persistent-volume-claim.ts';
import type { StorageClass } from '../../../api/kinds/storage-class.ts';
import {
  ANN_BOUND_BY_CONTROLLER,
  ANN_PROVISIONED_BY,
  claimClass,
  selectedNode,
  SIMULATED_PROVISIONER,
} from '../../../api/volume-binding.ts';

/** getProvisionedVolumeNameForClaim: one volume name per claim uid, so retries find it. */
export function provisionedVolumeName(claim: PersistentVolumeClaim): string {
  return `pvc-${claim.metadata.uid ?? ''}`;
}

/**
 * The volume ksim's built-in provisioner makes for a claim (provisionClaimOperation's
 * volume, with a CSI source naming the simulated driver): the claim's size and access modes,
 * pre-bound to the claim, the class's reclaim policy (Delete by default) and mount options,
 * and, when the scheduler picked a node (WaitForFirstConsumer), node affinity to that node,
 * as a local volume would have.
 */
export function simulatedVolume(claim: PersistentVolumeClaim, cls: StorageClass): PersistentVolume {
  const node = selectedNode(claim);
  const name = provisionedVolumeName(claim);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      annotations: {
        [ANN_BOUND_BY_CONTROLLER]: 'yes',
        [ANN_PROVISIONED_BY]: SIMULATED_PROVISIONER,
      },
    },
    spec: {
      capacity: { storage: String(claim.spec?.resources?.requests?.storage ?? '0') },
      accessModes: [...(claim.spec?.accessModes ?? [])],
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
      storageClassName: claimClass(claim),
      ...(cls.mountOptions === undefined ? {} : { mountOptions: [...cls.mountOptions] }),
      claimRef: {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: claim.metadata.namespace ?? '',
        name: claim.metadata.name ?? '',
        uid: claim.metadata.uid ?? '',
        resourceVersion: claim.metadata.resourceVersion ?? '',
      },
      csi: { driver: SIMULATED_PROVISIONER, volumeHandle: name },
      ...(node === undefined
        ? {}
        : {
            nodeAffinity: {
              required: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      { key: 'kubernetes.io/hostname', operator: 'In', values: [node] },
                    ],
                  },
                ],
              },
            },
          }),
    },
  };
}
