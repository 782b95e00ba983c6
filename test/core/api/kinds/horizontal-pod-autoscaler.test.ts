import { describe, expect, it } from 'vitest';
import {
  defaultHorizontalPodAutoscaler,
  HORIZONTAL_POD_AUTOSCALER,
  validateHorizontalPodAutoscaler,
  validateHorizontalPodAutoscalerStatusUpdate,
  validateHorizontalPodAutoscalerUpdate,
  type HorizontalPodAutoscaler,
} from '../../../../core/api/kinds/horizontal-pod-autoscaler.ts';
import { messages, withField } from './workload-fixtures.ts';

const hpa: HorizontalPodAutoscaler = defaultHorizontalPodAutoscaler({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    maxReplicas: 10,
  },
});

const apply = (fields: Readonly<Record<string, unknown>>): HorizontalPodAutoscaler =>
  Object.entries(fields).reduce((h, [path, value]) => withField(h, path, value), hpa);

const cpu = (target: Record<string, unknown>) => ({
  type: 'Resource',
  resource: { name: 'cpu', target },
});

describe('HorizontalPodAutoscaler', () => {
  it('defaults as SetDefaults_HorizontalPodAutoscaler: 1 replica minimum, CPU at 80%', () => {
    expect(hpa.spec.minReplicas).toBe(1);
    expect(hpa.spec.metrics).toEqual([cpu({ type: 'Utilization', averageUtilization: 80 })]);
    expect(hpa.spec.behavior).toBeUndefined();
    const behaving = defaultHorizontalPodAutoscaler(
      apply({ 'spec.behavior': { scaleDown: { stabilizationWindowSeconds: 60 } } }),
    );
    expect(behaving.spec.behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: {
        stabilizationWindowSeconds: 60,
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      },
    });
  });

  it.each([
    ['a valid autoscaler', {}, []],
    [
      'minReplicas 0 and maxReplicas below it',
      { 'spec.minReplicas': 0, 'spec.maxReplicas': 0 },
      [
        'spec.minReplicas: Invalid value: 0: must be greater than or equal to 1',
        'spec.maxReplicas: Invalid value: 0: must be greater than 0',
        'spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas',
      ],
    ],
    [
      'a target without a name',
      { 'spec.scaleTargetRef': { kind: 'Deployment', name: '' } },
      ['spec.scaleTargetRef.name: Required value'],
    ],
    [
      'a target kind with a slash',
      { 'spec.scaleTargetRef': { kind: 'apps/Deployment', name: 'web' } },
      ['spec.scaleTargetRef.kind: Invalid value: "apps/Deployment": may not contain \'/\''],
    ],
    [
      'a utilization and a raw value',
      {
        'spec.metrics': [
          cpu({ type: 'Utilization', averageUtilization: 50, averageValue: '500m' }),
        ],
      },
      [
        'spec.metrics[0].resource.target.averageValue: Forbidden: may not set both a target raw value and a target utilization',
      ],
    ],
    [
      'neither a utilization nor a raw value, and an unknown target type',
      { 'spec.metrics': [cpu({ type: 'Percent' })] },
      [
        'spec.metrics[0].resource.target.type: Invalid value: "Percent": must be either Utilization, Value, or AverageValue',
        'spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization',
      ],
    ],
    [
      'a metric of one type with the source of another',
      {
        'spec.metrics': [
          {
            type: 'Pods',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
          },
        ],
      },
      [
        // One source present, so upstream does not call it extra; it checks it instead.
        'spec.metrics[0].pods: Required value: must populate information for the given metric source',
      ],
    ],
    [
      'a Pods metric without an average value',
      {
        'spec.metrics': [
          {
            type: 'Pods',
            pods: { metric: { name: 'rps' }, target: { type: 'Value', value: '0' } },
          },
        ],
      },
      [
        'spec.metrics[0].pods.target.value: Invalid value: "0": must be positive',
        'spec.metrics[0].pods.target.averageValue: Required value: must specify a positive target averageValue',
      ],
    ],
    [
      'two sources',
      {
        'spec.metrics': [
          {
            ...cpu({ type: 'Utilization', averageUtilization: 50 }),
            external: { metric: { name: 'q' }, target: { type: 'Value', value: '1' } },
          },
        ],
      },
      ['spec.metrics[0].external: Forbidden: must populate the given metric source only'],
    ],
    [
      'an unknown metric type',
      { 'spec.metrics': [{ type: 'Custom' }] },
      [
        'spec.metrics[0].type: Unsupported value: "Custom": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"',
        'spec.metrics[0].type: Unsupported value: "Custom": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"',
      ],
    ],
    [
      'scaling policies out of bounds',
      {
        'spec.behavior': {
          scaleUp: {
            stabilizationWindowSeconds: 3601,
            selectPolicy: 'Avg',
            policies: [{ type: 'Pods', value: 0, periodSeconds: 1801 }],
          },
          scaleDown: { policies: [] },
        },
      },
      [
        'spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600',
        'spec.behavior.scaleUp.selectPolicy: Unsupported value: "Avg": supported values: "Disabled", "Max", "Min"',
        'spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero',
        'spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800',
        'spec.behavior.scaleDown.policies: Required value: must specify at least one Policy',
      ],
    ],
  ] as const)('validates %s', (_name, fields, expected) => {
    expect(messages(validateHorizontalPodAutoscaler(apply(fields)))).toEqual(expected);
  });

  it('keeps minReplicas 0 allowed on update when it was stored so', () => {
    const external = {
      type: 'External',
      external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '30' } },
    };
    const old = apply({ 'spec.minReplicas': 0, 'spec.metrics': [external] });
    expect(validateHorizontalPodAutoscalerUpdate(old, old)).toEqual([]);
    expect(messages(validateHorizontalPodAutoscalerUpdate(old, hpa))).toEqual([
      'spec.minReplicas: Invalid value: 0: must be greater than or equal to 1',
    ]);
  });

  it('checks the status counts', () => {
    const next = apply({ status: { currentReplicas: -1, desiredReplicas: 2 } });
    expect(messages(validateHorizontalPodAutoscalerStatusUpdate(next, hpa))).toEqual([
      'status.currentReplicas: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });

  it('prints Reference, Targets as current/target, MinPods, MaxPods and Replicas', () => {
    expect(HORIZONTAL_POD_AUTOSCALER.table.map((c) => c.name)).toEqual([
      'Name',
      'Reference',
      'Targets',
      'MinPods',
      'MaxPods',
      'Replicas',
      'Age',
    ]);
    const cells = (h: HorizontalPodAutoscaler) =>
      HORIZONTAL_POD_AUTOSCALER.table.slice(1, 6).map((c) => c.cell(h, 0));
    expect(cells(hpa)).toEqual(['Deployment/web', 'cpu: <unknown>/80%', '1', 10, 0]);
    const measured = apply({
      'spec.metrics': [
        cpu({ type: 'Utilization', averageUtilization: 80 }),
        {
          type: 'Pods',
          pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '10' } },
        },
        cpu({ type: 'AverageValue', averageValue: '500m' }),
      ],
      status: {
        currentReplicas: 3,
        desiredReplicas: 3,
        currentMetrics: [
          { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 42 } } },
        ],
      },
    });
    expect(cells(measured)).toEqual([
      'Deployment/web',
      'cpu: 42%/80%, <unknown>/10 + 1 more...',
      '1',
      10,
      3,
    ]);
  });
});
