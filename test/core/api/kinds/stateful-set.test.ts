import {
  DEFAULT_FEATURE_GATES,
  featureGateProblems,
  featureGates,
} from '../../../../core/api/feature-gates.ts';
import { describe, expect, it } from 'vitest';
import {
  defaultStatefulSet,
  STATEFUL_SET,
  validateStatefulSet,
  validateStatefulSetStatusUpdate,
  validateStatefulSetUpdate,
  type StatefulSet,
} from '../../../../core/api/kinds/stateful-set.ts';
import { messages, template, withField } from './workload-fixtures.ts';

const sts: StatefulSet = defaultStatefulSet({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'db', namespace: 'default' },
  spec: {
    serviceName: 'db',
    selector: { matchLabels: { app: 'db' } },
    template: template({ app: 'db' }),
  },
});

const apply = (fields: Readonly<Record<string, unknown>>): StatefulSet =>
  Object.entries(fields).reduce((s, [path, value]) => withField(s, path, value), sts);

describe('StatefulSet', () => {
  it('defaults as SetDefaults_StatefulSet', () => {
    expect(sts.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      revisionHistoryLimit: 10,
    });
  });

  it.each([
    ['a valid stateful set', {}, []],
    [
      'an unknown pod management policy',
      { 'spec.podManagementPolicy': 'Random' },
      ["spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"],
    ],
    [
      'an empty selector',
      { 'spec.selector': {} },
      ['spec.selector: Invalid value: {}: empty selector is invalid for statefulset'],
    ],
    [
      'a negative partition',
      { 'spec.updateStrategy': { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } },
      [
        'spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0',
      ],
    ],
    [
      'rollingUpdate with OnDelete',
      { 'spec.updateStrategy': { type: 'OnDelete', rollingUpdate: { partition: 1 } } },
      [
        'spec.updateStrategy.rollingUpdate: Invalid value: {"partition":1}: only allowed for updateStrategy \'RollingUpdate\'',
      ],
    ],
    [
      'an unknown retention policy',
      {
        'spec.persistentVolumeClaimRetentionPolicy': { whenDeleted: 'Keep', whenScaled: 'Retain' },
      },
      [
        'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"',
      ],
    ],
  ] as const)('validates %s', (_name, fields, expected) => {
    expect(messages(validateStatefulSet(apply(fields)))).toEqual(expected);
  });

  it('keeps rollingUpdate.maxUnavailable only with the MaxUnavailableStatefulSet gate, or when already stored', () => {
    const withMax = apply({ 'spec.updateStrategy.rollingUpdate.maxUnavailable': 2 });
    const maxOf = (s: StatefulSet) => s.spec.updateStrategy?.rollingUpdate?.maxUnavailable;
    const on = featureGates({ MaxUnavailableStatefulSet: true });
    expect(maxOf(STATEFUL_SET.prepareForCreate(withMax, DEFAULT_FEATURE_GATES))).toBeUndefined();
    expect(maxOf(STATEFUL_SET.prepareForCreate(withMax, on))).toBe(2);
    const prepare = STATEFUL_SET.update.prepareForUpdate;
    expect(maxOf(prepare(withMax, sts, DEFAULT_FEATURE_GATES))).toBeUndefined();
    expect(maxOf(prepare(withMax, withMax, DEFAULT_FEATURE_GATES))).toBe(2);
    expect(featureGateProblems({ MaxUnavailableStatefulSet: true, NoSuchGate: true })).toEqual([
      'unrecognized feature gate: NoSuchGate',
    ]);
  });

  it('forbids updates of fields other than the updatable ones', () => {
    expect(validateStatefulSetUpdate(apply({ 'spec.replicas': 3 }), sts)).toEqual([]);
    expect(
      messages(validateStatefulSetUpdate(apply({ 'spec.serviceName': 'other' }), sts)),
    ).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });

  it('checks the status', () => {
    const next = apply({ status: { replicas: 1, readyReplicas: 2, observedGeneration: -1 } });
    expect(messages(validateStatefulSetStatusUpdate(next, sts))).toEqual([
      'status.observedGeneration: Invalid value: -1: must be greater than or equal to 0',
      'status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas',
    ]);
  });

  it('prints Ready and the scale view', () => {
    const running = apply({ 'spec.replicas': 3, status: { replicas: 3, readyReplicas: 2 } });
    expect(STATEFUL_SET.table.map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Age',
      'Containers',
      'Images',
    ]);
    expect(STATEFUL_SET.table[1]?.cell(running, 0)).toBe('2/3');
  });
});
