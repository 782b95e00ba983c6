import { DEFAULT_FEATURE_GATES } from '../../../../core/api/feature-gates.ts';
import { describe, expect, it } from 'vitest';
import { formatFieldError, type FieldError } from '../../../../core/api/field-error.ts';
import { defaultService, SERVICE, type Service } from '../../../../core/api/kinds/service.ts';
import {
  validateService,
  validateServiceStatusUpdate,
  validateServiceUpdate,
} from '../../../../core/api/kinds/service-validation.ts';

type Spec = NonNullable<Service['spec']>;

const messages = (errs: readonly FieldError[]) => errs.map(formatFieldError);

/** A Service as the registry stores it: defaulted, with the fields allocation fills in. */
function stored(spec: Spec, name = 'web', annotations?: Record<string, string>): Service {
  const svc = defaultService({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec },
  });
  const s = svc.spec ?? {};
  if (s.type === 'ExternalName') return svc;
  const clusterIP = s.clusterIP ?? '10.96.0.20';
  return {
    ...svc,
    spec: {
      ...s,
      clusterIP,
      clusterIPs: s.clusterIPs ?? [clusterIP],
      ipFamilies: s.ipFamilies ?? (clusterIP === 'None' ? ['IPv4'] : ['IPv4']),
      ipFamilyPolicy: s.ipFamilyPolicy ?? 'SingleStack',
      ...(s.type === 'NodePort' || s.type === 'LoadBalancer'
        ? { ports: (s.ports ?? []).map((p) => ({ nodePort: 30080, ...p })) }
        : {}),
    },
  };
}

describe('Service defaulting (SetDefaults_Service)', () => {
  it('fills type, affinity, protocol, targetPort and traffic policies', () => {
    const svc = defaultService({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb', namespace: 'default' },
      spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 443 }] },
    });
    expect(svc.spec).toEqual({
      type: 'LoadBalancer',
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      ports: [{ port: 443, protocol: 'TCP', targetPort: 443 }],
      externalTrafficPolicy: 'Cluster',
      internalTrafficPolicy: 'Cluster',
      allocateLoadBalancerNodePorts: true,
    });
    const external = defaultService({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'x', namespace: 'default' },
      spec: { type: 'ExternalName', externalName: 'example.com' },
    });
    expect(external.spec?.internalTrafficPolicy).toBeUndefined();
    expect(external.spec?.externalTrafficPolicy).toBeUndefined();
  });
});

describe('Service validation (ValidateService), upstream paths and messages', () => {
  it.each<[string, Service, string[]]>([
    ['a ClusterIP Service', stored({}), []],
    ['a headless Service without ports', stored({ clusterIP: 'None', ports: [] }), []],
    [
      'an ExternalName Service',
      stored({ type: 'ExternalName', externalName: 'db.example.com.', ports: [] }),
      [],
    ],
    ['a NodePort Service', stored({ type: 'NodePort' }), []],
    [
      'a name that is not an RFC 1035 label',
      stored({}, '1web'),
      [
        "metadata.name: Invalid value: \"1web\": a lowercase RFC 1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    ['no ports', stored({ ports: [] }), ['spec.ports: Required value']],
    [
      'two unnamed ports',
      stored({ ports: [{ port: 80 }, { port: 443 }] }),
      ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value'],
    ],
    [
      'port 0 and an unknown protocol',
      stored({ ports: [{ port: 0, protocol: 'HTTP', targetPort: 8080 }] }),
      [
        'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      ],
    ],
    [
      'a node port on a ClusterIP Service',
      stored({ ports: [{ port: 80, nodePort: 30001 }] }),
      ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    ],
    [
      'the same port and protocol twice',
      stored({
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 80 },
        ],
      }),
      [
        'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
      ],
    ],
    [
      'an ExternalName Service without a name',
      stored({ type: 'ExternalName', ports: [] }),
      ['spec.externalName: Required value'],
    ],
    [
      'an unknown type',
      { ...stored({}), spec: { ...stored({}).spec, type: 'Foo' } },
      [
        'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      ],
    ],
    [
      'a ClientIP affinity timeout of 0',
      stored({
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } },
      }),
      [
        'spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400',
      ],
    ],
    [
      'source ranges on a ClusterIP Service',
      stored({ loadBalancerSourceRanges: ['10.0.0.0/8'] }),
      ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"],
    ],
    [
      'a loopback external IP',
      stored({ externalIPs: ['127.0.0.1'] }),
      [
        'spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      ],
    ],
    [
      'a headless NodePort Service',
      stored({ type: 'NodePort', clusterIP: 'None' }),
      [
        'spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services',
      ],
    ],
    [
      'clusterIPs that disagree with clusterIP',
      stored({ clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.6'] }),
      ['spec.clusterIPs: Invalid value: []string{"10.96.0.6"}: first value must match `clusterIP`'],
    ],
    [
      'a malformed cluster IP',
      stored({ clusterIP: '10.96.0', clusterIPs: ['10.96.0'] }),
      [
        'spec.clusterIPs[0]: Invalid value: "10.96.0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ],
    ],
    [
      'an IPv6 address for an IPv4 family',
      stored({ clusterIP: 'fd00::10', clusterIPs: ['fd00::10'], ipFamilies: ['IPv4'] }),
      [
        'spec.clusterIPs[0]: Invalid value: "fd00::10": expected an IPv4 value as indicated by `ipFamilies[0]`',
      ],
    ],
    [
      'a health check port on a Cluster-policy LoadBalancer',
      stored({ type: 'LoadBalancer', healthCheckNodePort: 31000 }),
      [
        "spec.healthCheckNodePort: Invalid value: 31000: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
      ],
    ],
    [
      'an external traffic policy on a ClusterIP Service',
      stored({ externalTrafficPolicy: 'Local' }),
      [
        'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services',
      ],
    ],
    [
      'allocateLoadBalancerNodePorts on a NodePort Service',
      stored({ type: 'NodePort', allocateLoadBalancerNodePorts: true }),
      [
        "spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'",
      ],
    ],
    [
      'a topology annotation pair that disagrees',
      stored({}, 'web', {
        'service.kubernetes.io/topology-mode': 'Auto',
        'service.kubernetes.io/topology-aware-hints': 'Disabled',
      }),
      [
        'metadata.annotations[service.kubernetes.io/topology-mode]: Invalid value: "Auto": must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified',
      ],
    ],
  ])('%s', (_name, svc, expected) => {
    expect(messages(validateService(svc))).toEqual(expected);
  });
});

describe('Service updates', () => {
  it('keeps the cluster IP and the health check node port', () => {
    const old = stored({});
    const moved = stored({ clusterIP: '10.96.0.21' });
    expect(messages(validateServiceUpdate(moved, old))).toEqual([
      'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.21"}: may not change once set',
    ]);
    const lb = stored({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 31000,
    });
    const lb2 = { ...lb, spec: { ...lb.spec, healthCheckNodePort: 31001 } };
    expect(messages(validateServiceUpdate(lb2, lb))).toEqual([
      'spec.healthCheckNodePort: Forbidden: field is immutable',
    ]);
  });

  it('drops what only the old type used when the type changes (dropTypeDependentFields)', () => {
    const np = stored({ type: 'NodePort' });
    const next = { ...np, spec: { ...np.spec, type: 'ClusterIP' } };
    const prepared = SERVICE.update.prepareForUpdate(next, np, DEFAULT_FEATURE_GATES);
    expect(prepared.spec?.ports?.[0]?.nodePort).toBeUndefined();
    expect(prepared.spec?.externalTrafficPolicy).toBeUndefined();
    expect(messages(validateServiceUpdate(prepared, np))).toEqual([]);
  });

  it('validates the load balancer status only on /status', () => {
    const lb = stored({ type: 'LoadBalancer' });
    const withIngress = (ingress: object[]) =>
      ({
        ...lb,
        status: { loadBalancer: { ingress } },
      }) as Service;
    expect(
      validateServiceStatusUpdate(withIngress([{ ip: '1.2.3.4', ipMode: 'VIP' }]), lb),
    ).toEqual([]);
    expect(messages(validateServiceStatusUpdate(withIngress([{ ip: '1.2.3.4' }]), lb))).toEqual([
      'status.loadBalancer.ingress[0].ipMode: Required value: must be specified when `ip` is set',
    ]);
    expect(
      messages(validateServiceStatusUpdate(withIngress([{ hostname: '1.2.3.4' }]), lb)),
    ).toEqual([
      'status.loadBalancer.ingress[0].hostname: Invalid value: "1.2.3.4": must be a DNS name, not an IP address',
    ]);
    const cluster = stored({});
    expect(
      messages(
        validateServiceStatusUpdate(
          { ...cluster, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4', ipMode: 'VIP' }] } } },
          cluster,
        ),
      ),
    ).toEqual([
      "status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'",
    ]);
  });
});

describe('Service printing (printService)', () => {
  const cells = (svc: Service) => SERVICE.table.map((c) => c.cell(svc, 0));

  it('shows type, cluster IP, external IP, ports, age and (wide) selector', () => {
    expect(SERVICE.table.map((c) => c.name)).toEqual([
      'Name',
      'Type',
      'Cluster-IP',
      'External-IP',
      'Port(s)',
      'Age',
      'Selector',
    ]);
    expect(cells(stored({ type: 'NodePort' }))).toEqual([
      'web',
      'NodePort',
      '10.96.0.20',
      '<none>',
      '80:30080/TCP',
      '<unknown>',
      'app=web',
    ]);
    expect(cells(stored({ type: 'LoadBalancer' }))[3]).toBe('<pending>');
    expect(cells(stored({ type: 'ExternalName', externalName: 'example.com', ports: [] }))).toEqual(
      ['web', 'ExternalName', '<none>', 'example.com', '<none>', '<unknown>', 'app=web'],
    );
  });
});
