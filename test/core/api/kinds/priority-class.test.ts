import { describe, expect, it } from 'vitest';
import { formatFieldError, type FieldError } from '../../../../core/api/field-error.ts';
import {
  PRIORITY_CLASS,
  validatePriorityClass,
  validatePriorityClassUpdate,
  type PriorityClass,
} from '../../../../core/api/kinds/priority-class.ts';
import { controlPlane, runScript } from '../../../support/cluster.ts';

const pc = (fields: Partial<PriorityClass> = {}): PriorityClass => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name: 'high' },
  value: 1000,
  ...fields,
});

const errors = (errs: readonly FieldError[]) => errs.map(formatFieldError);
const RESERVED =
  "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error:";

describe('PriorityClass validation (pkg/apis/scheduling/validation)', () => {
  it.each([
    ['a user class', {}, []],
    ['a user class at the highest user value', { value: 1_000_000_000 }, []],
    ['a negative value', { value: -5 }, []],
    [
      'a user class above the highest user value',
      { value: 1_000_000_001 },
      ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000'],
    ],
    [
      'an unknown system- name',
      { metadata: { name: 'system-foo' } },
      [`${RESERVED} system-foo is not a known system priority class`],
    ],
    [
      'a system name with another value',
      { metadata: { name: 'system-node-critical' }, value: 5 },
      [`${RESERVED} value of system-node-critical PriorityClass must be 2000001000`],
    ],
    [
      'a system class marked as global default',
      { metadata: { name: 'system-cluster-critical' }, value: 2_000_000_000, globalDefault: true },
      [`${RESERVED} globalDefault of system-cluster-critical PriorityClass must be false`],
    ],
    [
      'an exact system class (what the API server creates at start)',
      { metadata: { name: 'system-cluster-critical' }, value: 2_000_000_000 },
      [],
    ],
    [
      'an unknown preemption policy',
      { preemptionPolicy: 'Sometimes' },
      [
        'preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
      ],
    ],
    ['an empty preemption policy', { preemptionPolicy: '' }, ['preemptionPolicy: Required value']],
    [
      'an upper-case name',
      { metadata: { name: 'High' } },
      [
        "metadata.name: Invalid value: \"High\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
    [
      'a namespace on a cluster-scoped kind',
      { metadata: { name: 'high', namespace: 'default' } },
      ['metadata.namespace: Forbidden: not allowed on this type'],
    ],
  ] as const)('%s', (_name, fields, expected) => {
    expect(errors(validatePriorityClass(pc(fields as Partial<PriorityClass>)))).toEqual(expected);
  });

  it('keeps value and preemptionPolicy immutable; description and globalDefault may change', () => {
    const old = pc({ preemptionPolicy: 'PreemptLowerPriority' });
    expect(
      validatePriorityClassUpdate({ ...old, description: 'x', globalDefault: true }, old),
    ).toEqual([]);
    expect(errors(validatePriorityClassUpdate({ ...old, value: 1001 }, old))).toEqual([
      'value: Forbidden: may not be changed in an update.',
    ]);
    const badLabel = { ...old, metadata: { name: 'high', labels: { app: 'a b' } } };
    expect(errors(validatePriorityClassUpdate(badLabel, old))).toEqual([
      "metadata.labels: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]);
    expect(errors(validatePriorityClassUpdate({ ...old, preemptionPolicy: 'Never' }, old))).toEqual(
      ['preemptionPolicy: Invalid value: "Never": field is immutable'],
    );
  });

  it('defaults preemptionPolicy to PreemptLowerPriority and keeps a given one', () => {
    expect(PRIORITY_CLASS.defaults(pc()).preemptionPolicy).toBe('PreemptLowerPriority');
    expect(PRIORITY_CLASS.defaults(pc({ preemptionPolicy: 'Never' })).preemptionPolicy).toBe(
      'Never',
    );
  });

  it('prints Name, Value, Global-Default, Age and PreemptionPolicy', () => {
    const obj = pc({ globalDefault: true, preemptionPolicy: 'Never' });
    expect(PRIORITY_CLASS.table.map((c) => c.name)).toEqual([
      'Name',
      'Value',
      'Global-Default',
      'Age',
      'PreemptionPolicy',
    ]);
    expect(PRIORITY_CLASS.table.map((c) => c.cell(obj, 0))).toEqual([
      'high',
      1000,
      true,
      '<unknown>',
      'Never',
    ]);
  });
});

describe('PriorityClasses served by the API server', () => {
  it('a fresh cluster has the two system classes, created by the API server at start', async () => {
    const sim = controlPlane();
    await runScript(sim, async (api, ports) => {
      // Polled for at most one virtual second after the script starts.
      for (let attempt = 0; attempt < 10; attempt++) {
        const list = await api.list('PriorityClass', undefined);
        if (list.ok && list.value.items.length >= 2) break;
        await ports.clock.sleep(100_000);
      }
      const list = await api.list('PriorityClass', undefined);
      if (!list.ok) throw new Error('list failed');
      expect(
        list.value.items.map((p) => [p.metadata.name, p.value, p.globalDefault ?? false]),
      ).toEqual([
        ['system-cluster-critical', 2_000_000_000, false],
        ['system-node-critical', 2_000_001_000, false],
      ]);
      expect(list.value.items.every((p) => p.preemptionPolicy === 'PreemptLowerPriority')).toBe(
        true,
      );
      expect(list.value.items.every((p) => p.metadata.generation === 1)).toBe(true);
      // Users cannot take the reserved prefix.
      const squat = await api.create(pc({ metadata: { name: 'system-mine' } }));
      expect(squat.ok ? 0 : squat.status).toBe(422);
    });
  });

  it('only one class may be the global default (the Priority admission plugin)', async () => {
    const sim = controlPlane();
    await runScript(sim, async (api) => {
      const a = await api.create(pc({ metadata: { name: 'default-a' }, globalDefault: true }));
      expect(a.ok).toBe(true);
      const b = await api.create(pc({ metadata: { name: 'default-b' }, globalDefault: true }));
      expect(b.ok ? 0 : b.status).toBe(403);
      expect(b.ok ? '' : b.error.message).toBe(
        'priorityclasses.scheduling.k8s.io "default-b" is forbidden: PriorityClass default-a is already marked as default. Only one default can exist',
      );
      expect((await api.create(pc({ metadata: { name: 'other' } }))).ok).toBe(true);
      const other = await api.get('PriorityClass', undefined, 'other');
      if (!other.ok || !a.ok) throw new Error('get failed');
      const promoted = await api.update({ ...other.value, globalDefault: true });
      expect(promoted.ok ? 0 : promoted.status).toBe(403);
      // The default itself may still be updated.
      const described = await api.update({ ...a.value, description: 'the default' });
      if (!described.ok) throw new Error('update failed');
      const changed = await api.update({ ...described.value, value: 7 });
      expect(changed.ok ? '' : changed.error.message).toContain(
        'value: Forbidden: may not be changed in an update.',
      );
    });
  });
});
