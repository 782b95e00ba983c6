import { describe, expect, it } from 'vitest';
import { formatFieldError, type FieldError } from '../../../../core/api/field-error.ts';
import {
  STORAGE_CLASS,
  validateStorageClass,
  validateStorageClassUpdate,
  type StorageClass,
} from '../../../../core/api/kinds/storage-class.ts';
import { formatTime } from '../../../../core/api/time.ts';
import { controlPlane, runScript } from '../../../support/cluster.ts';

/** A StorageClass as the API server validates it: decoded, then defaulted. */
const sc = (fields: Partial<StorageClass> = {}): StorageClass =>
  STORAGE_CLASS.defaults({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard' },
    provisioner: 'rancher.io/local-path',
    ...fields,
  });

const errors = (errs: readonly FieldError[]) => errs.map(formatFieldError);

describe('StorageClass validation (pkg/apis/storage/validation)', () => {
  it.each([
    [
      'a class with parameters and topologies',
      {
        parameters: { type: 'ssd' },
        allowVolumeExpansion: true,
        allowedTopologies: [
          { matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['a', 'b'] }] },
        ],
      },
      [],
    ],
    ['no provisioner', { provisioner: '' }, ['provisioner: Required value']],
    [
      'a provisioner that is not a qualified name (reported lower-cased)',
      { provisioner: 'My Provisioner' },
      [
        "provisioner: Invalid value: \"my provisioner\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      ],
    ],
    [
      'an unsupported reclaim policy',
      { reclaimPolicy: 'Recycle' },
      ['reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"'],
    ],
    [
      'an unsupported binding mode',
      { volumeBindingMode: 'Later' },
      [
        'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
      ],
    ],
    [
      'an empty parameter key',
      { parameters: { '': 'x' } },
      ['parameters: Invalid value: "": field can not be empty.'],
    ],
    [
      'parameters over 256 KiB in total',
      { parameters: { big: 'x'.repeat(256 * 1024) } },
      ['parameters: Too long: must have at most 262144 bytes'],
    ],
    [
      'a topology requirement without values, repeated values and a repeated key',
      {
        allowedTopologies: [
          {
            matchLabelExpressions: [
              { key: 'zone', values: [] },
              { key: 'zone', values: ['a', 'a'] },
            ],
          },
        ],
      },
      [
        'allowedTopologies[0].matchLabelExpressions[0].values: Required value',
        'allowedTopologies[0].matchLabelExpressions[1].values[1]: Duplicate value: "a"',
        'allowedTopologies[0].matchLabelExpressions[1].key: Duplicate value: "zone"',
      ],
    ],
    [
      'the same topology term twice',
      {
        allowedTopologies: [
          { matchLabelExpressions: [{ key: 'zone', values: ['a', 'b'] }] },
          { matchLabelExpressions: [{ key: 'zone', values: ['b', 'a'] }] },
        ],
      },
      ['allowedTopologies[1].matchLabelExpressions: Duplicate value: ""'],
    ],
  ] as const)('%s', (_name, fields, expected) => {
    expect(errors(validateStorageClass(sc(fields as Partial<StorageClass>)))).toEqual(expected);
  });

  it('defaults reclaimPolicy to Delete and volumeBindingMode to Immediate', () => {
    const obj = sc();
    expect([obj.reclaimPolicy, obj.volumeBindingMode]).toEqual(['Delete', 'Immediate']);
    const kept = sc({ reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' });
    expect([kept.reclaimPolicy, kept.volumeBindingMode]).toEqual([
      'Retain',
      'WaitForFirstConsumer',
    ]);
  });

  it('keeps provisioner, parameters, reclaimPolicy and volumeBindingMode immutable', () => {
    const old = sc({ parameters: { type: 'ssd' } });
    expect(
      validateStorageClassUpdate(
        { ...old, allowVolumeExpansion: true, metadata: { name: 'standard', labels: { a: 'b' } } },
        old,
      ),
    ).toEqual([]);
    expect(
      errors(
        validateStorageClassUpdate(
          {
            ...old,
            provisioner: 'example.com/other',
            parameters: { type: 'hdd' },
            reclaimPolicy: 'Retain',
            volumeBindingMode: 'WaitForFirstConsumer',
          },
          old,
        ),
      ),
    ).toEqual([
      'parameters: Forbidden: updates to parameters are forbidden.',
      'provisioner: Forbidden: updates to provisioner are forbidden.',
      'reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.',
      'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
    ]);
  });

  it('prints the default class as "(default)", with its policies and expansion', () => {
    const byAnnotation = (key: string) =>
      sc({
        metadata: {
          name: 'standard',
          creationTimestamp: formatTime(0),
          annotations: { [key]: 'true' },
        },
      });
    expect(STORAGE_CLASS.table.map((c) => c.name)).toEqual([
      'Name',
      'Provisioner',
      'ReclaimPolicy',
      'VolumeBindingMode',
      'AllowVolumeExpansion',
      'Age',
    ]);
    const row = (obj: StorageClass) => STORAGE_CLASS.table.map((c) => c.cell(obj, 90_000_000));
    expect(row(byAnnotation('storageclass.kubernetes.io/is-default-class'))).toEqual([
      'standard (default)',
      'rancher.io/local-path',
      'Delete',
      'Immediate',
      false,
      '90s',
    ]);
    expect(row(byAnnotation('storageclass.beta.kubernetes.io/is-default-class'))[0]).toBe(
      'standard (default)',
    );
    expect(row(sc({ allowVolumeExpansion: true })).slice(0, 5)).toEqual([
      'standard',
      'rancher.io/local-path',
      'Delete',
      'Immediate',
      true,
    ]);
  });

  it('is served by the API server: defaulted on create, immutable parameters refused with 422', async () => {
    const sim = controlPlane();
    await runScript(sim, async (api) => {
      const created = await api.create({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'fast' },
        provisioner: 'example.com/ssd',
        parameters: { type: 'ssd' },
      } as StorageClass);
      if (!created.ok) throw new Error(created.error.message);
      expect([created.value.reclaimPolicy, created.value.volumeBindingMode]).toEqual([
        'Delete',
        'Immediate',
      ]);
      const changed = await api.update({ ...created.value, parameters: { type: 'hdd' } });
      expect(changed.ok ? 0 : changed.status).toBe(422);
      expect(changed.ok ? '' : changed.error.message).toBe(
        'StorageClass.storage.k8s.io "fast" is invalid: parameters: Forbidden: updates to parameters are forbidden.',
      );
    });
  });
});
