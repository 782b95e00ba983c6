/**
 * StatefulSets of apps/v1 (pkg/apis/apps/v1/defaults.go SetDefaults_StatefulSet;
 * pkg/apis/apps/validation/validation.go ValidateStatefulSet*; pkg/registry/apps/statefulset:
 * strategy.go and storage/storage.go with its ScaleREST; printers: printStatefulSet; tags:
 * staging/src/k8s.io/api/apps/v1/types.go).
 *
 * Validation is 1.32's, plus two checks of later releases a user's manifests benefit from: a
 * serviceName must be a DNS label (1.33, kubernetes#130233, ratcheting: a stored invalid name
 * may stay) and each volumeClaimTemplate must be a claim the controller can create.
 */
import type { FeatureGates } from '../feature-gates.ts';
import type {
  StatefulSet as UpstreamStatefulSet,
  StatefulSetSpec as UpstreamStatefulSetSpec,
} from 'kubernetes-types/apps/v1.d.ts';
import {
  child,
  fieldDuplicate,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  index,
  key,
  type FieldError,
} from '../field-error.ts';
import {
  intOrPercentValue,
  intOrStringBadValue,
  isNotMoreThan100Percent,
  validatePositiveIntOrPercent,
} from '../int-or-string.ts';
import {
  deepEqual,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateAnnotations,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import { isQuantityError, parseQuantity, sign } from '../quantity.ts';
import type { Stored } from '../stored.ts';
import type { WorkloadSpec } from '../workload-types.ts';
import {
  defaultPodTemplate,
  validateNonnegative,
  validateSelectorMatchesTemplate,
  validateTemplateRestartAlways,
  validateWorkloadSelector,
} from '../workload-validation.ts';
import {
  AGE_COLUMN,
  conditionsPatch,
  defineResource,
  keepStatus,
  NAME_COLUMN,
  OBJECT_META_PATCH,
  objectMetaPatch,
  statusSubresource,
} from './common.ts';
import type { TableColumn } from './definition.ts';
import { DEFAULT_REVISION_HISTORY_LIMIT } from './deployment.ts';
import { podSpecPatch } from './pod.ts';
import {
  isDecremented,
  scaleSubresource,
  validateBoundedByReplicas,
  validateStatusCounts,
} from './replicated.ts';
import { containerColumns } from './workload-columns.ts';

export type StatefulSetSpec = WorkloadSpec<UpstreamStatefulSetSpec>;
export type StatefulSet = Stored<UpstreamStatefulSet, { spec: StatefulSetSpec }>;
type ClaimTemplate = NonNullable<StatefulSetSpec['volumeClaimTemplates']>[number];

const SPEC = 'spec';
const POD_MANAGEMENT_POLICIES = ['OrderedReady', 'Parallel'];
const RETENTION_POLICIES = ['Retain', 'Delete'];
const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const UPDATE_FORBIDDEN =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
/** The spec fields an update may change; anything else must stay as stored. */
const UPDATABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
] as const;

/**
 * SetDefaults_StatefulSet, the template's pod defaults, and the claim templates' own defaults
 * (an embedded PersistentVolumeClaim carries its kind and is defaulted as one).
 */
export function defaultStatefulSet(ss: StatefulSet): StatefulSet {
  const spec: Partial<StatefulSetSpec> = ss.spec ?? {};
  const type = spec.updateStrategy?.type || 'RollingUpdate';
  const rolling =
    spec.updateStrategy?.type || spec.updateStrategy?.rollingUpdate !== undefined
      ? spec.updateStrategy?.rollingUpdate
      : {};
  const updateStrategy = {
    ...spec.updateStrategy,
    type,
    ...(type === 'RollingUpdate' && rolling !== undefined
      ? { rollingUpdate: { ...rolling, partition: rolling.partition ?? 0 } }
      : {}),
  };
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  const template = defaultPodTemplate(spec.template);
  return {
    ...ss,
    spec: {
      ...spec,
      podManagementPolicy: spec.podManagementPolicy || 'OrderedReady',
      updateStrategy,
      persistentVolumeClaimRetentionPolicy: {
        ...retention,
        whenDeleted: retention?.whenDeleted || 'Retain',
        whenScaled: retention?.whenScaled || 'Retain',
      },
      replicas: spec.replicas ?? 1,
      revisionHistoryLimit: spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT,
      ...(template === undefined ? {} : { template }),
      ...(spec.volumeClaimTemplates === undefined
        ? {}
        : { volumeClaimTemplates: spec.volumeClaimTemplates.map(defaultClaimTemplate) }),
    } as StatefulSetSpec,
  };
}

function defaultClaimTemplate(c: ClaimTemplate): ClaimTemplate {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    ...c,
    spec: { ...c.spec, volumeMode: c.spec?.volumeMode ?? 'Filesystem' },
    status: { ...c.status, phase: c.status?.phase || 'Pending' },
  };
}

/**
 * dropStatefulSetDisabledFields: rollingUpdate.maxUnavailable needs the MaxUnavailableStatefulSet
 * gate (alpha, off by default in 1.32), so without it the field is dropped unless the stored
 * object already uses it.
 */
function dropMaxUnavailable(
  ss: StatefulSet,
  old: StatefulSet | undefined,
  gates: FeatureGates,
): StatefulSet {
  const rolling = ss.spec?.updateStrategy?.rollingUpdate;
  if (rolling?.maxUnavailable === undefined) return ss;
  if (gates.enabled('MaxUnavailableStatefulSet')) return ss;
  if (old?.spec?.updateStrategy?.rollingUpdate?.maxUnavailable !== undefined) return ss;
  const { maxUnavailable: _dropped, ...kept } = rolling;
  return {
    ...ss,
    spec: { ...ss.spec, updateStrategy: { ...ss.spec.updateStrategy, rollingUpdate: kept } },
  };
}

function validateUpdateStrategy(
  strategy: StatefulSetSpec['updateStrategy'],
  path: string,
): FieldError[] {
  const rolling = strategy?.rollingUpdate;
  switch (strategy?.type) {
    case undefined:
    case '':
      return [fieldRequired(path, '')];
    case 'OnDelete':
      return rolling === undefined
        ? []
        : [
            fieldInvalid(
              child(path, 'rollingUpdate'),
              rolling,
              "only allowed for updateStrategy 'RollingUpdate'",
            ),
          ];
    case 'RollingUpdate': {
      if (rolling === undefined) return [];
      const rollingPath = child(path, 'rollingUpdate');
      const errs = validateNonnegative(rolling.partition, child(rollingPath, 'partition'));
      const mu = rolling.maxUnavailable;
      if (mu !== undefined) {
        const muPath = child(rollingPath, 'maxUnavailable');
        errs.push(...validatePositiveIntOrPercent(mu, muPath));
        if (intOrPercentValue(mu) === 0) {
          errs.push(fieldInvalid(muPath, intOrStringBadValue(mu), 'cannot be 0'));
        }
        errs.push(...isNotMoreThan100Percent(mu, muPath));
      }
      return errs;
    }
    default:
      return [fieldInvalid(path, strategy, "must be 'RollingUpdate' or 'OnDelete'")];
  }
}

function validateRetentionPolicy(
  policy: StatefulSetSpec['persistentVolumeClaimRetentionPolicy'],
  path: string,
): FieldError[] {
  if (policy === undefined) return [];
  return (['whenDeleted', 'whenScaled'] as const)
    .filter((f) => !RETENTION_POLICIES.includes(policy[f] ?? ''))
    .map((f) => fieldNotSupported(child(path, f), policy[f] ?? '', RETENTION_POLICIES));
}

/**
 * The claim templates: each is named uniquely and asks for an access mode and a positive
 * amount of storage (the parts of ValidatePersistentVolumeClaimSpec a template must pass for
 * the controller's claims to be created).
 */
function validateClaimTemplates(
  templates: readonly ClaimTemplate[] | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (templates ?? []).forEach((c, i) => {
    const p = index(path, i);
    const namePath = child(child(p, 'metadata'), 'name');
    const name = c.metadata?.name ?? '';
    if (!name) errs.push(fieldRequired(namePath, ''));
    for (const msg of name ? nameIsDNSSubdomain(name, false) : []) {
      errs.push(fieldInvalid(namePath, name, msg));
    }
    if (name && names.has(name)) errs.push(fieldDuplicate(namePath, name));
    names.add(name);
    const specPath = child(p, 'spec');
    const modes = c.spec?.accessModes ?? [];
    if (modes.length === 0) {
      errs.push(
        fieldRequired(child(specPath, 'accessModes'), 'at least 1 access mode is required'),
      );
    }
    for (const m of modes) {
      if (!ACCESS_MODES.includes(m)) {
        errs.push(fieldNotSupported(child(specPath, 'accessModes'), m, ACCESS_MODES));
      }
    }
    const storagePath = key(child(specPath, 'resources'), 'storage');
    const storage = c.spec?.resources?.requests?.storage;
    const q = storage === undefined ? undefined : parseQuantity(String(storage));
    if (q === undefined) errs.push(fieldRequired(storagePath, ''));
    else if (isQuantityError(q)) errs.push(fieldInvalid(storagePath, storage, q.reason));
    else if (sign(q) <= 0)
      errs.push(fieldInvalid(storagePath, storage, 'must be greater than zero'));
  });
  return errs;
}

/** ValidateStatefulSetSpec; `allowInvalidServiceName` ratchets a stored invalid name. */
function validateStatefulSetSpec(
  spec: Partial<StatefulSetSpec>,
  allowInvalidServiceName: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  const policy = spec.podManagementPolicy;
  if (!policy) errs.push(fieldRequired(child(SPEC, 'podManagementPolicy'), ''));
  else if (!POD_MANAGEMENT_POLICIES.includes(policy)) {
    errs.push(
      fieldInvalid(
        child(SPEC, 'podManagementPolicy'),
        policy,
        "must be 'OrderedReady' or 'Parallel'",
      ),
    );
  }
  errs.push(...validateUpdateStrategy(spec.updateStrategy, child(SPEC, 'updateStrategy')));
  errs.push(
    ...validateRetentionPolicy(
      spec.persistentVolumeClaimRetentionPolicy,
      child(SPEC, 'persistentVolumeClaimRetentionPolicy'),
    ),
  );
  errs.push(...validateNonnegative(spec.replicas, child(SPEC, 'replicas')));
  errs.push(...validateNonnegative(spec.minReadySeconds, child(SPEC, 'minReadySeconds')));
  errs.push(...validateNonnegative(spec.ordinals?.start, child(SPEC, 'ordinals.start')));
  const selectorPath = child(SPEC, 'selector');
  const templatePath = child(SPEC, 'template');
  errs.push(...validateWorkloadSelector(spec.selector, selectorPath, 'statefulset'));
  errs.push(
    ...validateSelectorMatchesTemplate(
      spec.selector,
      spec.template,
      selectorPath,
      templatePath,
      '',
    ),
  );
  // ValidatePodTemplateSpecForStatefulSet checks the template's metadata, not its pod spec:
  // the controller's pod creation reports a bad pod.
  errs.push(...validateLabels(spec.template?.metadata?.labels, child(templatePath, 'labels')));
  errs.push(
    ...validateAnnotations(
      spec.template?.metadata?.annotations,
      child(templatePath, 'annotations'),
    ),
  );
  errs.push(...validateTemplateRestartAlways(spec.template, templatePath, 'StatefulSet'));
  if (spec.serviceName && !allowInvalidServiceName) {
    for (const msg of nameIsDNSLabel(spec.serviceName, false)) {
      errs.push(fieldInvalid(child(SPEC, 'serviceName'), spec.serviceName, msg));
    }
  }
  errs.push(
    ...validateClaimTemplates(spec.volumeClaimTemplates, child(SPEC, 'volumeClaimTemplates')),
  );
  return errs;
}

export function validateStatefulSet(ss: StatefulSet): FieldError[] {
  return [
    ...validateObjectMeta(ss.metadata, true, nameIsDNSLabel),
    ...validateStatefulSetSpec(ss.spec ?? {}, false),
  ];
}

/**
 * ValidateStatefulSetUpdate: the name is not validated again (older releases allowed DNS
 * subdomains), and only the UPDATABLE fields may change.
 */
export function validateStatefulSetUpdate(next: StatefulSet, old: StatefulSet): FieldError[] {
  const serviceName = old.spec?.serviceName;
  const allowInvalidServiceName =
    serviceName !== undefined && nameIsDNSLabel(serviceName, false).length > 0;
  const errs = [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateStatefulSetSpec(next.spec ?? {}, allowInvalidServiceName),
  ];
  const fixed = (spec: Partial<StatefulSetSpec> | undefined) => {
    const rest: Record<string, unknown> = { ...spec };
    for (const f of UPDATABLE) delete rest[f];
    return rest;
  };
  if (!deepEqual(fixed(next.spec), fixed(old.spec))) {
    errs.push(fieldForbidden(SPEC, UPDATE_FORBIDDEN));
  }
  return errs;
}

/** ValidateStatefulSetStatusUpdate. */
export function validateStatefulSetStatusUpdate(next: StatefulSet, old: StatefulSet): FieldError[] {
  const s = next.status ?? { replicas: 0 };
  const errs = [
    ...validateStatusCounts(s, [
      'replicas',
      'readyReplicas',
      'currentReplicas',
      'updatedReplicas',
      'availableReplicas',
      'observedGeneration',
      'collisionCount',
    ]),
    ...validateBoundedByReplicas(s.replicas, [
      ['readyReplicas', s.readyReplicas],
      ['currentReplicas', s.currentReplicas],
      ['updatedReplicas', s.updatedReplicas],
      ['availableReplicas', s.availableReplicas],
    ]),
  ];
  if ((s.availableReplicas ?? 0) > (s.readyReplicas ?? 0)) {
    errs.push(
      fieldInvalid(
        child('status', 'availableReplicas'),
        s.availableReplicas,
        'cannot be greater than status.readyReplicas',
      ),
    );
  }
  errs.push(...validateObjectMetaUpdate(next.metadata, old.metadata));
  if (isDecremented(s.collisionCount, old.status?.collisionCount)) {
    errs.push(
      fieldInvalid(
        child('status', 'collisionCount'),
        s.collisionCount ?? 0,
        'cannot be decremented',
      ),
    );
  }
  return errs;
}

const TABLE: readonly TableColumn<StatefulSet>[] = [
  NAME_COLUMN,
  {
    name: 'Ready',
    type: 'string',
    priority: 0,
    description: 'Number of the pod with ready state',
    cell: (ss) => `${ss.status?.readyReplicas ?? 0}/${ss.spec.replicas ?? 0}`,
  },
  AGE_COLUMN,
  ...containerColumns<StatefulSet>((ss) => ss.spec.template),
];

export const STATEFUL_SET = defineResource<StatefulSet>({
  discovery: {
    kind: 'StatefulSet',
    group: 'apps',
    resource: 'statefulsets',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
  },
  defaults: defaultStatefulSet,
  // statefulSetStrategy.PrepareForCreate: status starts empty (replicas and availableReplicas
  // are not omitempty).
  prepareForCreate: (ss, gates) => ({
    ...dropMaxUnavailable(ss, undefined, gates),
    status: { replicas: 0, availableReplicas: 0 },
  }),
  validate: validateStatefulSet,
  update: {
    prepareForUpdate: (next, old, gates) => keepStatus(dropMaxUnavailable(next, old, gates), old),
    validateUpdate: validateStatefulSetUpdate,
  },
  tracksGeneration: true,
  subresources: [
    statusSubresource(validateStatefulSetStatusUpdate),
    scaleSubresource<StatefulSet>(
      (ss) => ss.status?.replicas ?? 0,
      (ss, replicas) => ({ ...ss, spec: { ...ss.spec, replicas } }),
    ),
  ],
  table: TABLE,
  patch: [
    ...OBJECT_META_PATCH,
    ...objectMetaPatch('spec.template.metadata'),
    ...podSpecPatch('spec.template.spec'),
    conditionsPatch('status.conditions'),
  ],
});
