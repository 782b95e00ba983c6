import { describe, expect, it } from 'vitest';
import { formatFieldError, type FieldError } from '../../../../core/api/field-error.ts';
import {
  INGRESS,
  validateIngressCreate,
  validateIngressStatusUpdate,
  validateIngressUpdate,
  type Ingress,
} from '../../../../core/api/kinds/ingress.ts';
import { controlPlane, runScript } from '../../../support/cluster.ts';

type Spec = NonNullable<Ingress['spec']>;

const web = { service: { name: 'web', port: { number: 80 } } };

const ing = (spec: Spec | undefined, annotations?: Record<string, string>): Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: 'default', ...(annotations ? { annotations } : {}) },
  ...(spec === undefined ? {} : { spec }),
});

const rule = (path: Record<string, unknown>, host = 'shop.example.com') => ({
  host,
  http: { paths: [{ path: '/', pathType: 'Prefix', backend: web, ...path }] },
});

const errors = (errs: readonly FieldError[]) => errs.map(formatFieldError);
const DNS1123 =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe('Ingress validation (pkg/apis/networking/validation)', () => {
  it.each([
    [
      'rules with exact, prefix and implementation-specific paths, TLS and a class',
      {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['shop.example.com', '*.example.com'], secretName: 'shop-tls' }],
        rules: [
          rule({}),
          rule({ path: '/cart', pathType: 'Exact' }, '*.example.com'),
          rule({ path: '', pathType: 'ImplementationSpecific' }, ''),
          {
            http: {
              paths: [
                {
                  path: '/static',
                  pathType: 'Prefix',
                  backend: { resource: { apiGroup: 'k8s.example.com', kind: 'Bucket', name: 's' } },
                },
              ],
            },
          },
        ],
      },
      [],
    ],
    [
      'only a default backend',
      { defaultBackend: { service: { name: 'web', port: { name: 'http' } } } },
      [],
    ],
    [
      'neither rules nor a default backend',
      {},
      [
        'spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified',
      ],
    ],
    [
      'an empty rule list',
      { rules: [] },
      [
        'spec: Invalid value: []networking.IngressRule{}: either `defaultBackend` or `rules` must be specified',
      ],
    ],
    [
      'an IP address as host',
      { rules: [rule({}, '10.0.0.1')] },
      ['spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address'],
    ],
    [
      'a wildcard that is not the first label',
      { rules: [rule({}, 'shop.*.com')] },
      [
        "spec.rules[0].host: Invalid value: \"shop.*.com\": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
    [
      'an upper-case host',
      { rules: [rule({}, 'Shop.example.com')] },
      [`spec.rules[0].host: Invalid value: "Shop.example.com": ${DNS1123}`],
    ],
    [
      'an http rule without paths',
      { rules: [{ host: 'a.example.com', http: { paths: [] } }] },
      ['spec.rules[0].http.paths: Required value'],
    ],
    [
      'a path without a path type',
      { rules: [rule({ pathType: undefined })] },
      ['spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified'],
    ],
    [
      'an unknown path type',
      { rules: [rule({ pathType: 'Regex' })] },
      [
        'spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
      ],
    ],
    [
      'a relative prefix path',
      { rules: [rule({ path: 'cart' })] },
      ['spec.rules[0].http.paths[0].path: Invalid value: "cart": must be an absolute path'],
    ],
    [
      'a path with a double slash that ends in a dot',
      { rules: [rule({ path: '/a//b/.', pathType: 'Exact' })] },
      [
        'spec.rules[0].http.paths[0].path: Invalid value: "/a//b/.": must not contain \'//\'',
        'spec.rules[0].http.paths[0].path: Invalid value: "/a//b/.": cannot end with \'/.\'',
      ],
    ],
    [
      'an implementation-specific relative path',
      { rules: [rule({ path: 'x', pathType: 'ImplementationSpecific' })] },
      ['spec.rules[0].http.paths[0].path: Invalid value: "x": must be an absolute path'],
    ],
    [
      'a backend with both a resource and a service',
      { rules: [rule({ backend: { ...web, resource: { kind: 'Bucket', name: 's' } } })] },
      [
        'spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both resource and service backends',
      ],
    ],
    [
      'an empty backend',
      { rules: [rule({ backend: {} })] },
      [
        'spec.rules[0].http.paths[0].backend: Invalid value: "": resource or service backend is required',
      ],
    ],
    [
      'a service name that is not a DNS-1035 label',
      { defaultBackend: { service: { name: '1web', port: { number: 80 } } } },
      [
        "spec.defaultBackend.service.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    [
      'a service without a name or port',
      { defaultBackend: { service: { name: '' } } },
      [
        'spec.defaultBackend.service.name: Required value',
        'spec.defaultBackend: Required value: port name or number is required',
      ],
    ],
    [
      'a port with both a name and a number',
      { defaultBackend: { service: { name: 'web', port: { name: 'http', number: 80 } } } },
      ['spec.defaultBackend: Invalid value: "": cannot set both port name & port number'],
    ],
    [
      'a port number out of range',
      { defaultBackend: { service: { name: 'web', port: { number: 65536 } } } },
      [
        'spec.defaultBackend.service.port.number: Invalid value: 65536: must be between 1 and 65535, inclusive',
      ],
    ],
    [
      'a resource backend without a kind and with a slash in its name',
      { defaultBackend: { resource: { kind: '', name: 'a/b' } } },
      [
        'spec.defaultBackend.resource.kind: Required value',
        'spec.defaultBackend.resource.name: Invalid value: "a/b": may not contain \'/\'',
      ],
    ],
    [
      'a TLS secret name that is not a Secret name, and a bad TLS host',
      { defaultBackend: web, tls: [{ hosts: ['Shop'], secretName: 'Shop_TLS' }] },
      [
        `spec.tls[0].hosts[0]: Invalid value: "Shop": ${DNS1123}`,
        `spec.tls[0].secretName: Invalid value: "Shop_TLS": ${DNS1123}`,
      ],
    ],
    [
      'a bad class name',
      { defaultBackend: web, ingressClassName: 'Nginx' },
      [`spec.ingressClassName: Invalid value: "Nginx": ${DNS1123}`],
    ],
  ] as const)('%s', (_name, spec, expected) => {
    expect(errors(validateIngressCreate(ing(spec as unknown as Spec)))).toEqual(expected);
  });

  it('refuses a class annotation that disagrees with ingressClassName on create', () => {
    const spec: Spec = { defaultBackend: web, ingressClassName: 'nginx' };
    expect(
      errors(validateIngressCreate(ing(spec, { 'kubernetes.io/ingress.class': 'traefik' }))),
    ).toEqual([
      'annotations.kubernetes.io/ingress.class: Invalid value: "traefik": must match `ingressClassName` when both are specified',
    ]);
    expect(validateIngressCreate(ing(spec, { 'kubernetes.io/ingress.class': 'nginx' }))).toEqual(
      [],
    );
    expect(
      validateIngressCreate(ing({ defaultBackend: web }, { 'kubernetes.io/ingress.class': 'x' })),
    ).toEqual([]);
  });

  it('on update, tolerates the invalid secret names and wildcard rules the old object had', () => {
    const badSecret = ing({ defaultBackend: web, tls: [{ secretName: 'Bad_Secret' }] });
    const good = ing({ defaultBackend: web });
    expect(validateIngressUpdate(badSecret, badSecret)).toEqual([]);
    expect(errors(validateIngressUpdate(badSecret, good))).toEqual([
      `spec.tls[0].secretName: Invalid value: "Bad_Secret": ${DNS1123}`,
    ]);
    const badWildcard = ing({ rules: [{ host: '*.example.com', http: { paths: [] } }] });
    expect(validateIngressUpdate(badWildcard, badWildcard)).toEqual([]);
    expect(errors(validateIngressUpdate(badWildcard, good))).toEqual([
      'spec.rules[0].http.paths: Required value',
    ]);
  });

  it('validates load-balancer addresses on status updates', () => {
    const old = ing({ defaultBackend: web });
    const withStatus = (lb: { ip?: string; hostname?: string }[]): Ingress => ({
      ...old,
      status: { loadBalancer: { ingress: lb } },
    });
    expect(
      validateIngressStatusUpdate(
        withStatus([{ ip: '10.0.0.1' }, { ip: '2001:db8::1' }, { hostname: 'lb.example.com' }]),
        old,
      ),
    ).toEqual([]);
    expect(
      errors(
        validateIngressStatusUpdate(
          withStatus([{ ip: '10.0.0.256' }, { hostname: '10.0.0.1' }]),
          old,
        ),
      ),
    ).toEqual([
      'status.loadBalancer.ingress[0].ip: Invalid value: "10.0.0.256": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'status.loadBalancer.ingress[1].hostname: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    ]);
  });

  it('prints Name, Class, Hosts, Address, Ports and Age', () => {
    const obj: Ingress = {
      ...ing({
        ingressClassName: 'nginx',
        tls: [{ hosts: ['a.example.com'] }],
        rules: [
          rule({}, 'a.example.com'),
          rule({}, 'b.example.com'),
          rule({}, ''),
          rule({}, 'c.example.com'),
          rule({}, 'd.example.com'),
        ],
      }),
      status: {
        loadBalancer: {
          ingress: [{ ip: '203.0.113.20' }, { ip: '203.0.113.10' }, { hostname: 'lb.example.com' }],
        },
      },
    };
    expect(INGRESS.table.map((c) => c.name)).toEqual([
      'Name',
      'Class',
      'Hosts',
      'Address',
      'Ports',
      'Age',
    ]);
    expect(INGRESS.table.slice(0, 5).map((c) => c.cell(obj, 0))).toEqual([
      'web',
      'nginx',
      'a.example.com,b.example.com,c.example.com + 2 more...',
      '203.0.113.10,...',
      '80, 443',
    ]);
    const plain = ing({ rules: [rule({}, '')] });
    expect(INGRESS.table.slice(1, 5).map((c) => c.cell(plain, 0))).toEqual([
      '<none>',
      '*',
      '',
      '80',
    ]);
  });

  it('is served with a status subresource: status is reset on create and only /status writes it', async () => {
    const sim = controlPlane();
    await runScript(sim, async (api) => {
      const lb = { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } };
      const created = await api.create({ ...ing({ rules: [rule({})] }), status: lb });
      if (!created.ok) throw new Error(created.error.message);
      expect(created.value.status).toEqual({ loadBalancer: {} });
      expect(created.value.metadata.generation).toBe(1);
      const viaMain = await api.update({ ...created.value, status: lb });
      if (!viaMain.ok) throw new Error(viaMain.error.message);
      expect(viaMain.value.status).toEqual({ loadBalancer: {} });
      expect(viaMain.value.metadata.generation).toBe(1);
      // The spec sent to /status is ignored.
      const viaStatus = await api.updateStatus<Ingress>({
        ...viaMain.value,
        status: lb,
        spec: { defaultBackend: web },
      });
      if (!viaStatus.ok) throw new Error(viaStatus.error.message);
      expect(viaStatus.value.status).toEqual(lb);
      expect(viaStatus.value.spec?.rules).toHaveLength(1);
      const respec = await api.update({ ...viaStatus.value, spec: { defaultBackend: web } });
      if (!respec.ok) throw new Error(respec.error.message);
      expect(respec.value.metadata.generation).toBe(2);
      const bad = await api.updateStatus({
        ...respec.value,
        status: { loadBalancer: { ingress: [{ ip: 'x' }] } },
      });
      expect(bad.ok ? 0 : bad.status).toBe(422);
    });
  });
});
