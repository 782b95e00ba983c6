/**
 * Builders for the Services and EndpointSlices of upstream's proxier tests
 * (pkg/proxy/iptables/proxier_test.go makeTestService, makeTestEndpointSlice) and its fake
 * proxier's settings: pods in 10.0.0.0/8, node test-node at 192.168.0.2, mark 0x4000, no
 * --random-fully and no nfacct (upstream's fake iptables has neither).
 */
import type { EndpointSlice } from '../../../core/api/kinds/endpoint-slice.ts';
import type { Service } from '../../../core/api/kinds/service-types.ts';
import { endpointsOfSlices } from '../../../core/proxy/endpoints.ts';
import {
  buildRules,
  DEFAULT_MASQUERADE_MARK,
  renderRules,
  type ProxierConfig,
} from '../../../core/proxy/rules.ts';
import { servicePorts } from '../../../core/proxy/service-port.ts';

export const TEST_NODE_NAME = 'test-node';

/** Upstream's port "p80": TCP 80, with whatever else a test sets (nodePort, targetPort). */
export const p80 = (extra: object = {}) => [{ name: 'p80', port: 80, protocol: 'TCP', ...extra }];

export const FAKE_PROXIER_CONFIG: ProxierConfig = {
  nodeIP: '192.168.0.2',
  clusterCIDR: '10.0.0.0/8',
  masqueradeAll: false,
  masqueradeMark: DEFAULT_MASQUERADE_MARK,
  localhostNodePorts: true,
  randomFully: false,
  conntrackTCPLiberal: false,
};

type Spec = NonNullable<Service['spec']>;

export function testService(
  namespace: string,
  name: string,
  spec: Partial<Spec>,
  lbIngress: readonly string[] = [],
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name },
    spec: { type: 'ClusterIP', ...spec },
    status: { loadBalancer: { ingress: lbIngress.map((ip) => ({ ip })) } },
  } as unknown as Service;
}

export interface TestEndpoint {
  readonly ip: string;
  readonly nodeName?: string;
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
}

export function testSlice(
  namespace: string,
  service: string,
  index: number,
  endpoints: readonly TestEndpoint[],
  ports: readonly { name: string; port: number; protocol?: string }[] = [{ name: 'p80', port: 80 }],
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace,
      name: `${service}-${index}`,
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      ...(e.nodeName === undefined ? {} : { nodeName: e.nodeName }),
      ...(e.ready === undefined && e.serving === undefined && e.terminating === undefined
        ? {}
        : {
            conditions: {
              ...(e.ready === undefined ? {} : { ready: e.ready }),
              ...(e.serving === undefined ? {} : { serving: e.serving }),
              ...(e.terminating === undefined ? {} : { terminating: e.terminating }),
            },
          }),
    })),
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
  } as unknown as EndpointSlice;
}

/** The full ruleset a first sync of the fake proxier writes for these objects. */
export function render(
  services: readonly Service[],
  slices: readonly EndpointSlice[],
  config: ProxierConfig = FAKE_PROXIER_CONFIG,
): string {
  const ports = services.flatMap(servicePorts).sort((a, b) => (a.name < b.name ? -1 : 1));
  const rules = buildRules(config, ports, endpointsOfSlices(slices, TEST_NODE_NAME));
  return renderRules(rules);
}
