import { describe, expect, it } from 'vitest';
import { decodeProtobufBody } from '../../../real/http/protobuf.ts';

/** The protobuf wire format, enough to write the messages kubectl sends. */
const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
};
const bytesField = (field: number, value: Uint8Array | number[]): number[] => [
  ...varint(field * 8 + 2),
  ...varint(value.length),
  ...value,
];
const str = (field: number, s: string): number[] => bytesField(field, [...Buffer.from(s)]);
const int = (field: number, n: number): number[] => [...varint(field * 8), ...varint(n)];
const entry = (field: number, k: string, v: string): number[] =>
  bytesField(field, [...str(1, k), ...str(2, v)]);

function envelope(apiVersion: string, kind: string, raw: number[]): Uint8Array {
  const typeMeta = [...str(1, apiVersion), ...str(2, kind)];
  return Uint8Array.from([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...bytesField(1, typeMeta),
    ...bytesField(2, raw),
    ...str(3, ''),
    ...str(4, ''),
  ]);
}

describe('protobuf request bodies', () => {
  it('reads a ConfigMap as kubectl create configmap sends it, leaving out zero values', () => {
    // Go's generated code writes every non-pointer field: empty strings, 0, the zero Time.
    const metadata = [
      ...str(1, 'cfg'),
      ...str(2, ''),
      ...str(3, ''),
      ...str(5, ''),
      ...str(6, ''),
      ...int(7, 0),
      ...bytesField(8, []),
      ...entry(11, 'app', 'web'),
      ...entry(11, 'tier', 'front'),
      ...str(14, 'f1'),
      ...str(14, 'f2'),
    ];
    const raw = [
      ...bytesField(1, metadata),
      ...entry(2, 'a', '1'),
      ...entry(2, 'b', ''),
      ...entry(3, 'bin', '\u0001\u0002'),
    ];
    expect(decodeProtobufBody(envelope('v1', 'ConfigMap', raw))).toEqual({
      ok: true,
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cfg', labels: { app: 'web', tier: 'front' }, finalizers: ['f1', 'f2'] },
        data: { a: '1', b: '' },
        binaryData: { bin: Buffer.from([1, 2]).toString('base64') },
      },
    });
  });

  it('reads a SelfSubjectAccessReview as kubectl auth can-i sends it', () => {
    const attributes = [
      ...str(1, 'default'),
      ...str(2, 'create'),
      ...str(3, ''),
      ...str(5, 'pods'),
    ];
    const raw = [...bytesField(1, []), ...bytesField(2, bytesField(1, attributes))];
    expect(
      decodeProtobufBody(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', raw)),
    ).toEqual({
      ok: true,
      object: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: {},
        spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } },
      },
    });
  });

  it('refuses kinds it has no schema for, bodies without the prefix and truncated ones', () => {
    expect(decodeProtobufBody(envelope('apps/v1', 'Deployment', []))).toEqual({
      ok: false,
      reason: 'protobuf bodies of apps/v1 Deployment are not supported',
    });
    expect(decodeProtobufBody(Uint8Array.from([1, 2, 3, 4, 5]))).toMatchObject({ ok: false });
    const whole = envelope('v1', 'ConfigMap', str(1, 'x'));
    expect(decodeProtobufBody(whole.subarray(0, whole.length - 8))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^invalid protobuf body: truncated/),
    });
  });
});
