/**
 * Services (pkg/apis/core/v1/defaults.go SetDefaults_Service; pkg/registry/core/service:
 * strategy.go and storage/storage.go; printers: printService; tags:
 * staging/src/k8s.io/api/core/v1/types.go). Validation is in service-validation.ts, the
 * ClusterIP and node port allocation in service-allocation.ts.
 */
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import { formatIP, parseCIDR } from '../ip.ts';
import { selectorFromSet } from '../selectors.ts';
import {
  AGE_COLUMN,
  conditionsPatch,
  configuredRange,
  defineResource,
  keepStatus,
  NAME_COLUMN,
  OBJECT_META_PATCH,
  statusSubresource,
} from './common.ts';
import type { RangeConfig, TableColumn } from './definition.ts';
import { SERVICE_ALLOCATION, SERVICE_IP_RANGE } from './service-allocation.ts';
import type { Service, ServicePort, ServiceSpec } from './service-types.ts';
import {
  externallyAccessible,
  needsHealthCheck,
  validateService,
  validateServiceStatusUpdate,
  validateServiceUpdate,
} from './service-validation.ts';

export type { Service } from './service-types.ts';

/** v1.DefaultClientIPServiceAffinitySeconds: three hours. */
export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

type MutableSpec = { -readonly [K in keyof ServiceSpec]: ServiceSpec[K] };

function defaultPort(p: ServicePort): ServicePort {
  const target = p.targetPort;
  return {
    ...p,
    protocol: p.protocol || 'TCP',
    targetPort:
      target === undefined || target === null || target === 0 || target === '' ? p.port : target,
  };
}

/** SetDefaults_Service. ipFamilies and ipFamilyPolicy are the allocator's to set, not this. */
export function defaultService(svc: Service): Service {
  const spec: MutableSpec = { ...(svc.spec ?? {}) };
  spec.sessionAffinity = spec.sessionAffinity || 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  else if (
    spec.sessionAffinity === 'ClientIP' &&
    (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? null) === null
  ) {
    spec.sessionAffinityConfig = {
      clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS },
    };
  }
  spec.type = spec.type || 'ClusterIP';
  if (spec.ports) spec.ports = spec.ports.map(defaultPort);
  if (externallyAccessible(spec) && !spec.externalTrafficPolicy) {
    spec.externalTrafficPolicy = 'Cluster';
  }
  if (
    (spec.internalTrafficPolicy ?? null) === null &&
    (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP')
  ) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts ?? null) === null) {
    spec.allocateLoadBalancerNodePorts = true;
  }
  const ingress = svc.status?.loadBalancer?.ingress;
  if (spec.type !== 'LoadBalancer' || ingress === undefined) return { ...svc, spec };
  const withMode = ingress.map((ing) => (ing.ip && !ing.ipMode ? { ...ing, ipMode: 'VIP' } : ing));
  return {
    ...svc,
    spec,
    status: { ...svc.status, loadBalancer: { ...svc.status?.loadBalancer, ingress: withMode } },
  };
}

const sameList = (a: readonly unknown[] | undefined, b: readonly unknown[] | undefined) =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === b?.[i]);

/** sameNodePorts: the update adds no node port the old Service did not have. */
function noNewNodePorts(o: ServiceSpec, n: ServiceSpec): boolean {
  const old = new Set((o.ports ?? []).map((p) => p.nodePort ?? 0));
  return (n.ports ?? []).every((p) => !p.nodePort || old.has(p.nodePort));
}

/**
 * dropTypeDependentFields: a Service changing type loses what only the old type used, unless
 * the client changed that field too (then validation answers).
 */
function dropTypeDependentFields(next: Service, old: Service): Service {
  const o = old.spec ?? {};
  const spec: MutableSpec = { ...(next.spec ?? {}) };
  const needsIP = (s: ServiceSpec) => s.type !== 'ExternalName';
  const needsNodePort = (s: ServiceSpec) => s.type === 'NodePort' || s.type === 'LoadBalancer';
  if (needsIP(o) && !needsIP(spec)) {
    if (sameList(o.clusterIPs, spec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameList(o.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if (o.ipFamilyPolicy === spec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  if (needsNodePort(o) && !needsNodePort(spec) && noNewNodePorts(o, spec)) {
    spec.ports = (spec.ports ?? []).map(({ nodePort: _dropped, ...p }) => p);
  }
  if (needsHealthCheck(o) && !needsHealthCheck(spec)) {
    if (o.healthCheckNodePort === spec.healthCheckNodePort) delete spec.healthCheckNodePort;
  }
  if (o.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (
      spec.allocateLoadBalancerNodePorts !== undefined &&
      o.allocateLoadBalancerNodePorts === spec.allocateLoadBalancerNodePorts
    ) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if ((o.loadBalancerClass ?? null) === (spec.loadBalancerClass ?? null)) {
      delete spec.loadBalancerClass;
    }
  }
  if (externallyAccessible(o) && !externallyAccessible(spec)) {
    if (o.externalTrafficPolicy === spec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  }
  // The load balancer is gone as far as the API is concerned, however long it takes to go.
  const status = spec.type === 'LoadBalancer' ? next.status : { ...next.status, loadBalancer: {} };
  return { ...next, spec, ...(status === undefined ? {} : { status }) };
}

/** loadBalancerWidth: a narrow table clips the load balancer addresses to 16 bytes. */
const LOAD_BALANCER_WIDTH = 16;

function loadBalancerAddresses(svc: Service, wide: boolean): string {
  const addresses = new Set<string>();
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (ing.ip) addresses.add(ing.ip);
    else if (ing.hostname) addresses.add(ing.hostname);
  }
  const r = [...addresses].sort().join(',');
  return !wide && r.length > LOAD_BALANCER_WIDTH ? `${r.slice(0, LOAD_BALANCER_WIDTH - 3)}...` : r;
}

/** getServiceExternalIP. Server-side tables are never wide, so addresses are clipped. */
function externalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc, false);
      if (external.length > 0) return [...(lb ? lb.split(',') : []), ...external].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** makePortString: "80/TCP", or "80:30080/TCP" with a node port. */
function portString(ports: readonly ServicePort[] | undefined): string {
  return (ports ?? [])
    .map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`))
    .join(',');
}

/** labels.FormatLabels: "a=b,c=d" sorted, "<none>" for none. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const s = selectorFromSet(labels ?? {}).toString();
  return s === '' ? '<none>' : s;
}

const TABLE: readonly TableColumn<Service>[] = [
  NAME_COLUMN,
  {
    name: 'Type',
    type: 'string',
    priority: 0,
    description:
      'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.',
    cell: (svc) => svc.spec?.type ?? '',
  },
  {
    name: 'Cluster-IP',
    type: 'string',
    priority: 0,
    description:
      'clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail.',
    cell: (svc) => svc.spec?.clusterIPs?.[0] ?? '<none>',
  },
  {
    name: 'External-IP',
    type: 'string',
    priority: 0,
    description:
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    cell: externalIP,
  },
  {
    name: 'Port(s)',
    type: 'string',
    priority: 0,
    description: 'The list of ports that are exposed by this service.',
    cell: (svc) => portString(svc.spec?.ports) || '<none>',
  },
  AGE_COLUMN,
  {
    name: 'Selector',
    type: 'string',
    priority: 1,
    description: 'Route service traffic to pods with label keys and values matching this selector.',
    cell: (svc) => formatLabels(svc.spec?.selector),
  },
];

/** Upstream's kube-apiserver secure port, where the `kubernetes` Service sends its traffic. */
const API_SERVER_PORT = 6443;

/**
 * The `kubernetes` Service in "default" (pkg/controlplane/controller/kubernetesservice): the
 * first address of the service range, port 443, no selector (its endpoints are the API
 * servers, not pods).
 */
export function kubernetesService(ranges: RangeConfig): Service {
  const cidr = parseCIDR(configuredRange(SERVICE_IP_RANGE, ranges));
  const first =
    cidr === undefined ? '' : formatIP({ family: cidr.family, value: cidr.network + 1n });
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: API_SERVER_PORT }],
      clusterIP: first,
      ipFamilyPolicy: 'SingleStack',
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
  };
}

export const SERVICE = defineResource<Service>({
  discovery: {
    kind: 'Service',
    group: '',
    resource: 'services',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
  },
  defaults: defaultService,
  // svcStrategy.PrepareForCreate: status starts empty.
  prepareForCreate: (svc) => ({ ...svc, status: { loadBalancer: {} } }),
  validate: validateService,
  update: {
    prepareForUpdate: (next, old) => dropTypeDependentFields(keepStatus(next, old), old),
    validateUpdate: validateServiceUpdate,
  },
  subresources: [statusSubresource(validateServiceStatusUpdate)],
  table: TABLE,
  fieldSelectors: [...OBJECT_META_FIELD_LABELS, 'spec.clusterIP', 'spec.type'],
  fields: (svc) => ({
    ...objectMetaFields(svc.metadata),
    'spec.clusterIP': svc.spec?.clusterIP ?? '',
    'spec.type': svc.spec?.type ?? '',
  }),
  patch: [
    ...OBJECT_META_PATCH,
    { path: 'spec.ports', patchStrategy: 'merge', patchMergeKey: 'port' },
    conditionsPatch('status.conditions'),
  ],
  allocation: SERVICE_ALLOCATION,
  bootstrap: (ranges) => [kubernetesService(ranges)],
});
