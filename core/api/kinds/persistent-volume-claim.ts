/**
 * PersistentVolumeClaims (pkg/apis/core/v1/defaults.go SetDefaults_PersistentVolumeClaimSpec;
 * pkg/apis/core/validation/validation.go ValidatePersistentVolumeClaim / ...Update /
 * ...StatusUpdate; pkg/registry/core/persistentvolumeclaim/strategy.go; printers:
 * printPersistentVolumeClaim).
 */
import type { PersistentVolumeClaim as UpstreamPVC } from 'kubernetes-types/core/v1.d.ts';
import {
  fieldForbidden,
  fieldNotSupported,
  fieldRequired,
  key,
  type FieldError,
} from '../field-error.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import { cmp, isQuantityError, parseQuantity } from '../quantity.ts';
import type { Stored } from '../stored.ts';
import {
  AGE_COLUMN,
  conditionsPatch,
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

export type PersistentVolumeClaim = Stored<UpstreamPVC>;
type Spec = NonNullable<PersistentVolumeClaim['spec']>;

const PHASES = ['Bound', 'Lost', 'Pending'];
const IMMUTABLE_SPEC =
  'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';

/** SetDefaults_PersistentVolumeClaimSpec: Filesystem. */
export function defaultPersistentVolumeClaim(pvc: PersistentVolumeClaim): PersistentVolumeClaim {
  const spec = pvc.spec ?? {};
  return { ...pvc, spec: { ...spec, volumeMode: spec.volumeMode ?? 'Filesystem' } };
}

function validateSpec(spec: Spec): FieldError[] {
  const errs = validateAccessModes(spec.accessModes, 'spec');
  errs.push(...validateStorageClassName(spec.storageClassName, 'spec'));
  const storage = spec.resources?.requests?.storage;
  // Upstream's path skips "requests": spec.resources[storage].
  if (storage === undefined) errs.push(fieldRequired(key('spec.resources', 'storage'), ''));
  else errs.push(...validatePositiveQuantity(storage, key('spec.resources', 'storage')));
  errs.push(...validateVolumeMode(spec.volumeMode, 'spec'));
  return errs;
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): FieldError[] {
  return [
    ...validateObjectMeta(pvc.metadata, true, nameIsDNSSubdomain),
    ...validateSpec(pvc.spec ?? {}),
  ];
}

const storageOf = (spec: Spec) => spec.resources?.requests?.storage;

/**
 * ValidatePersistentVolumeClaimUpdate: the spec is fixed once created, except that a bound
 * claim may ask for more storage (never less) and change its volume attributes class.
 */
export function validatePersistentVolumeClaimUpdate(
  next: PersistentVolumeClaim,
  old: PersistentVolumeClaim,
): FieldError[] {
  const errs = [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validatePersistentVolumeClaim(next),
  ];
  const n = next.spec ?? {};
  const o = old.spec ?? {};
  // The volume name may be set once, by the binder.
  const comparable = (s: Spec, bound: boolean): Spec => {
    const { volumeAttributesClassName: _vac, ...rest } = s;
    const requests = bound
      ? { ...s.resources?.requests, storage: storageOf(o) }
      : s.resources?.requests;
    return {
      ...rest,
      volumeName: o.volumeName ? s.volumeName : undefined,
      resources: { ...s.resources, requests },
    } as Spec;
  };
  const bound = old.status?.phase === 'Bound';
  if (!deepEqual(comparable(n, bound), comparable(o, bound))) {
    errs.push(fieldForbidden('spec', IMMUTABLE_SPEC));
  }
  const newStorage = parseQuantity(String(storageOf(n) ?? '0'));
  const oldStorage = parseQuantity(String(storageOf(o) ?? '0'));
  if (
    bound &&
    !isQuantityError(newStorage) &&
    !isQuantityError(oldStorage) &&
    cmp(newStorage, oldStorage) < 0
  ) {
    errs.push(
      fieldForbidden(
        'spec.resources.requests.storage',
        'field can not be less than status.capacity',
      ),
    );
  }
  return errs;
}

function validateStatus(pvc: PersistentVolumeClaim): FieldError[] {
  const phase = pvc.status?.phase;
  const errs: FieldError[] = [];
  if (phase && !PHASES.includes(phase)) errs.push(fieldNotSupported('status.phase', phase, PHASES));
  for (const [k, q] of Object.entries(pvc.status?.capacity ?? {})) {
    errs.push(...validatePositiveQuantity(q, key('status.capacity', k)));
  }
  return errs;
}

const phaseOf = (pvc: PersistentVolumeClaim): string =>
  pvc.metadata.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? '');

const bound = (pvc: PersistentVolumeClaim) => Boolean(pvc.spec?.volumeName);

const TABLE: readonly TableColumn<PersistentVolumeClaim>[] = [
  NAME_COLUMN,
  {
    name: 'Status',
    type: 'string',
    priority: 0,
    description: 'phase represents the current phase of PersistentVolumeClaim.',
    cell: phaseOf,
  },
  {
    name: 'Volume',
    type: 'string',
    priority: 0,
    description: 'volumeName is the binding reference to the PersistentVolume backing this claim.',
    cell: (pvc) => pvc.spec?.volumeName ?? '',
  },
  {
    name: 'Capacity',
    type: 'string',
    priority: 0,
    description: 'capacity represents the actual resources of the underlying volume.',
    cell: (pvc) => (bound(pvc) ? storageString(pvc.status?.capacity) : ''),
  },
  {
    name: 'Access Modes',
    type: 'string',
    priority: 0,
    description:
      'accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1',
    cell: (pvc) => (bound(pvc) ? accessModesString(pvc.status?.accessModes) : ''),
  },
  {
    name: 'StorageClass',
    type: 'string',
    priority: 0,
    description: 'StorageClass of the pvc',
    cell: (pvc) => pvc.spec?.storageClassName ?? '',
  },
  {
    name: 'VolumeAttributesClass',
    type: 'string',
    priority: 0,
    description: 'VolumeAttributesClass of the pvc',
    cell: (pvc) => pvc.spec?.volumeAttributesClassName ?? '<unset>',
  },
  AGE_COLUMN,
  {
    name: 'VolumeMode',
    type: 'string',
    priority: 1,
    description:
      'volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.',
    cell: (pvc) => pvc.spec?.volumeMode ?? '<unset>',
  },
];

export const PERSISTENT_VOLUME_CLAIM = defineResource<PersistentVolumeClaim>({
  discovery: {
    kind: 'PersistentVolumeClaim',
    group: '',
    resource: 'persistentvolumeclaims',
    namespaced: true,
    shortNames: ['pvc'],
  },
  defaults: defaultPersistentVolumeClaim,
  // persistentvolumeclaimStrategy.PrepareForCreate: status starts Pending.
  prepareForCreate: (pvc) => ({ ...pvc, status: { phase: 'Pending' } }),
  validate: validatePersistentVolumeClaim,
  update: { prepareForUpdate: keepStatus, validateUpdate: validatePersistentVolumeClaimUpdate },
  subresources: [
    statusSubresource((next, old) => [
      ...validateObjectMetaUpdate(next.metadata, old.metadata),
      ...validateStatus(next),
    ]),
  ],
  table: TABLE,
  patch: [...OBJECT_META_PATCH, conditionsPatch('status.conditions')],
});
