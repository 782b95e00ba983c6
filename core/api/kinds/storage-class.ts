/**
 * StorageClasses of storage.k8s.io/v1 (pkg/apis/storage/validation/validation.go
 * ValidateStorageClass / ValidateStorageClassUpdate, pkg/apis/storage/v1/defaults.go,
 * pkg/registry/storage/storageclass/strategy.go; printers: printStorageClass). The PV binder
 * provisions for classes naming ksim's simulated provisioner (core/api/volume-binding.ts).
 */
import type { TopologySelectorTerm } from 'kubernetes-types/core/v1.d.ts';
import type { StorageClass as UpstreamStorageClass } from 'kubernetes-types/storage/v1.d.ts';
import { isQualifiedName } from '../content-checks.ts';
import {
  child,
  fieldDuplicate,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooLong,
  index,
  type FieldError,
} from '../field-error.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { DeepReadonly, Stored } from '../stored.ts';
import { AGE_COLUMN, defineResource, NAME_COLUMN } from './common.ts';

export type StorageClass = Stored<UpstreamStorageClass>;

/** storageutil.IsDefaultStorageClassAnnotation and its beta predecessor. */
export const IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

const MAX_PROVISIONER_PARAMETER_SIZE_BYTES = 256 * 1024;
const MAX_PROVISIONER_PARAMETER_COUNT = 512;
const RECLAIM_POLICIES = ['Delete', 'Retain'];
const VOLUME_BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
const utf8 = new TextEncoder();

/** storageutil.IsDefaultAnnotation: what the DefaultStorageClass admission plugin looks for. */
export function isDefaultStorageClass(sc: StorageClass): boolean {
  const a = sc.metadata.annotations ?? {};
  return (
    a[IS_DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_IS_DEFAULT_CLASS_ANNOTATION] === 'true'
  );
}

function validateProvisioner(provisioner: string | undefined): FieldError[] {
  if (!provisioner) return [fieldRequired('provisioner')];
  // Upstream checks, and reports, the lower-cased name.
  const lower = provisioner.toLowerCase();
  return isQualifiedName(lower).map((msg) => fieldInvalid('provisioner', lower, msg));
}

function validateParameters(params: Readonly<Record<string, string>> | undefined): FieldError[] {
  const entries = Object.entries(params ?? {});
  if (entries.length > MAX_PROVISIONER_PARAMETER_COUNT) {
    return [fieldTooLong('parameters', MAX_PROVISIONER_PARAMETER_COUNT)];
  }
  const errs: FieldError[] = [];
  let totalBytes = 0;
  for (const [k, v] of entries) {
    if (k.length < 1) errs.push(fieldInvalid('parameters', k, 'field can not be empty.'));
    totalBytes += utf8.encode(k).byteLength + utf8.encode(v).byteLength;
  }
  if (totalBytes > MAX_PROVISIONER_PARAMETER_SIZE_BYTES) {
    errs.push(fieldTooLong('parameters', MAX_PROVISIONER_PARAMETER_SIZE_BYTES));
  }
  return errs;
}

/**
 * validateAllowedTopologies with ValidateTopologySelectorTerm. Upstream seeds its list of seen
 * terms with one nil map per term, and its semantic equality takes a nil map for an empty one,
 * so a term without expressions is reported as a duplicate once per term: kept as upstream.
 */
function validateAllowedTopologies(
  terms: readonly DeepReadonly<TopologySelectorTerm>[] | undefined,
): FieldError[] {
  const errs: FieldError[] = [];
  const seen: string[] = new Array<string>(terms?.length ?? 0).fill('');
  (terms ?? []).forEach((term, i) => {
    const exprPath = child(index('allowedTopologies', i), 'matchLabelExpressions');
    const exprs = new Map<string, readonly string[]>();
    (term.matchLabelExpressions ?? []).forEach((req, j) => {
      const p = index(exprPath, j);
      const valuesPath = child(p, 'values');
      const values = req.values ?? [];
      if (values.length === 0) errs.push(fieldRequired(valuesPath));
      values.forEach((v, k) => {
        if (values.indexOf(v) < k) errs.push(fieldDuplicate(index(valuesPath, k), v));
      });
      for (const msg of isQualifiedName(req.key)) {
        errs.push(fieldInvalid(child(p, 'key'), req.key, msg));
      }
      if (exprs.has(req.key)) errs.push(fieldDuplicate(child(p, 'key'), req.key));
      exprs.set(req.key, [...new Set(values)].sort());
    });
    const canonical = JSON.stringify([...exprs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    const empty = exprs.size === 0 ? '' : canonical;
    for (const s of seen) if (s === empty) errs.push(fieldDuplicate(exprPath, ''));
    seen.push(empty);
  });
  return errs;
}

export function validateStorageClass(sc: StorageClass): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, false, nameIsDNSSubdomain);
  errs.push(...validateProvisioner(sc.provisioner));
  errs.push(...validateParameters(sc.parameters));
  if (sc.reclaimPolicy && !RECLAIM_POLICIES.includes(sc.reclaimPolicy)) {
    errs.push(fieldNotSupported('reclaimPolicy', sc.reclaimPolicy, RECLAIM_POLICIES));
  }
  if (sc.volumeBindingMode === undefined) errs.push(fieldRequired('volumeBindingMode'));
  else if (!VOLUME_BINDING_MODES.includes(sc.volumeBindingMode)) {
    errs.push(fieldNotSupported('volumeBindingMode', sc.volumeBindingMode, VOLUME_BINDING_MODES));
  }
  errs.push(...validateAllowedTopologies(sc.allowedTopologies));
  return errs;
}

/**
 * What provisioned volumes were made from cannot change: provisioner, parameters, policies
 * (the strategy validates the new object first, then the update).
 */
export function validateStorageClassUpdate(sc: StorageClass, old: StorageClass): FieldError[] {
  const errs = [
    ...validateStorageClass(sc),
    ...validateObjectMetaUpdate(sc.metadata, old.metadata),
  ];
  if (!deepEqual(old.parameters, sc.parameters)) {
    errs.push(fieldForbidden('parameters', 'updates to parameters are forbidden.'));
  }
  if (sc.provisioner !== old.provisioner) {
    errs.push(fieldForbidden('provisioner', 'updates to provisioner are forbidden.'));
  }
  if (sc.reclaimPolicy !== old.reclaimPolicy) {
    errs.push(fieldForbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  }
  errs.push(
    ...validateImmutableField(sc.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode'),
  );
  return errs;
}

export const STORAGE_CLASS = defineResource<StorageClass>({
  discovery: {
    kind: 'StorageClass',
    group: 'storage.k8s.io',
    resource: 'storageclasses',
    namespaced: false,
    shortNames: ['sc'],
  },
  // SetDefaults_StorageClass.
  defaults: (sc) => ({
    ...sc,
    reclaimPolicy: sc.reclaimPolicy ?? 'Delete',
    volumeBindingMode: sc.volumeBindingMode ?? 'Immediate',
  }),
  validate: validateStorageClass,
  update: { prepareForUpdate: (next) => next, validateUpdate: validateStorageClassUpdate },
  table: [
    {
      ...NAME_COLUMN,
      cell: (sc) => `${sc.metadata.name ?? ''}${isDefaultStorageClass(sc) ? ' (default)' : ''}`,
    },
    {
      name: 'Provisioner',
      type: 'string',
      priority: 0,
      description: 'provisioner indicates the type of the provisioner.',
      cell: (sc) => sc.provisioner ?? '',
    },
    {
      name: 'ReclaimPolicy',
      type: 'string',
      priority: 0,
      description:
        'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.',
      cell: (sc) => sc.reclaimPolicy ?? 'Delete',
    },
    {
      name: 'VolumeBindingMode',
      type: 'string',
      priority: 0,
      description:
        'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.',
      cell: (sc) => sc.volumeBindingMode ?? 'Immediate',
    },
    {
      name: 'AllowVolumeExpansion',
      type: 'string',
      priority: 0,
      description: 'allowVolumeExpansion shows whether the storage class allow volume expand.',
      cell: (sc) => sc.allowVolumeExpansion ?? false,
    },
    AGE_COLUMN,
  ],
});
