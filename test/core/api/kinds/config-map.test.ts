import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../../../../core/api/field-error.ts';
import {
  CONFIG_MAP,
  validateConfigMap,
  validateConfigMapUpdate,
  type ConfigMap,
} from '../../../../core/api/kinds/config-map.ts';
import { controlPlane, runScript } from '../../../support/cluster.ts';

const cm = (fields: Partial<ConfigMap> = {}): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'default' },
  ...fields,
});

const errors = (errs: ReturnType<typeof validateConfigMap>) => errs.map(formatFieldError);

describe('ConfigMap', () => {
  it.each([
    [{ data: { 'app.properties': 'a=1', KEY_1: 'x', 'key-name': '' } }, []],
    [
      { data: { 'bad/key': 'x' } },
      [
        "data[bad/key]: Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ],
    ],
    [{ data: { '..': 'x' } }, ['data[..]: Invalid value: "..": must not be \'..\'']],
    [{ data: { '..x': 'x' } }, ['data[..x]: Invalid value: "..x": must not start with \'..\'']],
    [
      { data: { k: 'x' }, binaryData: { k: 'eA==' } },
      ['data[k]: Invalid value: "k": duplicate of key present in binaryData'],
    ],
    [
      { data: { big: 'x'.repeat(1024 * 1024 + 1) } },
      [': Too long: must have at most 1048576 bytes'],
    ],
  ] as const)('validates %j', (fields, expected) => {
    expect(errors(validateConfigMap(cm(fields as Partial<ConfigMap>)))).toEqual(expected);
  });

  it('keeps an immutable ConfigMap immutable: data, binaryData and the flag itself', () => {
    const old = cm({ data: { a: '1' }, immutable: true });
    expect(validateConfigMapUpdate(cm({ data: { a: '1' }, immutable: true }), old)).toEqual([]);
    expect(errors(validateConfigMapUpdate(cm({ data: { a: '2' }, immutable: true }), old))).toEqual(
      ['data: Forbidden: field is immutable when `immutable` is set'],
    );
    expect(errors(validateConfigMapUpdate(cm({ data: { a: '1' } }), old))).toEqual([
      'immutable: Forbidden: field is immutable when `immutable` is set',
    ]);
    const mutable = cm({ data: { a: '1' } });
    expect(validateConfigMapUpdate(cm({ data: { a: '2' } }), mutable)).toEqual([]);
  });

  it('prints Name, Data (the number of keys in both maps) and Age', () => {
    const obj = cm({ data: { a: '1', b: '2' }, binaryData: { c: 'eA==' } });
    expect(CONFIG_MAP.table.map((c) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(CONFIG_MAP.table[1]?.cell(obj, 0)).toBe(3);
  });

  it('is served by the API server: create, get, 422 on a bad key, 422 on changing immutable data', async () => {
    const sim = controlPlane();
    await runScript(sim, async (api) => {
      const created = await api.create(cm({ data: { a: '1' }, immutable: true }));
      expect(created.ok && created.value.metadata.uid).toBeTruthy();
      const got = await api.get('ConfigMap', 'default', 'settings');
      expect(got.ok && got.value.data).toEqual({ a: '1' });
      const bad = await api.create(
        cm({ metadata: { name: 'bad', namespace: 'default' }, data: { 'a/b': '' } }),
      );
      expect(bad.ok ? 0 : bad.status).toBe(422);
      if (!got.ok) throw new Error('get failed');
      const changed = await api.update({ ...got.value, data: { a: '2' } });
      expect(changed.ok ? 0 : changed.status).toBe(422);
      expect(changed.ok ? '' : changed.error.message).toContain(
        'data: Forbidden: field is immutable when `immutable` is set',
      );
    });
  });
});
