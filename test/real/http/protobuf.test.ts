import { describe, expect, it } from 'vitest';
import { DEFINITIONS } from '../../../core/api/kinds/index.ts';
import { decodeProtobufBody, goDuration, protobufKind } from '../../../real/http/protobuf.ts';

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

  it('reads a Deployment as kubectl create deployment sends it: pointers keep their zero', () => {
    // DeploymentSpec: replicas (1, *int32) is written when set, even 0; minReadySeconds (5,
    // int32 omitempty) and paused (7, bool omitempty) always, and JSON leaves their zeros out.
    const container = [
      ...str(1, 'busybox'),
      ...str(2, 'busybox'),
      ...str(3, 'sleep'),
      ...str(3, '1'),
    ];
    const podSpec = [...bytesField(2, container), ...str(3, ''), ...bytesField(14, [])];
    const template = [...bytesField(1, entryMeta()), ...bytesField(2, podSpec)];
    const selector = bytesField(1, [...str(1, 'app'), ...str(2, 'x')]);
    const spec = [
      ...int(1, 0),
      ...bytesField(2, selector),
      ...bytesField(3, template),
      ...bytesField(4, []),
      ...int(5, 0),
      ...int(7, 0),
    ];
    const raw = [
      ...bytesField(1, [...str(1, 'x'), ...str(3, 'default')]),
      ...bytesField(2, spec),
      ...bytesField(3, []),
    ];
    expect(decodeProtobufBody(envelope('apps/v1', 'Deployment', raw))).toEqual({
      ok: true,
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'x', namespace: 'default' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'x' } },
          template: {
            metadata: { labels: { app: 'x' } },
            spec: {
              containers: [{ name: 'busybox', image: 'busybox', command: ['sleep', '1'] }],
              securityContext: {},
            },
          },
          strategy: {},
        },
        status: {},
      },
    });
  });

  it('reads int-or-string by its type tag and Quantity as its string', () => {
    // ServicePort: targetPort (4) is an IntOrString {type 1, intVal 2, strVal 3}; nodePort (5)
    // is written as 0 and omitted; a zero IntOrString (omitempty) is omitted too.
    const intPort = [
      ...str(1, 'a'),
      ...str(2, 'TCP'),
      ...int(3, 80),
      ...bytesField(4, [...int(1, 0), ...int(2, 8080), ...str(3, '')]),
      ...int(5, 0),
    ];
    const namedPort = [
      ...str(1, ''),
      ...int(3, 443),
      ...bytesField(4, [...int(1, 1), ...int(2, 0), ...str(3, 'https')]),
    ];
    const zeroPort = [...int(3, 53), ...bytesField(4, [...int(1, 0), ...int(2, 0), ...str(3, '')])];
    const svcSpec = [
      ...bytesField(1, intPort),
      ...bytesField(1, namedPort),
      ...bytesField(1, zeroPort),
      ...entry(2, 'app', 'x'),
    ];
    expect(
      decodeProtobufBody(
        envelope('v1', 'Service', [...bytesField(1, str(1, 's')), ...bytesField(2, svcSpec)]),
      ),
    ).toMatchObject({
      ok: true,
      object: {
        spec: {
          ports: [
            { name: 'a', protocol: 'TCP', port: 80, targetPort: 8080 },
            { port: 443, targetPort: 'https' },
            { port: 53 },
          ],
          selector: { app: 'x' },
        },
      },
    });
    // ResourceQuotaSpec.hard (1) is map<string, Quantity {string 1}>.
    const quantity = (k: string, v: string): number[] =>
      bytesField(1, [...str(1, k), ...bytesField(2, str(1, v))]);
    const quota = [
      ...bytesField(1, str(1, 'q')),
      ...bytesField(2, [...quantity('cpu', '500m'), ...quantity('pods', '10')]),
    ];
    expect(decodeProtobufBody(envelope('v1', 'ResourceQuota', quota))).toMatchObject({
      ok: true,
      object: { spec: { hard: { cpu: '500m', pods: '10' } } },
    });
  });

  it('reads times, embedded JSON, inlined structs, list wrappers and nested options', () => {
    // Lease: MicroTime renewTime (4) with nanos; ObjectMeta.creationTimestamp (8) as seconds.
    const lease = [
      ...bytesField(1, [...str(1, 'l'), ...bytesField(8, int(1, 1_700_000_000))]),
      ...bytesField(2, [
        ...str(1, 'me'),
        ...bytesField(4, [...int(1, 1_700_000_001), ...int(2, 123_456_789)]),
      ]),
    ];
    expect(decodeProtobufBody(envelope('coordination.k8s.io/v1', 'Lease', lease))).toMatchObject({
      ok: true,
      object: {
        metadata: { name: 'l', creationTimestamp: '2023-11-14T22:13:20Z' },
        spec: { holderIdentity: 'me', renewTime: '2023-11-14T22:13:21.123456Z' },
      },
    });
    // ControllerRevision.data (2) is a RawExtension {raw 1}: JSON inside protobuf.
    const revision = [
      ...bytesField(1, str(1, 'r')),
      ...bytesField(2, bytesField(1, [...Buffer.from('{"spec":{"a":1}}')])),
      ...int(3, 4),
    ];
    expect(decodeProtobufBody(envelope('apps/v1', 'ControllerRevision', revision))).toMatchObject({
      ok: true,
      object: { data: { spec: { a: 1 } }, revision: 4 },
    });
    // IngressRule: host (1), ingressRuleValue (2, inlined in JSON) {http (1) {paths (1)}}.
    const path = [
      ...str(1, '/bar'),
      ...bytesField(
        2,
        // IngressBackend.service is field 4.
        bytesField(4, [...str(1, 'svc'), ...bytesField(2, [...str(1, ''), ...int(2, 80)])]),
      ),
      ...str(3, 'Exact'),
    ];
    const rule = [...str(1, 'foo.com'), ...bytesField(2, bytesField(1, bytesField(1, path)))];
    expect(
      decodeProtobufBody(
        envelope('networking.k8s.io/v1', 'Ingress', [
          ...bytesField(1, str(1, 'i')),
          ...bytesField(2, bytesField(3, rule)),
        ]),
      ),
    ).toMatchObject({
      ok: true,
      object: {
        spec: {
          rules: [
            {
              host: 'foo.com',
              http: {
                paths: [
                  {
                    path: '/bar',
                    pathType: 'Exact',
                    backend: { service: { name: 'svc', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    });
    // SubjectAccessReviewSpec.extra (5) is map<string, ExtraValue {repeated items 1}>.
    const sar = [
      ...bytesField(1, []),
      ...bytesField(2, [
        ...str(3, 'bob'),
        ...bytesField(5, [...str(1, 'scopes'), ...bytesField(2, [...str(1, 'a'), ...str(1, 'b')])]),
      ]),
    ];
    expect(
      decodeProtobufBody(envelope('authorization.k8s.io/v1', 'SubjectAccessReview', sar)),
    ).toMatchObject({
      ok: true,
      object: { spec: { user: 'bob', extra: { scopes: ['a', 'b'] } } },
    });
    // Eviction.deleteOptions (2): gracePeriodSeconds (1, *int64) 0 is kept, as `--grace-period=0`.
    const eviction = [
      ...bytesField(1, [...str(1, 'p'), ...str(3, 'default')]),
      ...bytesField(2, [...int(1, 0), ...str(4, 'Foreground')]),
    ];
    expect(decodeProtobufBody(envelope('policy/v1', 'Eviction', eviction))).toMatchObject({
      ok: true,
      object: { deleteOptions: { gracePeriodSeconds: 0, propagationPolicy: 'Foreground' } },
    });
    // DeleteOptions, registered in every group version, whatever apiVersion the client says.
    expect(decodeProtobufBody(envelope('apps/v1', 'DeleteOptions', int(1, 30)))).toEqual({
      ok: true,
      object: { apiVersion: 'apps/v1', kind: 'DeleteOptions', gracePeriodSeconds: 30 },
    });
  });

  it('skips fields it does not know, as a newer client may send them', () => {
    const raw = [
      ...bytesField(1, str(1, 'cfg')),
      ...int(99, 7),
      ...str(98, 'later'),
      ...entry(2, 'a', '1'),
    ];
    expect(decodeProtobufBody(envelope('v1', 'ConfigMap', raw))).toEqual({
      ok: true,
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } },
    });
  });

  it('knows every stable built-in kind the commands of kubectl create send', () => {
    const kinds = [
      ['apps/v1', 'Deployment'],
      ['apps/v1', 'StatefulSet'],
      ['apps/v1', 'DaemonSet'],
      ['batch/v1', 'Job'],
      ['batch/v1', 'CronJob'],
      ['v1', 'Service'],
      ['v1', 'ServiceAccount'],
      ['v1', 'ResourceQuota'],
      ['rbac.authorization.k8s.io/v1', 'Role'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
      ['scheduling.k8s.io/v1', 'PriorityClass'],
      ['policy/v1', 'PodDisruptionBudget'],
      ['policy/v1', 'Eviction'],
      ['networking.k8s.io/v1', 'Ingress'],
      ['authentication.k8s.io/v1', 'TokenRequest'],
      ['autoscaling/v1', 'Scale'],
      ['autoscaling/v1', 'HorizontalPodAutoscaler'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler'],
    ] as const;
    for (const [apiVersion, kind] of kinds) {
      expect(protobufKind(apiVersion, kind)?.name, `${apiVersion} ${kind}`).toBe(kind);
    }
  });

  it('has a schema for every kind the API server serves but CRDs (apiextensions is not k8s.io/api)', () => {
    const missing = DEFINITIONS.map((d) => d.resource)
      .filter((r) => protobufKind(r.apiVersion, r.kind) === undefined)
      .map((r) => `${r.apiVersion} ${r.kind}`);
    expect(missing).toEqual(['apiextensions.k8s.io/v1 CustomResourceDefinition']);
  });

  it('formats durations as Go does', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(1_500_000)).toBe('1.5ms');
    expect(goDuration(90_000_000_000)).toBe('1m30s');
    expect(goDuration(3_600_000_000_000)).toBe('1h0m0s');
    expect(goDuration(2_500)).toBe('2.5µs');
  });

  it('refuses kinds it has no schema for, bodies without the prefix and truncated ones', () => {
    expect(decodeProtobufBody(envelope('example.com/v1', 'Widget', []))).toEqual({
      ok: false,
      reason: 'example.com/v1 Widget is not a built-in kind',
    });
    expect(decodeProtobufBody(Uint8Array.from([1, 2, 3, 4, 5]))).toMatchObject({ ok: false });
    const whole = envelope('v1', 'ConfigMap', str(1, 'x'));
    expect(decodeProtobufBody(whole.subarray(0, whole.length - 8))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^invalid protobuf body: index out of range/),
    });
    const badJson = [
      ...bytesField(1, str(1, 'r')),
      ...bytesField(2, bytesField(1, [...Buffer.from('{nope')])),
    ];
    expect(decodeProtobufBody(envelope('apps/v1', 'ControllerRevision', badJson))).toEqual({
      ok: false,
      reason: 'invalid protobuf body: a RawExtension does not hold JSON',
    });
  });
});

/** ObjectMeta {labels: {app: x}}. */
function entryMeta(): number[] {
  return entry(11, 'app', 'x');
}
