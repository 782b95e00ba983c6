/**
 * PersistentVolumes (pkg/apis/core/v1/defaults.go SetDefaults_PersistentVolume;
 * pkg/apis/core/validation/validation.go ValidatePersistentVolume / ...Update /
 * ...StatusUpdate; pkg/registry/core/persistentvolume/strategy.go; printers:
 * printPersistentVolume). Cluster-scoped.
 *
 * Of the volume sources, the ones a simulated or small real cluster uses are checked in
 * detail (hostPath, local, nfs, csi); the others are checked for being the only source.
 */
import type { PersistentVolume as UpstreamPV } from 'kubernetes-types/core/v1.d.ts';
import {
  child,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  goLiteral,
  key,
  type FieldError,
} from '../field-error.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { Stored } from '../stored.ts';
import {
  AGE_COLUMN,
  defineResource,
  keepStatus,
  NAME_COLUMN,
  OBJECT_META_PATCH,
  statusSubresource,
} from './common.ts';
import type { TableColumn } from './definition.ts';
import {
  accessModesString,
  storageString,
  validateAccessModes,
  validatePositiveQuantity,
  validateStorageClassName,
  validateVolumeMode,
} from './volume-common.ts';

export type PersistentVolume = Stored<UpstreamPV>;
type Spec = NonNullable<PersistentVolume['spec']>;

const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const PHASES = ['Available', 'Bound', 'Failed', 'Pending', 'Released'];

/** The fields of PersistentVolumeSource, in upstream's order. */
export const VOLUME_SOURCES = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'glusterfs',
  'nfs',
  'rbd',
  'quobyte',
  'cephfs',
  'iscsi',
  'cinder',
  'fc',
  'flocker',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'local',
  'storageos',
  'csi',
] as const;

/** SetDefaults_PersistentVolume: Retain, Filesystem, and a Pending phase. */
export function defaultPersistentVolume(pv: PersistentVolume): PersistentVolume {
  const spec = pv.spec ?? {};
  return {
    ...pv,
    spec: {
      ...spec,
      persistentVolumeReclaimPolicy: spec.persistentVolumeReclaimPolicy || 'Retain',
      volumeMode: spec.volumeMode ?? 'Filesystem',
    },
    status: { ...pv.status, phase: pv.status?.phase || 'Pending' },
  };
}

const isAbsolute = (p: string) => p.startsWith('/');

/** validatePathNoBacksteps: no ".." element. */
function backsteps(path: string, fieldPath: string): FieldError[] {
  return path.split('/').includes('..')
    ? [fieldInvalid(fieldPath, path, "must not contain '..'")]
    : [];
}

function validateSource(spec: Spec): FieldError[] {
  const present = VOLUME_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (present.length === 0) return [fieldRequired('spec', 'must specify a volume type')];
  const errs: FieldError[] = [];
  for (const extra of present.slice(1)) {
    errs.push(fieldForbidden(child('spec', extra), 'may not specify more than 1 volume type'));
  }
  const hostPath = spec.hostPath;
  if (hostPath) {
    if (!hostPath.path) errs.push(fieldRequired('spec.hostPath.path', ''));
    else errs.push(...backsteps(hostPath.path, 'spec.hostPath.path'));
  }
  const local = spec.local;
  if (local) {
    if (!local.path) errs.push(fieldRequired('spec.local.path', ''));
    else if (!isAbsolute(local.path)) {
      errs.push(fieldInvalid('spec.local.path', local.path, 'must be an absolute path'));
    } else errs.push(...backsteps(local.path, 'spec.local.path'));
    if (!spec.nodeAffinity) {
      errs.push(fieldRequired('spec.nodeAffinity', 'Local volume requires node affinity'));
    }
  }
  const nfs = spec.nfs;
  if (nfs) {
    if (!nfs.server) errs.push(fieldRequired('spec.nfs.server', ''));
    if (!nfs.path) errs.push(fieldRequired('spec.nfs.path', ''));
    else if (!isAbsolute(nfs.path)) {
      errs.push(fieldInvalid('spec.nfs.path', nfs.path, 'must be an absolute path'));
    }
  }
  const csi = spec.csi;
  if (csi) {
    if (!csi.driver) errs.push(fieldRequired('spec.csi.driver', ''));
    if (!csi.volumeHandle) errs.push(fieldRequired('spec.csi.volumeHandle', ''));
  }
  return errs;
}

/** ValidatePersistentVolumeSpec for a PersistentVolume object (not an inline template). */
function validateSpec(pv: PersistentVolume): FieldError[] {
  const spec = pv.spec ?? {};
  const errs = validateAccessModes(spec.accessModes, 'spec');
  const capacity = spec.capacity ?? {};
  const keys = Object.keys(capacity);
  if (keys.length === 0) errs.push(fieldRequired('spec.capacity', ''));
  else if (!keys.includes('storage') || keys.length > 1) {
    const rendered = keys.map((k) => `"${k}":resource.Quantity{...}`).join(', ');
    errs.push(
      fieldNotSupported('spec.capacity', goLiteral(`core.ResourceList{${rendered}}`), ['storage']),
    );
  }
  for (const [k, q] of Object.entries(capacity)) {
    errs.push(...validatePositiveQuantity(q, key('spec.capacity', k)));
  }
  const policy = spec.persistentVolumeReclaimPolicy ?? '';
  if (policy && !RECLAIM_POLICIES.includes(policy)) {
    errs.push(fieldNotSupported('spec.persistentVolumeReclaimPolicy', policy, RECLAIM_POLICIES));
  }
  errs.push(...validateStorageClassName(spec.storageClassName, 'spec'));
  errs.push(...validateSource(spec));
  errs.push(...validateVolumeMode(spec.volumeMode, 'spec'));
  return errs;
}

function validateStatus(pv: PersistentVolume): FieldError[] {
  const phase = pv.status?.phase;
  return phase && !PHASES.includes(phase) ? [fieldNotSupported('status.phase', phase, PHASES)] : [];
}

export function validatePersistentVolume(pv: PersistentVolume): FieldError[] {
  return [...validateObjectMeta(pv.metadata, false, nameIsDNSSubdomain), ...validateSpec(pv)];
}

const source = (spec: Spec) => VOLUME_SOURCES.map((s) => spec[s]);

export function validatePersistentVolumeUpdate(
  next: PersistentVolume,
  old: PersistentVolume,
): FieldError[] {
  const errs = [...validateObjectMetaUpdate(next.metadata, old.metadata), ...validateSpec(next)];
  const n = next.spec ?? {};
  const o = old.spec ?? {};
  if (!deepEqual(source(n), source(o))) {
    errs.push(
      fieldForbidden(
        'spec.persistentvolumesource',
        'spec.persistentvolumesource is immutable after creation',
      ),
    );
  }
  errs.push(...validateImmutableField(n.volumeMode, o.volumeMode, 'volumeMode'));
  if (o.nodeAffinity) {
    errs.push(...validateImmutableField(n.nodeAffinity, o.nodeAffinity, 'nodeAffinity'));
  }
  return errs;
}

const phaseOf = (pv: PersistentVolume): string =>
  pv.metadata.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? '');

const TABLE: readonly TableColumn<PersistentVolume>[] = [
  NAME_COLUMN,
  {
    name: 'Capacity',
    type: 'string',
    priority: 0,
    description:
      "capacity is the description of the persistent volume's resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity",
    cell: (pv) => storageString(pv.spec?.capacity),
  },
  {
    name: 'Access Modes',
    type: 'string',
    priority: 0,
    description:
      'accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes',
    cell: (pv) => accessModesString(pv.spec?.accessModes),
  },
  {
    name: 'Reclaim Policy',
    type: 'string',
    priority: 0,
    description:
      'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming',
    cell: (pv) => pv.spec?.persistentVolumeReclaimPolicy ?? '',
  },
  {
    name: 'Status',
    type: 'string',
    priority: 0,
    description:
      'phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase',
    cell: phaseOf,
  },
  {
    name: 'Claim',
    type: 'string',
    priority: 0,
    description:
      'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding',
    cell: (pv) => {
      const ref = pv.spec?.claimRef;
      return ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '';
    },
  },
  {
    name: 'StorageClass',
    type: 'string',
    priority: 0,
    description: 'StorageClass of the pv',
    cell: (pv) => pv.spec?.storageClassName ?? '',
  },
  {
    name: 'VolumeAttributesClass',
    type: 'string',
    priority: 0,
    description: 'VolumeAttributesClass of the pv',
    cell: (pv) => pv.spec?.volumeAttributesClassName ?? '<unset>',
  },
  {
    name: 'Reason',
    type: 'string',
    priority: 0,
    description:
      'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.',
    cell: (pv) => pv.status?.reason ?? '',
  },
  AGE_COLUMN,
  {
    name: 'VolumeMode',
    type: 'string',
    priority: 1,
    description:
      'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.',
    cell: (pv) => pv.spec?.volumeMode ?? '<unset>',
  },
];

export const PERSISTENT_VOLUME = defineResource<PersistentVolume>({
  discovery: {
    kind: 'PersistentVolume',
    group: '',
    resource: 'persistentvolumes',
    namespaced: false,
    shortNames: ['pv'],
  },
  defaults: defaultPersistentVolume,
  // persistentvolumeStrategy.PrepareForCreate: status starts Pending.
  prepareForCreate: (pv) => ({ ...pv, status: { phase: 'Pending' } }),
  validate: validatePersistentVolume,
  update: { prepareForUpdate: keepStatus, validateUpdate: validatePersistentVolumeUpdate },
  subresources: [
    statusSubresource((next, old) => [
      ...validateObjectMetaUpdate(next.metadata, old.metadata),
      ...validateStatus(next),
    ]),
  ],
  table: TABLE,
  patch: [...OBJECT_META_PATCH],
});
