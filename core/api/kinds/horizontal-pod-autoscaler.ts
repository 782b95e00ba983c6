/**
 * HorizontalPodAutoscalers of autoscaling/v2 (pkg/apis/autoscaling/v2/defaults.go;
 * pkg/apis/autoscaling/validation/validation.go ValidateHorizontalPodAutoscaler*;
 * pkg/registry/autoscaling/horizontalpodautoscaler/strategy.go; printers:
 * printHorizontalPodAutoscaler and formatHPAMetrics).
 */
import type {
  CrossVersionObjectReference,
  HPAScalingRules,
  HorizontalPodAutoscaler as UpstreamHorizontalPodAutoscaler,
  HorizontalPodAutoscalerSpec,
  MetricIdentifier,
  MetricSpec,
  MetricStatus,
  MetricTarget,
} from 'kubernetes-types/autoscaling/v2.d.ts';
import { isDNS1123Label } from '../content-checks.ts';
import {
  child,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  index,
  type FieldError,
} from '../field-error.ts';
import {
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import { isQuantityError, parseQuantity, sign } from '../quantity.ts';
import type { DeepReadonly, Stored } from '../stored.ts';
import { validateNonnegative } from '../workload-validation.ts';
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

type Spec = DeepReadonly<HorizontalPodAutoscalerSpec>;
export type HorizontalPodAutoscaler = Stored<UpstreamHorizontalPodAutoscaler, { spec: Spec }>;
type Metric = DeepReadonly<MetricSpec>;
type Target = DeepReadonly<MetricTarget>;

export const DEFAULT_CPU_UTILIZATION = 80;
const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
const METRIC_SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Percent', 'Pods'];
/** The spec members that name a source, in the order validateMetricSpec visits them. */
const SOURCE_FIELDS = ['object', 'external', 'pods', 'resource', 'containerResource'] as const;
type SourceField = (typeof SOURCE_FIELDS)[number];
const SOURCE_OF_TYPE: Readonly<Record<string, SourceField>> = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  External: 'external',
  ContainerResource: 'containerResource',
};

const DEFAULT_SCALE_UP: DeepReadonly<HPAScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
// No stabilization window: the controller manager's --horizontal-pod-autoscaler-downscale-stabilization applies.
const DEFAULT_SCALE_DOWN: DeepReadonly<HPAScalingRules> = {
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

/** copyHPAScalingRules over the defaults: what the user set wins, member by member. */
function scalingRules(
  rules: DeepReadonly<HPAScalingRules> | undefined,
  defaults: DeepReadonly<HPAScalingRules>,
): DeepReadonly<HPAScalingRules> {
  return {
    ...defaults,
    ...Object.fromEntries(Object.entries(rules ?? {}).filter(([, v]) => v !== undefined)),
  };
}

/** SetDefaults_HorizontalPodAutoscaler: minReplicas 1, CPU at 80% and complete behavior rules. */
export function defaultHorizontalPodAutoscaler(
  hpa: HorizontalPodAutoscaler,
): HorizontalPodAutoscaler {
  const spec: Partial<Spec> = hpa.spec ?? {};
  const metrics: readonly Metric[] =
    spec.metrics === undefined || spec.metrics.length === 0
      ? [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION },
            },
          },
        ]
      : spec.metrics;
  const behavior = spec.behavior && {
    ...spec.behavior,
    scaleUp: scalingRules(spec.behavior.scaleUp, DEFAULT_SCALE_UP),
    scaleDown: scalingRules(spec.behavior.scaleDown, DEFAULT_SCALE_DOWN),
  };
  return {
    ...hpa,
    spec: {
      ...spec,
      minReplicas: spec.minReplicas ?? 1,
      metrics,
      ...(behavior === undefined ? {} : { behavior }),
    } as Spec,
  };
}

/** IsValidPathSegmentName. */
function pathSegmentErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

function validateNamedSegment(
  value: string | undefined,
  path: string,
  required: string,
): FieldError[] {
  const v = value ?? '';
  if (v.length === 0) return [fieldRequired(path, required)];
  return pathSegmentErrors(v).map((msg) => fieldInvalid(path, v, msg));
}

/** ValidateCrossVersionObjectReference. */
function validateReference(
  ref: DeepReadonly<CrossVersionObjectReference> | undefined,
  path: string,
): FieldError[] {
  return [
    ...validateNamedSegment(ref?.kind, child(path, 'kind'), ''),
    ...validateNamedSegment(ref?.name, child(path, 'name'), ''),
  ];
}

function validateMetricIdentifier(
  id: DeepReadonly<MetricIdentifier> | undefined,
  path: string,
): FieldError[] {
  return validateNamedSegment(id?.name, child(path, 'name'), 'must specify a metric name');
}

/** A quantity's sign, or the parse error Go's decoder would have refused the body with. */
function positiveQuantity(q: string | undefined, path: string): FieldError[] {
  if (q === undefined) return [];
  const parsed = parseQuantity(String(q));
  if (isQuantityError(parsed)) return [fieldInvalid(path, q, parsed.message)];
  return sign(parsed) === 1 ? [] : [fieldInvalid(path, q, 'must be positive')];
}

function validateMetricTarget(t: Target | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = t?.type ?? '';
  if (type === '')
    errs.push(fieldRequired(child(path, 'type'), 'must specify a metric target type'));
  if (type !== 'Utilization' && type !== 'Value' && type !== 'AverageValue') {
    errs.push(
      fieldInvalid(child(path, 'type'), type, 'must be either Utilization, Value, or AverageValue'),
    );
  }
  errs.push(...positiveQuantity(t?.value, child(path, 'value')));
  errs.push(...positiveQuantity(t?.averageValue, child(path, 'averageValue')));
  if (t?.averageUtilization !== undefined && t.averageUtilization < 1) {
    errs.push(
      fieldInvalid(
        child(path, 'averageUtilization'),
        t.averageUtilization,
        'must be greater than 0',
      ),
    );
  }
  return errs;
}

/** A utilization or a raw value, not both (Resource and ContainerResource sources). */
function utilizationOrValue(t: Target | undefined, path: string): FieldError[] {
  const target = child(path, 'target');
  if (t?.averageUtilization === undefined && t?.averageValue === undefined) {
    return [
      fieldRequired(
        child(target, 'averageUtilization'),
        'must set either a target raw value or a target utilization',
      ),
    ];
  }
  if (t.averageUtilization !== undefined && t.averageValue !== undefined) {
    return [
      fieldForbidden(
        child(target, 'averageValue'),
        'may not set both a target raw value and a target utilization',
      ),
    ];
  }
  return [];
}

/** The checks of one metric source (validateObjectSource, validatePodsSource, ...). */
function validateSource(m: Metric, field: SourceField, path: string): FieldError[] {
  switch (field) {
    case 'object': {
      const src = m.object;
      const errs = [
        ...validateReference(src?.describedObject, child(path, 'describedObject')),
        ...validateMetricIdentifier(src?.metric, child(path, 'metric')),
        ...validateMetricTarget(src?.target, child(path, 'target')),
      ];
      if (src?.target?.value === undefined && src?.target?.averageValue === undefined) {
        errs.push(
          fieldRequired(
            child(child(path, 'target'), 'averageValue'),
            'must set either a target value or averageValue',
          ),
        );
      }
      return errs;
    }
    case 'external': {
      const t = m.external?.target;
      const errs = [
        ...validateMetricIdentifier(m.external?.metric, child(path, 'metric')),
        ...validateMetricTarget(t, child(path, 'target')),
      ];
      if (t?.value === undefined && t?.averageValue === undefined) {
        errs.push(
          fieldRequired(
            child(child(path, 'target'), 'averageValue'),
            'must set either a target value for metric or a per-pod target',
          ),
        );
      }
      if (t?.value !== undefined && t.averageValue !== undefined) {
        errs.push(
          fieldForbidden(
            child(child(path, 'target'), 'value'),
            'may not set both a target value for metric and a per-pod target',
          ),
        );
      }
      return errs;
    }
    case 'pods': {
      const t = m.pods?.target;
      const errs = [
        ...validateMetricIdentifier(m.pods?.metric, child(path, 'metric')),
        ...validateMetricTarget(t, child(path, 'target')),
      ];
      if (t?.averageValue === undefined) {
        errs.push(
          fieldRequired(
            child(child(path, 'target'), 'averageValue'),
            'must specify a positive target averageValue',
          ),
        );
      }
      return errs;
    }
    case 'resource': {
      const src = m.resource;
      const errs: FieldError[] = [];
      if (!src?.name) errs.push(fieldRequired(child(path, 'name'), 'must specify a resource name'));
      errs.push(...validateMetricTarget(src?.target, child(path, 'target')));
      return [...errs, ...utilizationOrValue(src?.target, path)];
    }
    case 'containerResource': {
      const src = m.containerResource;
      const errs: FieldError[] = [];
      if (!src?.name) errs.push(fieldRequired(child(path, 'name'), 'must specify a resource name'));
      if (!src?.container) {
        errs.push(fieldRequired(child(path, 'container'), 'must specify a container'));
      } else {
        for (const msg of isDNS1123Label(src.container)) {
          errs.push(fieldInvalid(child(path, 'container'), src.container, msg));
        }
      }
      errs.push(...validateMetricTarget(src?.target, child(path, 'target')));
      return [...errs, ...utilizationOrValue(src?.target, path)];
    }
  }
}

/** validateMetricSpec: a known type, its source and no other. */
function validateMetricSpec(m: Metric, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const typePath = child(path, 'type');
  const type = m.type ?? '';
  if (type === '') errs.push(fieldRequired(typePath, 'must specify a metric source type'));
  if (!METRIC_SOURCE_TYPES.includes(type)) {
    errs.push(fieldNotSupported(typePath, type, METRIC_SOURCE_TYPES));
  }
  const present = SOURCE_FIELDS.filter((f) => m[f] !== undefined);
  // Only the first source present is checked; the others are reported below.
  const first = present[0];
  if (first !== undefined) errs.push(...validateSource(m, first, child(path, first)));
  const expected = SOURCE_OF_TYPE[type];
  if (expected === undefined) {
    errs.push(fieldNotSupported(typePath, type, METRIC_SOURCE_TYPES));
  } else if (m[expected] === undefined) {
    errs.push(
      fieldRequired(child(path, expected), 'must populate information for the given metric source'),
    );
  }
  if (present.length !== 1) {
    // Go ranges over a set: upstream's order here is random; ksim reports in field order.
    for (const f of present.filter((f) => f !== expected)) {
      errs.push(fieldForbidden(child(path, f), 'must populate the given metric source only'));
    }
  }
  return errs;
}

function validateScalingRules(
  rules: DeepReadonly<HPAScalingRules> | undefined,
  path: string,
): FieldError[] {
  if (rules === undefined) return [];
  const errs: FieldError[] = [];
  const window = rules.stabilizationWindowSeconds;
  const windowPath = child(path, 'stabilizationWindowSeconds');
  if (window !== undefined && window < 0) {
    errs.push(fieldInvalid(windowPath, window, 'must be greater than or equal to zero'));
  }
  if (window !== undefined && window > MAX_STABILIZATION_WINDOW_SECONDS) {
    errs.push(
      fieldInvalid(
        windowPath,
        window,
        `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`,
      ),
    );
  }
  if (rules.selectPolicy !== undefined && !SELECT_POLICIES.includes(rules.selectPolicy)) {
    errs.push(fieldNotSupported(child(path, 'selectPolicy'), rules.selectPolicy, SELECT_POLICIES));
  }
  const policiesPath = child(path, 'policies');
  const policies = rules.policies ?? [];
  if (policies.length === 0)
    errs.push(fieldRequired(policiesPath, 'must specify at least one Policy'));
  for (const [i, p] of policies.entries()) {
    const pp = index(policiesPath, i);
    if (p.type !== 'Pods' && p.type !== 'Percent') {
      errs.push(fieldNotSupported(child(pp, 'type'), p.type, POLICY_TYPES));
    }
    if (p.value <= 0)
      errs.push(fieldInvalid(child(pp, 'value'), p.value, 'must be greater than zero'));
    const period = child(pp, 'periodSeconds');
    if (p.periodSeconds <= 0)
      errs.push(fieldInvalid(period, p.periodSeconds, 'must be greater than zero'));
    if (p.periodSeconds > MAX_PERIOD_SECONDS) {
      errs.push(
        fieldInvalid(
          period,
          p.periodSeconds,
          `must be less than or equal to ${MAX_PERIOD_SECONDS}`,
        ),
      );
    }
  }
  return errs;
}

/**
 * validateHorizontalPodAutoscalerSpec. minReplicas may be 0 only with HPAScaleToZero (alpha,
 * off) or when the stored object already has it.
 */
function validateSpec(spec: Partial<Spec>, minReplicasLowerBound: number): FieldError[] {
  const errs: FieldError[] = [];
  const min = spec.minReplicas;
  const max = spec.maxReplicas ?? 0;
  if (min !== undefined && min < minReplicasLowerBound) {
    errs.push(
      fieldInvalid(
        'spec.minReplicas',
        min,
        `must be greater than or equal to ${minReplicasLowerBound}`,
      ),
    );
  }
  if (max < 1) errs.push(fieldInvalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min !== undefined && max < min) {
    errs.push(
      fieldInvalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'),
    );
  }
  errs.push(...validateReference(spec.scaleTargetRef, 'spec.scaleTargetRef'));
  const metrics = spec.metrics ?? [];
  for (const [i, m] of metrics.entries())
    errs.push(...validateMetricSpec(m, index('spec.metrics', i)));
  if (min === 0 && !metrics.some((m) => m.type === 'Object' || m.type === 'External')) {
    errs.push(
      fieldForbidden(
        'spec.metrics',
        'must specify at least one Object or External metric to support scaling to zero replicas',
      ),
    );
  }
  errs.push(...validateScalingRules(spec.behavior?.scaleUp, 'spec.behavior.scaleUp'));
  errs.push(...validateScalingRules(spec.behavior?.scaleDown, 'spec.behavior.scaleDown'));
  return errs;
}

export function validateHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): FieldError[] {
  return [
    ...validateObjectMeta(hpa.metadata, true, nameIsDNSSubdomain),
    ...validateSpec(hpa.spec ?? {}, 1),
  ];
}

export function validateHorizontalPodAutoscalerUpdate(
  next: HorizontalPodAutoscaler,
  old: HorizontalPodAutoscaler,
): FieldError[] {
  const bound = old.spec?.minReplicas === 0 ? 0 : 1;
  return [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateSpec(next.spec ?? {}, bound),
  ];
}

export function validateHorizontalPodAutoscalerStatusUpdate(
  next: HorizontalPodAutoscaler,
  old: HorizontalPodAutoscaler,
): FieldError[] {
  return [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateNonnegative(next.status?.currentReplicas ?? 0, 'status.currentReplicas'),
    ...validateNonnegative(next.status?.desiredReplicas ?? 0, 'status.desiredReplicas'),
  ];
}

/** One metric of formatHPAMetrics: `current/target`, resources prefixed with their name. */
function formatMetric(spec: Metric, status: DeepReadonly<MetricStatus> | undefined): string {
  const unknown = '<unknown>';
  const valueOrAvg = (
    target: Target | undefined,
    current: { readonly value?: string; readonly averageValue?: string } | undefined,
  ): string =>
    target?.averageValue !== undefined
      ? `${current?.averageValue ?? unknown}/${target.averageValue} (avg)`
      : `${current === undefined ? unknown : (current.value ?? '0')}/${target?.value ?? '0'}`;
  const resource = (
    name: string,
    target: Target | undefined,
    current: DeepReadonly<MetricStatus>['resource'] | undefined,
  ): string => {
    if (target?.averageValue !== undefined) {
      return `${name}: ${current?.current.averageValue ?? unknown}/${target.averageValue}`;
    }
    const now = current?.current.averageUtilization;
    const want = target?.averageUtilization;
    return `${name}: ${now === undefined ? unknown : `${now}%`}/${want === undefined ? '<auto>' : `${want}%`}`;
  };
  switch (spec.type) {
    case 'External':
      return valueOrAvg(spec.external?.target, status?.external?.current);
    case 'Object':
      return valueOrAvg(spec.object?.target, status?.object?.current);
    case 'Pods':
      return `${status?.pods?.current.averageValue ?? unknown}/${spec.pods?.target.averageValue ?? '0'}`;
    case 'Resource':
      return resource(spec.resource?.name ?? '', spec.resource?.target, status?.resource);
    case 'ContainerResource':
      return resource(
        spec.containerResource?.name ?? '',
        spec.containerResource?.target,
        status?.containerResource,
      );
    default:
      return '<unknown type>';
  }
}

function formatMetrics(hpa: HorizontalPodAutoscaler): string {
  const specs = hpa.spec.metrics ?? [];
  if (specs.length === 0) return '<none>';
  const statuses = hpa.status?.currentMetrics ?? [];
  const list = specs.map((m, i) => formatMetric(m, statuses[i]));
  const max = 2;
  const shown = list.slice(0, max).join(', ');
  return list.length > max ? `${shown} + ${list.length - max} more...` : shown;
}

const TABLE: readonly TableColumn<HorizontalPodAutoscaler>[] = [
  NAME_COLUMN,
  {
    name: 'Reference',
    type: 'string',
    priority: 0,
    description:
      'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.',
    cell: (hpa) => `${hpa.spec.scaleTargetRef.kind}/${hpa.spec.scaleTargetRef.name}`,
  },
  {
    name: 'Targets',
    type: 'string',
    priority: 0,
    description:
      'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond. If not set, the default metric will be set to 80% average CPU utilization.',
    cell: formatMetrics,
  },
  {
    name: 'MinPods',
    type: 'string',
    priority: 0,
    description:
      'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.',
    cell: (hpa) => (hpa.spec.minReplicas === undefined ? '<unset>' : String(hpa.spec.minReplicas)),
  },
  {
    name: 'MaxPods',
    type: 'string',
    priority: 0,
    description:
      'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.',
    cell: (hpa) => hpa.spec.maxReplicas,
  },
  {
    name: 'Replicas',
    type: 'string',
    priority: 0,
    description:
      'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.',
    cell: (hpa) => hpa.status?.currentReplicas ?? 0,
  },
  AGE_COLUMN,
];

export const HORIZONTAL_POD_AUTOSCALER = defineResource<HorizontalPodAutoscaler>({
  discovery: {
    kind: 'HorizontalPodAutoscaler',
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
  },
  defaults: defaultHorizontalPodAutoscaler,
  // autoscalerStrategy.PrepareForCreate: status starts empty.
  prepareForCreate: (hpa) => ({ ...hpa, status: { desiredReplicas: 0 } }),
  validate: validateHorizontalPodAutoscaler,
  update: { prepareForUpdate: keepStatus, validateUpdate: validateHorizontalPodAutoscalerUpdate },
  subresources: [statusSubresource(validateHorizontalPodAutoscalerStatusUpdate)],
  table: TABLE,
  patch: [...OBJECT_META_PATCH, conditionsPatch('status.conditions')],
});
