import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../../../../core/api/field-error.ts';
import {
  defaultPersistentVolume,
  PERSISTENT_VOLUME,
  validatePersistentVolume,
  validatePersistentVolumeUpdate,
  type PersistentVolume,
} from '../../../../core/api/kinds/persistent-volume.ts';

type Spec = NonNullable<PersistentVolume['spec']>;

const pv = (spec: Spec, name = 'pv-1'): PersistentVolume =>
  defaultPersistentVolume({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec });

const hostPath: Spec = {
  capacity: { storage: '1Gi' },
  accessModes: ['ReadWriteOnce'],
  hostPath: { path: '/data/pv-1' },
};

describe('PersistentVolume validation (ValidatePersistentVolume), upstream paths and messages', () => {
  it.each<[string, Spec, string[]]>([
    ['a hostPath volume', hostPath, []],
    [
      'a CSI volume',
      { ...hostPath, hostPath: undefined, csi: { driver: 'csi.example.com', volumeHandle: 'v1' } },
      [],
    ],
    [
      'no access modes and no capacity',
      { hostPath: { path: '/x' } },
      ['spec.accessModes: Required value', 'spec.capacity: Required value'],
    ],
    [
      'an unknown access mode, and ReadWriteOncePod with another',
      { ...hostPath, accessModes: ['ReadWriteOncePod', 'ReadWriteAlways'] },
      [
        'spec.accessModes: Unsupported value: "ReadWriteAlways": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
        'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes',
      ],
    ],
    [
      'zero capacity',
      { ...hostPath, capacity: { storage: '0' } },
      ['spec.capacity[storage]: Invalid value: "0": must be greater than zero'],
    ],
    [
      'no volume source',
      { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] },
      ['spec: Required value: must specify a volume type'],
    ],
    [
      'two volume sources',
      { ...hostPath, nfs: { server: 'nfs.example.com', path: '/exports' } },
      ['spec.nfs: Forbidden: may not specify more than 1 volume type'],
    ],
    [
      'a local volume without node affinity and with a relative path',
      { ...hostPath, hostPath: undefined, local: { path: 'data' } },
      [
        'spec.local.path: Invalid value: "data": must be an absolute path',
        'spec.nodeAffinity: Required value: Local volume requires node affinity',
      ],
    ],
    [
      'an unknown reclaim policy and volume mode',
      { ...hostPath, persistentVolumeReclaimPolicy: 'Keep', volumeMode: 'Raw' },
      [
        'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"',
        'spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"',
      ],
    ],
  ])('%s', (_name, spec, expected) => {
    expect(validatePersistentVolume(pv(spec)).map(formatFieldError)).toEqual(expected);
  });

  it('defaults Retain, Filesystem and Pending', () => {
    const obj = pv(hostPath);
    expect(obj.spec?.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(obj.spec?.volumeMode).toBe('Filesystem');
    expect(obj.status?.phase).toBe('Pending');
  });

  it('keeps its volume source', () => {
    const old = pv(hostPath);
    const next = pv({ ...hostPath, hostPath: { path: '/elsewhere' } });
    expect(validatePersistentVolumeUpdate(next, old).map(formatFieldError)).toEqual([
      'spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation',
    ]);
  });

  it('prints as printPersistentVolume', () => {
    const obj: PersistentVolume = {
      ...pv({
        ...hostPath,
        accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
        storageClassName: 'fast',
      }),
      status: { phase: 'Bound' },
    };
    const bound = {
      ...obj,
      spec: { ...obj.spec, claimRef: { namespace: 'default', name: 'data' } },
    };
    expect(PERSISTENT_VOLUME.table.map((c) => c.cell(bound, 0))).toEqual([
      'pv-1',
      '1Gi',
      'RWO,RWX',
      'Retain',
      'Bound',
      'default/data',
      'fast',
      '<unset>',
      '',
      '<unknown>',
      'Filesystem',
    ]);
  });
});
