import { describe, expect, it } from 'vitest';
import { formatFieldError, type FieldError } from '../../../../core/api/field-error.ts';
import {
  decodeSecret,
  SECRET,
  validateSecret,
  validateSecretUpdate,
  type Secret,
} from '../../../../core/api/kinds/secret.ts';
import { controlPlane, runScript } from '../../../support/cluster.ts';

const messages = (errs: readonly FieldError[]) => errs.map(formatFieldError);

const secret = (fields: Partial<Secret> = {}): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'creds', namespace: 'default' },
  type: 'Opaque',
  ...fields,
});

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('Secret decoding (Convert_v1_Secret_To_core_Secret)', () => {
  it('folds stringData into data as base64, stringData winning, and never stores it', () => {
    const decoded = decodeSecret(
      secret({ data: { a: b64('old'), b: b64('kept') }, stringData: { a: 'new', c: 'é' } }),
    );
    expect(decoded).toEqual(secret({ data: { a: b64('new'), b: b64('kept'), c: b64('é') } }));
  });

  it('refuses data that is not base64, with Go decoder offsets', () => {
    expect(decodeSecret(secret({ data: { a: 'not base64!' } }))).toBe(
      'illegal base64 data at input byte 3',
    );
    expect(decodeSecret(secret({ data: { a: 'YWJj' } }))).toEqual(secret({ data: { a: 'YWJj' } }));
    expect(decodeSecret(secret({ data: { a: 'YWJ' } }))).toBe(
      'illegal base64 data at input byte 0',
    );
  });
});

describe('Secret validation (ValidateSecret), upstream paths and messages', () => {
  it.each<[string, Secret, string[]]>([
    ['an Opaque secret', secret({ data: { 'key.name': b64('x') } }), []],
    [
      'a bad key',
      secret({ data: { 'a/b': b64('x') } }),
      [
        "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ],
    ],
    [
      'a service account token without its account',
      secret({ type: 'kubernetes.io/service-account-token' }),
      ['metadata.annotations[kubernetes.io/service-account.name]: Required value'],
    ],
    [
      'a service account token with its account',
      secret({
        type: 'kubernetes.io/service-account-token',
        metadata: {
          name: 't',
          namespace: 'default',
          annotations: { 'kubernetes.io/service-account.name': 'robot' },
        },
      }),
      [],
    ],
    [
      'a docker config without its key',
      secret({ type: 'kubernetes.io/dockerconfigjson' }),
      ['data[.dockerconfigjson]: Required value'],
    ],
    [
      'a docker config that is not JSON',
      secret({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('xyz') } }),
      [
        'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character \'x\' looking for beginning of value',
      ],
    ],
    [
      'a docker config',
      secret({
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': b64('{"auths":{}}') },
      }),
      [],
    ],
    [
      'a TLS secret without its pair',
      secret({ type: 'kubernetes.io/tls' }),
      ['data[tls.crt]: Required value', 'data[tls.key]: Required value'],
    ],
    [
      'basic auth without username or password',
      secret({ type: 'kubernetes.io/basic-auth' }),
      ['data[username]: Required value', 'data[password]: Required value'],
    ],
    [
      'an SSH secret without its key',
      secret({ type: 'kubernetes.io/ssh-auth' }),
      ['data[ssh-privatekey]: Required value'],
    ],
    [
      'more than 1 MiB of data',
      secret({ data: { big: b64('x'.repeat(1024 * 1024 + 1)) } }),
      ['data: Too long: must have at most 1048576 bytes'],
    ],
  ])('%s', (_name, s, expected) => {
    expect(messages(validateSecret(s))).toEqual(expected);
  });

  it('keeps the type, and the data of an immutable secret', () => {
    const old = secret({ data: { a: b64('1') }, immutable: true });
    expect(
      messages(validateSecretUpdate({ ...old, type: 'kubernetes.io/basic-auth' }, old)),
    ).toEqual([
      'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
      'data[username]: Required value',
      'data[password]: Required value',
    ]);
    expect(messages(validateSecretUpdate({ ...old, data: { a: b64('2') } }, old))).toEqual([
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    expect(messages(validateSecretUpdate({ ...old, immutable: false }, old))).toEqual([
      'immutable: Forbidden: field is immutable when `immutable` is set',
    ]);
  });

  it('prints Name, Type, Data and Age', () => {
    expect(SECRET.table.map((c) => c.name)).toEqual(['Name', 'Type', 'Data', 'Age']);
    expect(SECRET.table[2]?.cell(secret({ data: { a: 'YQ==', b: 'Yg==' } }), 0)).toBe(2);
  });
});

describe('Secrets served by the API server', () => {
  it('stores stringData as data, defaults the type, answers 400 for bad base64, selects by type', async () => {
    await runScript(controlPlane(), async (api) => {
      const created = await api.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds', namespace: 'default' },
        stringData: { password: 'hunter2' },
      } as Secret);
      expect(created.ok && created.value).toMatchObject({
        type: 'Opaque',
        data: { password: b64('hunter2') },
      });
      expect(created.ok && 'stringData' in created.value).toBe(false);
      const bad = await api.create(secret({ metadata: { name: 'bad' }, data: { a: '!!!!' } }));
      expect(bad.status).toBe(400);
      expect(!bad.ok && bad.error.message).toBe(
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0',
      );
      const patched = await api.patch('Secret', 'default', 'creds', {
        stringData: { user: 'alice' },
      });
      expect(patched.ok && patched.value.data).toEqual({
        password: b64('hunter2'),
        user: b64('alice'),
      });
      const opaque = await api.list('Secret', 'default', { fieldSelector: 'type=Opaque' });
      expect(opaque.ok && opaque.value.items.map((s) => s.metadata.name)).toEqual(['creds']);
    });
  });
});
