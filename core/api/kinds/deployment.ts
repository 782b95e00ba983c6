/**
 * Deployments of apps/v1 (pkg/apis/apps/v1/defaults.go SetDefaults_Deployment;
 * pkg/apis/apps/validation/validation.go ValidateDeployment*; pkg/registry/apps/deployment:
 * strategy.go and storage/storage.go with its ScaleREST; printers: printDeployment; tags:
 * staging/src/k8s.io/api/apps/v1/types.go).
 */
import type {
  Deployment as UpstreamDeployment,
  DeploymentSpec as UpstreamDeploymentSpec,
} from 'kubernetes-types/apps/v1.d.ts';
import {
  child,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  type FieldError,
} from '../field-error.ts';
import {
  intOrPercentValue,
  intOrStringBadValue,
  isNotMoreThan100Percent,
  validatePositiveIntOrPercent,
  type IntOrString,
} from '../int-or-string.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import { isSelectorError, labelSelectorAsMatcher } from '../selectors.ts';
import type { Stored } from '../stored.ts';
import type { WorkloadSpec } from '../workload-types.ts';
import {
  defaultPodTemplate,
  validateNonnegative,
  validatePodTemplateSpec,
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
  specChanged,
  STATUS_VERBS,
} from './common.ts';
import type { TableColumn, UpdateStrategy } from './definition.ts';
import { podSpecPatch } from './pod.ts';
import {
  isDecremented,
  scaleSubresource,
  validateBoundedByReplicas,
  validateStatusCounts,
} from './replicated.ts';
import { containerColumns } from './workload-columns.ts';

export type DeploymentSpec = WorkloadSpec<UpstreamDeploymentSpec>;
export type Deployment = Stored<UpstreamDeployment, { spec: DeploymentSpec }>;

const SPEC = 'spec';
const DEFAULT_SURGE_AND_UNAVAILABLE = '25%';
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/** SetDefaults_Deployment and the pod template's defaults. */
export function defaultDeployment(d: Deployment): Deployment {
  const spec: Partial<DeploymentSpec> = d.spec ?? {};
  const type = spec.strategy?.type || 'RollingUpdate';
  const rolling = spec.strategy?.rollingUpdate;
  const strategy =
    type === 'RollingUpdate'
      ? {
          ...spec.strategy,
          type,
          rollingUpdate: {
            ...rolling,
            maxUnavailable: rolling?.maxUnavailable ?? DEFAULT_SURGE_AND_UNAVAILABLE,
            maxSurge: rolling?.maxSurge ?? DEFAULT_SURGE_AND_UNAVAILABLE,
          },
        }
      : { ...spec.strategy, type };
  const template = defaultPodTemplate(spec.template);
  return {
    ...d,
    spec: {
      ...spec,
      replicas: spec.replicas ?? 1,
      strategy,
      revisionHistoryLimit: spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT,
      progressDeadlineSeconds: spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS,
      ...(template === undefined ? {} : { template }),
    } as DeploymentSpec,
  };
}

/** ValidateRollingUpdateDeployment: both int-or-percent, not both 0, maxUnavailable ≤ 100%. */
function validateRollingUpdate(
  ru: { readonly maxUnavailable?: IntOrString; readonly maxSurge?: IntOrString },
  path: string,
): FieldError[] {
  const unavailable = ru.maxUnavailable ?? 0;
  const surge = ru.maxSurge ?? 0;
  const errs = [
    ...validatePositiveIntOrPercent(unavailable, child(path, 'maxUnavailable')),
    ...validatePositiveIntOrPercent(surge, child(path, 'maxSurge')),
  ];
  if (intOrPercentValue(unavailable) === 0 && intOrPercentValue(surge) === 0) {
    errs.push(
      fieldInvalid(
        child(path, 'maxUnavailable'),
        intOrStringBadValue(unavailable),
        'may not be 0 when `maxSurge` is 0',
      ),
    );
  }
  errs.push(...isNotMoreThan100Percent(unavailable, child(path, 'maxUnavailable')));
  return errs;
}

/** ValidateDeploymentStrategy. */
function validateStrategy(strategy: DeploymentSpec['strategy'], path: string): FieldError[] {
  switch (strategy?.type) {
    case 'Recreate':
      return strategy.rollingUpdate === undefined
        ? []
        : [
            fieldForbidden(
              child(path, 'rollingUpdate'),
              "may not be specified when strategy `type` is 'Recreate'",
            ),
          ];
    case 'RollingUpdate':
      return strategy.rollingUpdate === undefined
        ? [fieldRequired(child(path, 'rollingUpdate'), 'this should be defaulted and never be nil')]
        : validateRollingUpdate(strategy.rollingUpdate, child(path, 'rollingUpdate'));
    default:
      return [fieldNotSupported(path, strategy, ['Recreate', 'RollingUpdate'])];
  }
}

/** ValidateDeploymentSpec. */
function validateDeploymentSpec(spec: Partial<DeploymentSpec>): FieldError[] {
  const selectorPath = child(SPEC, 'selector');
  const templatePath = child(SPEC, 'template');
  const errs = [
    ...validateNonnegative(spec.replicas, child(SPEC, 'replicas')),
    ...validateWorkloadSelector(spec.selector, selectorPath, 'deployment'),
    ...validateSelectorMatchesTemplate(
      spec.selector,
      spec.template,
      selectorPath,
      templatePath,
      'invalid label selector',
    ),
  ];
  // ValidatePodTemplateSpecForReplicaSet, whose messages name ReplicaSets.
  errs.push(...validatePodTemplateSpec(spec.template, templatePath));
  errs.push(...validateTemplateRestartAlways(spec.template, templatePath, 'ReplicaSet'));
  errs.push(...validateStrategy(spec.strategy, child(SPEC, 'strategy')));
  errs.push(...validateNonnegative(spec.minReadySeconds, child(SPEC, 'minReadySeconds')));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, child(SPEC, 'revisionHistoryLimit')));
  const deadline = spec.progressDeadlineSeconds;
  if (deadline !== undefined) {
    const path = child(SPEC, 'progressDeadlineSeconds');
    errs.push(...validateNonnegative(deadline, path));
    if (deadline <= (spec.minReadySeconds ?? 0)) {
      errs.push(fieldInvalid(path, deadline, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export function validateDeployment(d: Deployment): FieldError[] {
  return [
    ...validateObjectMeta(d.metadata, true, nameIsDNSSubdomain),
    ...validateDeploymentSpec(d.spec ?? {}),
  ];
}

/** ValidateDeploymentUpdate, and the strategy's immutable selector of apps/v1. */
export function validateDeploymentUpdate(next: Deployment, old: Deployment): FieldError[] {
  return [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateDeploymentSpec(next.spec ?? {}),
    ...validateImmutableField(next.spec?.selector, old.spec?.selector, child(SPEC, 'selector')),
  ];
}

/** ValidateDeploymentStatusUpdate. */
export function validateDeploymentStatusUpdate(next: Deployment, old: Deployment): FieldError[] {
  const s = next.status ?? {};
  const errs = [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateStatusCounts(s, [
      'observedGeneration',
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
      'collisionCount',
    ]),
  ];
  errs.push(
    ...validateBoundedByReplicas(s.replicas ?? 0, [
      ['updatedReplicas', s.updatedReplicas],
      ['readyReplicas', s.readyReplicas],
      ['availableReplicas', s.availableReplicas],
    ]),
  );
  if ((s.availableReplicas ?? 0) > (s.readyReplicas ?? 0)) {
    errs.push(
      fieldInvalid(
        child('status', 'availableReplicas'),
        s.availableReplicas,
        'cannot be greater than readyReplicas',
      ),
    );
  }
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

/** deploymentStatusStrategy.PrepareForUpdate: spec and labels belong to the main path. */
const STATUS_STRATEGY: UpdateStrategy<Deployment> = {
  prepareForUpdate: (next, old) => ({
    ...next,
    spec: old.spec,
    metadata: withLabelsOf(next.metadata, old.metadata),
  }),
  validateUpdate: validateDeploymentStatusUpdate,
};

function withLabelsOf<M extends { readonly labels?: Readonly<Record<string, string>> }>(
  next: M,
  old: M,
): M {
  const { labels: _dropped, ...rest } = next;
  return (old.labels === undefined ? rest : { ...rest, labels: old.labels }) as M;
}

const TABLE: readonly TableColumn<Deployment>[] = [
  NAME_COLUMN,
  {
    name: 'Ready',
    type: 'string',
    priority: 0,
    description: 'Number of the pod with ready state',
    cell: (d) => `${d.status?.readyReplicas ?? 0}/${d.spec.replicas ?? 0}`,
  },
  {
    name: 'Up-to-date',
    type: 'string',
    priority: 0,
    description:
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    cell: (d) => d.status?.updatedReplicas ?? 0,
  },
  {
    name: 'Available',
    type: 'string',
    priority: 0,
    description:
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
    cell: (d) => d.status?.availableReplicas ?? 0,
  },
  AGE_COLUMN,
  ...containerColumns<Deployment>((d) => d.spec.template),
  {
    name: 'Selector',
    type: 'string',
    priority: 1,
    description:
      "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.",
    // labels.Selector.String(), not FormatLabelSelector: "" for an empty selector.
    cell: (d) => {
      const m = labelSelectorAsMatcher(d.spec.selector);
      return isSelectorError(m) ? '<invalid>' : m.toString();
    },
  },
];

export const DEPLOYMENT = defineResource<Deployment>({
  discovery: {
    kind: 'Deployment',
    group: 'apps',
    resource: 'deployments',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
  },
  defaults: defaultDeployment,
  // deploymentStrategy.PrepareForCreate: status starts empty.
  prepareForCreate: (d) => ({ ...d, status: {} }),
  validate: validateDeployment,
  update: { prepareForUpdate: keepStatus, validateUpdate: validateDeploymentUpdate },
  tracksGeneration: true,
  // Annotations count too: the controller copies them to the Deployment's ReplicaSets.
  generationChanged: (next, old) =>
    specChanged(next, old) || !deepEqual(next.metadata.annotations, old.metadata.annotations),
  subresources: [
    { kind: 'strategy', name: 'status', verbs: STATUS_VERBS, strategy: STATUS_STRATEGY },
    scaleSubresource<Deployment>(
      (d) => d.status?.replicas ?? 0,
      (d, replicas) => ({ ...d, spec: { ...d.spec, replicas } }),
    ),
  ],
  table: TABLE,
  patch: [
    ...OBJECT_META_PATCH,
    { path: 'spec.strategy', patchStrategy: 'retainKeys' },
    ...objectMetaPatch('spec.template.metadata'),
    ...podSpecPatch('spec.template.spec'),
    conditionsPatch('status.conditions'),
  ],
});
