/**
 * ReplicationControllers (pkg/apis/core/v1/defaults.go SetDefaults_ReplicationController;
 * pkg/apis/core/validation/validation.go ValidateReplicationController / ...Update /
 * ...StatusUpdate; pkg/registry/core/replicationcontroller: strategy.go and storage.go with its
 * ScaleREST, autoscaling/v1 Scale; printers: printReplicationController).
 */
import type { ReplicationController as UpstreamRC } from 'kubernetes-types/core/v1.d.ts';
import { IS_NEGATIVE_ERROR } from '../content-checks.ts';
import {
  asGoMap,
  child,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  type FieldError,
} from '../field-error.ts';
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import {
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { PodTemplateSpec } from '../pod-types.ts';
import { selectorFromSet } from '../selectors.ts';
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
  defaultTemplate,
  templateColumns,
  templatePatch,
  validatePodTemplateSpec,
} from './pod-template.ts';
import { formatLabels } from './service.ts';

type UpstreamSpec = NonNullable<UpstreamRC['spec']>;
type Spec = Omit<UpstreamSpec, 'template'> & { readonly template?: PodTemplateSpec };

export type ReplicationController = Stored<UpstreamRC, { readonly spec?: Spec }>;
type Status = NonNullable<ReplicationController['status']>;

const specOf = (rc: ReplicationController): Spec => rc.spec ?? {};
const replicasOf = (rc: ReplicationController): number => specOf(rc).replicas ?? 1;

/** SetDefaults_ReplicationController: selector and labels from the template, one replica. */
export function defaultReplicationController(rc: ReplicationController): ReplicationController {
  const spec = specOf(rc);
  const labels = spec.template?.metadata?.labels;
  const hasLabels = labels !== undefined && labels !== null;
  const selector =
    hasLabels && Object.keys(spec.selector ?? {}).length === 0 ? labels : spec.selector;
  const metaLabels =
    hasLabels && Object.keys(rc.metadata.labels ?? {}).length === 0 ? labels : rc.metadata.labels;
  return {
    ...rc,
    metadata: metaLabels === undefined ? rc.metadata : { ...rc.metadata, labels: metaLabels },
    spec: {
      ...spec,
      ...(selector === undefined ? {} : { selector }),
      replicas: spec.replicas ?? 1,
      ...(spec.template === undefined ? {} : { template: defaultTemplate(spec.template) }),
    },
  };
}

const nonNegative = (value: number | undefined, path: string): FieldError[] =>
  (value ?? 0) < 0 ? [fieldInvalid(path, value, IS_NEGATIVE_ERROR)] : [];

/** ValidatePodTemplateSpecForRC. */
function validateTemplateForRC(spec: Spec): FieldError[] {
  const path = 'spec.template';
  const template = spec.template;
  if (template === undefined || template === null) return [fieldRequired(path, '')];
  const errs: FieldError[] = [];
  const selector = spec.selector ?? {};
  const labels = template.metadata?.labels ?? {};
  if (Object.keys(selector).length > 0 && !selectorFromSet(selector).matches(labels)) {
    errs.push(
      fieldInvalid(
        'spec.template.metadata.labels',
        asGoMap({ ...labels }),
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(...validatePodTemplateSpec(template, path));
  const restartPolicy = template.spec?.restartPolicy ?? '';
  if (restartPolicy !== 'Always') {
    errs.push(fieldNotSupported('spec.template.spec.restartPolicy', restartPolicy, ['Always']));
  }
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      fieldForbidden(
        'spec.template.spec.activeDeadlineSeconds',
        'activeDeadlineSeconds in ReplicationController is not Supported',
      ),
    );
  }
  return errs;
}

function validateSpec(spec: Spec): FieldError[] {
  const errs = nonNegative(spec.minReadySeconds, 'spec.minReadySeconds');
  if (Object.keys(spec.selector ?? {}).length === 0) errs.push(fieldRequired('spec.selector', ''));
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateTemplateForRC(spec));
  return errs;
}

export function validateReplicationController(rc: ReplicationController): FieldError[] {
  return [
    ...validateObjectMeta(rc.metadata, true, nameIsDNSSubdomain),
    ...validateSpec(specOf(rc)),
  ];
}

export function validateReplicationControllerUpdate(
  next: ReplicationController,
  old: ReplicationController,
): FieldError[] {
  return [...validateObjectMetaUpdate(next.metadata, old.metadata), ...validateSpec(specOf(next))];
}

/** ValidateReplicationControllerStatus. */
export function validateReplicationControllerStatus(status: Status | undefined): FieldError[] {
  const s: Partial<Status> = status ?? {};
  const replicas = s.replicas ?? 0;
  const errs = [
    ...nonNegative(s.replicas, 'status.replicas'),
    ...nonNegative(s.fullyLabeledReplicas, 'status.fullyLabeledReplicas'),
    ...nonNegative(s.readyReplicas, 'status.readyReplicas'),
    ...nonNegative(s.availableReplicas, 'status.availableReplicas'),
    ...nonNegative(s.observedGeneration, 'status.observedGeneration'),
  ];
  const msg = 'cannot be greater than status.replicas';
  for (const f of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'] as const) {
    const v = s[f] ?? 0;
    if (v > replicas) errs.push(fieldInvalid(child('status', f), v, msg));
  }
  if ((s.availableReplicas ?? 0) > (s.readyReplicas ?? 0)) {
    errs.push(
      fieldInvalid(
        'status.availableReplicas',
        s.availableReplicas,
        'cannot be greater than readyReplicas',
      ),
    );
  }
  return errs;
}

const TABLE: readonly TableColumn<ReplicationController>[] = [
  NAME_COLUMN,
  {
    name: 'Desired',
    type: 'integer',
    priority: 0,
    description:
      'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
    cell: replicasOf,
  },
  {
    name: 'Current',
    type: 'integer',
    priority: 0,
    description:
      'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
    cell: (rc) => rc.status?.replicas ?? 0,
  },
  {
    name: 'Ready',
    type: 'integer',
    priority: 0,
    description: 'The number of ready replicas for this replication controller.',
    cell: (rc) => rc.status?.readyReplicas ?? 0,
  },
  AGE_COLUMN,
  ...templateColumns<ReplicationController>((rc) => specOf(rc).template, 1),
  {
    name: 'Selector',
    type: 'string',
    priority: 1,
    description:
      'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    cell: (rc) => formatLabels(specOf(rc).selector),
  },
];

export const REPLICATION_CONTROLLER = defineResource<ReplicationController>({
  discovery: {
    kind: 'ReplicationController',
    group: '',
    resource: 'replicationcontrollers',
    namespaced: true,
    shortNames: ['rc'],
    categories: ['all'],
  },
  defaults: defaultReplicationController,
  // rcStrategy.PrepareForCreate: status starts empty (replicas is not omitempty).
  prepareForCreate: (rc) => ({ ...rc, status: { replicas: 0 } }),
  validate: validateReplicationController,
  update: { prepareForUpdate: keepStatus, validateUpdate: validateReplicationControllerUpdate },
  tracksGeneration: true,
  subresources: [
    statusSubresource((next, old) => [
      ...validateObjectMetaUpdate(next.metadata, old.metadata),
      ...validateReplicationControllerStatus(next.status),
    ]),
    {
      kind: 'scale',
      name: 'scale',
      verbs: ['get', 'patch', 'update'],
      specReplicas: replicasOf,
      statusReplicas: (rc) => rc.status?.replicas ?? 0,
      selector: (rc) => ({ matchLabels: { ...specOf(rc).selector } }),
      withSpecReplicas: (rc, replicas) => ({ ...rc, spec: { ...specOf(rc), replicas } }),
    },
  ],
  table: TABLE,
  fieldSelectors: [...OBJECT_META_FIELD_LABELS, 'status.replicas'],
  fields: (rc) => ({
    ...objectMetaFields(rc.metadata),
    'status.replicas': String(rc.status?.replicas ?? 0),
  }),
  patch: [
    ...OBJECT_META_PATCH,
    ...templatePatch('spec.template'),
    conditionsPatch('status.conditions'),
  ],
});
