/**
 * DaemonSets of apps/v1 (pkg/apis/apps/v1/defaults.go SetDefaults_DaemonSet;
 * pkg/apis/apps/validation/validation.go ValidateDaemonSet*; pkg/registry/apps/daemonset/
 * strategy.go; printers: printDaemonSet; tags: staging/src/k8s.io/api/apps/v1/types.go).
 *
 * The internal type's spec.templateGeneration is, in apps/v1, the annotation
 * deprecated.daemonset.template.generation (pkg/apis/apps/v1/conversion.go): the strategy sets
 * it to 1 on create and moves it on by one whenever the pod template changes.
 */
import type {
  DaemonSet as UpstreamDaemonSet,
  DaemonSetSpec as UpstreamDaemonSetSpec,
} from 'kubernetes-types/apps/v1.d.ts';
import {
  child,
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
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { Stored } from '../stored.ts';
import type { WorkloadSpec } from '../workload-types.ts';
import {
  defaultPodTemplate,
  validateNonnegative,
  validatePodTemplateSpec,
  validateSelectorMatchesTemplate,
  validateTemplateRestartAlways,
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
import { isDecremented, validateStatusCounts } from './replicated.ts';
import { containerColumns, formatLabels, selectorColumn } from './workload-columns.ts';

export type DaemonSetSpec = WorkloadSpec<UpstreamDaemonSetSpec>;
export type DaemonSet = Stored<UpstreamDaemonSet, { spec: DaemonSetSpec }>;

export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
const SPEC = 'spec';

/**
 * The template generation the annotation records; 0 when it is absent or not a number (the
 * strategy replaces whatever a client wrote there).
 */
export function templateGeneration(ds: DaemonSet): number {
  const v = Number.parseInt(ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? '', 10);
  return Number.isNaN(v) ? 0 : v;
}

function withTemplateGeneration(ds: DaemonSet, generation: number): DaemonSet {
  const annotations = {
    ...ds.metadata.annotations,
    [TEMPLATE_GENERATION_ANNOTATION]: String(generation),
  };
  return { ...ds, metadata: { ...ds.metadata, annotations } };
}

/** SetDefaults_DaemonSet and the pod template's defaults. */
export function defaultDaemonSet(ds: DaemonSet): DaemonSet {
  const spec: Partial<DaemonSetSpec> = ds.spec ?? {};
  const type = spec.updateStrategy?.type || 'RollingUpdate';
  const rolling = spec.updateStrategy?.rollingUpdate;
  const updateStrategy =
    type === 'RollingUpdate'
      ? {
          ...spec.updateStrategy,
          type,
          rollingUpdate: {
            ...rolling,
            maxUnavailable: rolling?.maxUnavailable ?? 1,
            maxSurge: rolling?.maxSurge ?? 0,
          },
        }
      : { ...spec.updateStrategy, type };
  const template = defaultPodTemplate(spec.template);
  return {
    ...ds,
    spec: {
      ...spec,
      updateStrategy,
      revisionHistoryLimit: spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT,
      ...(template === undefined ? {} : { template }),
    } as DaemonSetSpec,
  };
}

/** ValidateRollingUpdateDaemonSet: exactly one of maxSurge and maxUnavailable is non-zero. */
function validateRollingUpdate(
  ru: { readonly maxUnavailable?: IntOrString; readonly maxSurge?: IntOrString },
  path: string,
): FieldError[] {
  const unavailable = ru.maxUnavailable ?? 0;
  const surge = ru.maxSurge ?? 0;
  const unavailablePath = child(path, 'maxUnavailable');
  const surgePath = child(path, 'maxSurge');
  const errs = [
    ...validatePositiveIntOrPercent(unavailable, unavailablePath),
    ...validatePositiveIntOrPercent(surge, surgePath),
    ...isNotMoreThan100Percent(unavailable, unavailablePath),
    ...isNotMoreThan100Percent(surge, surgePath),
  ];
  const hasUnavailable = intOrPercentValue(unavailable) !== 0;
  const hasSurge = intOrPercentValue(surge) !== 0;
  if (hasUnavailable && hasSurge) {
    errs.push(
      fieldInvalid(
        surgePath,
        intOrStringBadValue(surge),
        'may not be set when maxUnavailable is non-zero',
      ),
    );
  } else if (!hasUnavailable && !hasSurge) {
    errs.push(fieldRequired(unavailablePath, 'cannot be 0 when maxSurge is 0'));
  }
  return errs;
}

function validateUpdateStrategy(
  strategy: DaemonSetSpec['updateStrategy'],
  path: string,
): FieldError[] {
  switch (strategy?.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate':
      return strategy.rollingUpdate === undefined
        ? [fieldRequired(child(path, 'rollingUpdate'), '')]
        : validateRollingUpdate(strategy.rollingUpdate, child(path, 'rollingUpdate'));
    default:
      return [fieldNotSupported(path, strategy, ['RollingUpdate', 'OnDelete'])];
  }
}

/** ValidateDaemonSetSpec: the selector is not required, but an absent one matches no template. */
function validateDaemonSetSpec(spec: Partial<DaemonSetSpec>): FieldError[] {
  const selectorPath = child(SPEC, 'selector');
  const templatePath = child(SPEC, 'template');
  const sel = spec.selector;
  const errs = [
    ...validateLabelSelector(sel, selectorPath),
    ...validateSelectorMatchesTemplate(sel, spec.template, selectorPath, templatePath, undefined),
  ];
  if (
    sel &&
    Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0
  ) {
    errs.push(fieldInvalid(selectorPath, sel, 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(spec.template, templatePath));
  errs.push(...validateTemplateRestartAlways(spec.template, templatePath, 'DaemonSet'));
  errs.push(...validateNonnegative(spec.minReadySeconds, child(SPEC, 'minReadySeconds')));
  errs.push(...validateUpdateStrategy(spec.updateStrategy, child(SPEC, 'updateStrategy')));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, child(SPEC, 'revisionHistoryLimit')));
  return errs;
}

export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  return [
    ...validateObjectMeta(ds.metadata, true, nameIsDNSSubdomain),
    ...validateDaemonSetSpec(ds.spec ?? {}),
  ];
}

/** ValidateDaemonSetUpdate; the strategy keeps templateGeneration consistent by itself. */
export function validateDaemonSetUpdate(next: DaemonSet, old: DaemonSet): FieldError[] {
  return [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateDaemonSetSpec(next.spec ?? {}),
  ];
}

/** ValidateDaemonSetStatusUpdate. */
export function validateDaemonSetStatusUpdate(next: DaemonSet, old: DaemonSet): FieldError[] {
  const s = next.status ?? {
    currentNumberScheduled: 0,
    desiredNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
  };
  const errs = [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateStatusCounts(s, [
      'currentNumberScheduled',
      'numberMisscheduled',
      'desiredNumberScheduled',
      'numberReady',
      'observedGeneration',
      'updatedNumberScheduled',
      'numberAvailable',
      'numberUnavailable',
      'collisionCount',
    ]),
  ];
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

/**
 * daemonSetStrategy.PrepareForUpdate: status and templateGeneration are not the client's; a
 * changed pod template moves templateGeneration on.
 */
function prepareForUpdate(next: DaemonSet, old: DaemonSet): DaemonSet {
  const generation =
    templateGeneration(old) + (deepEqual(next.spec?.template, old.spec?.template) ? 0 : 1);
  return withTemplateGeneration(keepStatus(next, old), generation);
}

function statusCount(description: string, count: (ds: DaemonSet) => number | undefined) {
  return {
    type: 'integer',
    priority: 0,
    description,
    cell: (ds: DaemonSet) => count(ds) ?? 0,
  } as const;
}

const TABLE: readonly TableColumn<DaemonSet>[] = [
  NAME_COLUMN,
  {
    name: 'Desired',
    ...statusCount(
      'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
      (ds) => ds.status?.desiredNumberScheduled,
    ),
  },
  {
    name: 'Current',
    ...statusCount(
      'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
      (ds) => ds.status?.currentNumberScheduled,
    ),
  },
  {
    name: 'Ready',
    ...statusCount(
      'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
      (ds) => ds.status?.numberReady,
    ),
  },
  {
    name: 'Up-to-date',
    ...statusCount(
      'The total number of nodes that are running updated daemon pod',
      (ds) => ds.status?.updatedNumberScheduled,
    ),
  },
  {
    name: 'Available',
    ...statusCount(
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
      (ds) => ds.status?.numberAvailable,
    ),
  },
  {
    name: 'Node Selector',
    type: 'string',
    priority: 0,
    description:
      "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
    cell: (ds) => formatLabels(ds.spec.template?.spec?.nodeSelector),
  },
  AGE_COLUMN,
  ...containerColumns<DaemonSet>((ds) => ds.spec.template),
  selectorColumn<DaemonSet>(
    "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    (ds) => ds.spec.selector,
  ),
];

export const DAEMON_SET = defineResource<DaemonSet>({
  discovery: {
    kind: 'DaemonSet',
    group: 'apps',
    resource: 'daemonsets',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
  },
  defaults: defaultDaemonSet,
  // daemonSetStrategy.PrepareForCreate: status starts empty (its four counts are not
  // omitempty) and templateGeneration starts at 1.
  prepareForCreate: (ds) =>
    withTemplateGeneration(
      {
        ...ds,
        status: {
          currentNumberScheduled: 0,
          numberMisscheduled: 0,
          desiredNumberScheduled: 0,
          numberReady: 0,
        },
      },
      Math.max(templateGeneration(ds), 1),
    ),
  validate: validateDaemonSet,
  update: { prepareForUpdate, validateUpdate: validateDaemonSetUpdate },
  tracksGeneration: true,
  subresources: [statusSubresource(validateDaemonSetStatusUpdate)],
  table: TABLE,
  patch: [
    ...OBJECT_META_PATCH,
    ...objectMetaPatch('spec.template.metadata'),
    ...podSpecPatch('spec.template.spec'),
    conditionsPatch('status.conditions'),
  ],
});
