import { describe, expect, it } from 'vitest';
import {
  DEPLOYMENT,
  defaultDeployment,
  validateDeployment,
  validateDeploymentStatusUpdate,
  validateDeploymentUpdate,
  type Deployment,
} from '../../../../core/api/kinds/deployment.ts';
import { messages, template, withField } from './workload-fixtures.ts';

const deployment: Deployment = defaultDeployment({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) },
});

describe('Deployment', () => {
  it('defaults as SetDefaults_Deployment: 1 replica, RollingUpdate 25%/25%, history 10, deadline 600 s', () => {
    expect(deployment.spec).toMatchObject({
      replicas: 1,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
      },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    const recreate = defaultDeployment(
      withField(deployment, 'spec.strategy', { type: 'Recreate' }),
    );
    expect(recreate.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it.each([
    ['a valid deployment', {}, []],
    [
      'negative replicas',
      { 'spec.replicas': -1 },
      ['spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
    ],
    [
      'a selector that does not select the template',
      { 'spec.selector': { matchLabels: { app: 'other' } } },
      [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      ],
    ],
    [
      // LabelSelectorAsSelector(nil) is labels.Nothing(), which no template matches.
      'no selector',
      { 'spec.selector': undefined },
      [
        'spec.selector: Required value',
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      ],
    ],
    [
      'pods that do not restart',
      { 'spec.template.spec.restartPolicy': 'Never' },
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    [
      'both maxSurge and maxUnavailable 0',
      { 'spec.strategy.rollingUpdate': { maxSurge: 0, maxUnavailable: 0 } },
      [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
      ],
    ],
    [
      'maxUnavailable over 100%',
      { 'spec.strategy.rollingUpdate': { maxSurge: 1, maxUnavailable: '150%' } },
      [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%',
      ],
    ],
    [
      'a malformed percentage',
      { 'spec.strategy.rollingUpdate': { maxSurge: '1.5%', maxUnavailable: 1 } },
      [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: 1.5%: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ],
    ],
    [
      'rollingUpdate with Recreate',
      { 'spec.strategy': { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } },
      [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
      ],
    ],
    [
      'a progress deadline not above minReadySeconds',
      { 'spec.minReadySeconds': 30, 'spec.progressDeadlineSeconds': 30 },
      ['spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds'],
    ],
  ] as const)('validates %s', (_name, fields, expected) => {
    let d: Deployment = deployment;
    for (const [path, value] of Object.entries(fields)) d = withField(d, path, value);
    expect(messages(validateDeployment(d))).toEqual(expected);
  });

  it('keeps the selector immutable (apps/v1)', () => {
    const next = withField(
      withField(deployment, 'spec.selector', { matchLabels: { app: 'web', tier: 'fe' } }),
      'spec.template.metadata.labels',
      { app: 'web', tier: 'fe' },
    );
    expect(messages(validateDeploymentUpdate(next, deployment))).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"fe"}}: field is immutable',
    ]);
  });

  it('checks status counts against each other', () => {
    const status = { replicas: 2, readyReplicas: 3, availableReplicas: 3, collisionCount: 1 };
    const old = withField(deployment, 'status', { collisionCount: 2 });
    expect(
      messages(validateDeploymentStatusUpdate(withField(deployment, 'status', status), old)),
    ).toEqual([
      'status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas',
      'status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas',
      'status.collisionCount: Invalid value: 1: cannot be decremented',
    ]);
  });

  it('counts annotation changes as a new generation and prints Ready as ready/desired', () => {
    const annotated = withField(deployment, 'metadata.annotations', {
      'kubernetes.io/change-cause': 'x',
    });
    expect(DEPLOYMENT.generationChanged(annotated, deployment)).toBe(true);
    expect(
      DEPLOYMENT.generationChanged(withField(deployment, 'status', { replicas: 1 }), deployment),
    ).toBe(false);
    const running = withField(deployment, 'status', {
      readyReplicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
    });
    expect(DEPLOYMENT.table.map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(DEPLOYMENT.table.map((c) => c.cell(running, 0)).slice(1, 4)).toEqual(['1/1', 1, 1]);
    expect(DEPLOYMENT.table[7]?.cell(running, 0)).toBe('app=web');
  });
});
