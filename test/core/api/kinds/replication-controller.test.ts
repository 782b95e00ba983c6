import { describe, expect, it } from 'vitest';
import type { Scale } from '../../../../core/api/autoscaling-types.ts';
import { formatFieldError, type FieldError } from '../../../../core/api/field-error.ts';
import {
  defaultReplicationController,
  REPLICATION_CONTROLLER,
  validateReplicationController,
  validateReplicationControllerStatus,
  type ReplicationController,
} from '../../../../core/api/kinds/replication-controller.ts';
import { controlPlane, runScript } from '../../../support/cluster.ts';

const messages = (errs: readonly FieldError[]) => errs.map(formatFieldError);
type Spec = NonNullable<ReplicationController['spec']>;

const rc = (spec: Partial<Spec> = {}): ReplicationController =>
  defaultReplicationController({
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'legacy', namespace: 'default' },
    spec: {
      template: {
        metadata: { labels: { app: 'legacy' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
      },
      ...spec,
    },
  });

describe('ReplicationController defaulting (SetDefaults_ReplicationController)', () => {
  it('takes the selector and labels from the template and defaults one replica', () => {
    const r = rc();
    expect(r.spec?.selector).toEqual({ app: 'legacy' });
    expect(r.metadata.labels).toEqual({ app: 'legacy' });
    expect(r.spec?.replicas).toBe(1);
    expect(r.spec?.template?.spec.restartPolicy).toBe('Always');
  });
});

describe('ReplicationController validation, upstream paths and messages', () => {
  it.each<[string, ReplicationController, string[]]>([
    ['a defaulted controller', rc(), []],
    [
      'negative replicas and minReadySeconds',
      rc({ replicas: -1, minReadySeconds: -2 }),
      [
        'spec.minReadySeconds: Invalid value: -2: must be greater than or equal to 0',
        'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      ],
    ],
    [
      'a selector the template does not match',
      rc({ selector: { app: 'other' } }),
      [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"legacy"}: `selector` does not match template `labels`',
      ],
    ],
    [
      'no template',
      { ...rc(), spec: { replicas: 1, selector: { app: 'x' } } },
      ['spec.template: Required value'],
    ],
    [
      'no selector and no template labels',
      { ...rc(), spec: { replicas: 1 } },
      ['spec.selector: Required value', 'spec.template: Required value'],
    ],
  ])('%s', (_name, obj, expected) => {
    expect(messages(validateReplicationController(obj))).toEqual(expected);
  });

  it('requires restartPolicy Always and no activeDeadlineSeconds in the template', () => {
    const base = rc();
    const tpl = base.spec?.template;
    if (tpl === undefined) throw new Error('no template');
    const bad = {
      ...base,
      spec: {
        ...base.spec,
        template: {
          ...tpl,
          spec: { ...tpl.spec, restartPolicy: 'OnFailure', activeDeadlineSeconds: 5 },
        },
      },
    } as ReplicationController;
    expect(messages(validateReplicationController(bad))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
      'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported',
    ]);
  });

  it('checks status counts against each other', () => {
    expect(
      messages(
        validateReplicationControllerStatus({
          replicas: 1,
          readyReplicas: 2,
          availableReplicas: 3,
        }),
      ),
    ).toEqual([
      'status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas',
      'status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas',
      'status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas',
    ]);
  });

  it('prints as printReplicationController', () => {
    expect(REPLICATION_CONTROLLER.table.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Desired', 0],
      ['Current', 0],
      ['Ready', 0],
      ['Age', 0],
      ['Containers', 1],
      ['Images', 1],
      ['Selector', 1],
    ]);
    expect(REPLICATION_CONTROLLER.table.map((c) => c.cell(rc({ replicas: 3 }), 0))).toEqual([
      'legacy',
      3,
      0,
      0,
      '<unknown>',
      'c',
      'nginx:1.25',
      'app=legacy',
    ]);
  });
});

describe('replicationcontrollers served by the API server', () => {
  it('keeps status on the main resource, tracks generation and scales through autoscaling/v1 Scale', async () => {
    await runScript(controlPlane(), async (api) => {
      const created = await api.create(rc({ replicas: 2 }));
      if (!created.ok) throw new Error(created.error.message);
      expect(created.value.status).toEqual({ replicas: 0 });
      expect(created.value.metadata.generation).toBe(1);
      const path = '/api/v1/namespaces/default/replicationcontrollers/legacy/scale';
      const scale = await api.request<Scale>('GET', path);
      expect(scale.ok && scale.value).toMatchObject({
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        spec: { replicas: 2 },
        status: { replicas: 0, selector: 'app=legacy' },
      });
      const scaled = await api.request<Scale>('PATCH', path, { body: { spec: { replicas: 5 } } });
      expect(scaled.ok && scaled.value.spec.replicas).toBe(5);
      const got = await api.get('ReplicationController', 'default', 'legacy');
      expect(got.ok && got.value.spec?.replicas).toBe(5);
      expect(got.ok && got.value.metadata.generation).toBe(2);
    });
  });
});
