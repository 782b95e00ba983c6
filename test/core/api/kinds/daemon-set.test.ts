import { DEFAULT_FEATURE_GATES } from '../../../../core/api/feature-gates.ts';
import { describe, expect, it } from 'vitest';
import {
  DAEMON_SET,
  defaultDaemonSet,
  TEMPLATE_GENERATION_ANNOTATION,
  validateDaemonSet,
  validateDaemonSetStatusUpdate,
  type DaemonSet,
} from '../../../../core/api/kinds/daemon-set.ts';
import { messages, template, withField } from './workload-fixtures.ts';

const ds: DaemonSet = defaultDaemonSet({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'kube-system' },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: template({ app: 'agent' }) },
});

const apply = (fields: Readonly<Record<string, unknown>>): DaemonSet =>
  Object.entries(fields).reduce((d, [path, value]) => withField(d, path, value), ds);

describe('DaemonSet', () => {
  it('defaults as SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1, maxSurge 0', () => {
    expect(ds.spec.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    expect(ds.spec.revisionHistoryLimit).toBe(10);
  });

  it.each([
    ['a valid daemon set', {}, []],
    [
      'both maxSurge and maxUnavailable set',
      { 'spec.updateStrategy.rollingUpdate': { maxUnavailable: 1, maxSurge: '10%' } },
      [
        'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 10%: may not be set when maxUnavailable is non-zero',
      ],
    ],
    [
      'neither maxSurge nor maxUnavailable',
      { 'spec.updateStrategy.rollingUpdate': { maxUnavailable: 0, maxSurge: 0 } },
      [
        'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0',
      ],
    ],
    [
      'an unknown update strategy',
      { 'spec.updateStrategy': { type: 'Surge' } },
      [
        'spec.updateStrategy: Unsupported value: {"type":"Surge"}: supported values: "RollingUpdate", "OnDelete"',
      ],
    ],
    [
      'an activeDeadlineSeconds',
      { 'spec.template.spec.activeDeadlineSeconds': 10 },
      [
        'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported',
      ],
    ],
  ] as const)('validates %s', (_name, fields, expected) => {
    expect(messages(validateDaemonSet(apply(fields)))).toEqual(expected);
  });

  it('moves the template generation annotation on when the template changes', () => {
    const created = DAEMON_SET.prepareForCreate(ds, DEFAULT_FEATURE_GATES);
    expect(created.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe('1');
    const changed = withField(created, 'spec.template.metadata.labels', { app: 'agent', v: '2' });
    const updated = DAEMON_SET.update.prepareForUpdate(changed, created, DEFAULT_FEATURE_GATES);
    expect(updated.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe('2');
    const same = DAEMON_SET.update.prepareForUpdate(
      withField(created, 'spec.minReadySeconds', 5),
      created,
      DEFAULT_FEATURE_GATES,
    );
    expect(same.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe('1');
  });

  it('checks status counts and the collision count', () => {
    const old = apply({ status: { collisionCount: 3 } });
    const next = apply({ status: { numberReady: -1, collisionCount: 2 } });
    expect(messages(validateDaemonSetStatusUpdate(next, old))).toEqual([
      'status.numberReady: Invalid value: -1: must be greater than or equal to 0',
      'status.collisionCount: Invalid value: 2: cannot be decremented',
    ]);
  });

  it('prints the node selector', () => {
    const pinned = apply({ 'spec.template.spec.nodeSelector': { 'kubernetes.io/os': 'linux' } });
    const col = DAEMON_SET.table.findIndex((c) => c.name === 'Node Selector');
    expect(DAEMON_SET.table[col]?.cell(pinned, 0)).toBe('kubernetes.io/os=linux');
    expect(DAEMON_SET.table[col]?.cell(ds, 0)).toBe('<none>');
  });
});
