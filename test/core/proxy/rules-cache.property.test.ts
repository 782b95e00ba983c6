/**
 * kube-proxy's incremental rules (core/proxy/rules-cache.ts) after any sequence of Service and
 * EndpointSlice changes are the rules built from scratch: the same ProxyRules, so the same
 * full text and the same partial text a sync restores, and the same packet-filter behaviour.
 * The changes include Services of every type and traffic policy, endpoints of every condition,
 * deletions, and enough endpoints to flip largeClusterMode (which changes every Service's part).
 */
import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import type { EndpointSlice } from '../../../core/api/kinds/endpoint-slice.ts';
import type { Service } from '../../../core/api/kinds/service-types.ts';
import { endpointsOfSlices, type EndpointInfo } from '../../../core/proxy/endpoints.ts';
import { RulesCache } from '../../../core/proxy/rules-cache.ts';
import {
  buildRules,
  LARGE_CLUSTER_ENDPOINTS_THRESHOLD,
  renderRules,
} from '../../../core/proxy/rules.ts';
import { servicePorts } from '../../../core/proxy/service-port.ts';
import {
  FAKE_PROXIER_CONFIG,
  TEST_NODE_NAME,
  testService,
  testSlice,
} from './upstream-fixtures.ts';

const NAMES = ['a', 'b', 'c', 'd'];
const PORTS = [
  { name: 'http', port: 80, protocol: 'TCP' },
  { name: 'dns', port: 53, protocol: 'UDP' },
];
/** Two Services this large together pass LARGE_CLUSTER_ENDPOINTS_THRESHOLD. */
const MANY = Math.ceil((LARGE_CLUSTER_ENDPOINTS_THRESHOLD + 1) / 2);

const serviceArb = fc
  .record({
    name: fc.constantFrom(...NAMES),
    ip: fc.integer({ min: 1, max: 3 }),
    ports: fc.subarray(PORTS, { minLength: 1 }),
    type: fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer'),
    externalLocal: fc.boolean(),
    internalLocal: fc.boolean(),
    affinity: fc.boolean(),
    externalIP: fc.boolean(),
    sourceRange: fc.boolean(),
    lbIngress: fc.boolean(),
  })
  .map((s): Service => {
    const ports = s.ports.map((p, i) => ({
      ...p,
      ...(s.type === 'ClusterIP' ? {} : { nodePort: 30_000 + i + 10 * NAMES.indexOf(s.name) }),
    }));
    return testService(
      'ns',
      s.name,
      {
        type: s.type,
        clusterIP: `172.30.0.${10 * NAMES.indexOf(s.name) + s.ip}`,
        ports,
        ...(s.type !== 'ClusterIP' && s.externalLocal
          ? { externalTrafficPolicy: 'Local', healthCheckNodePort: 32_000 }
          : {}),
        ...(s.internalLocal ? { internalTrafficPolicy: 'Local' } : {}),
        ...(s.affinity ? { sessionAffinity: 'ClientIP' } : {}),
        ...(s.externalIP ? { externalIPs: ['192.168.99.1'] } : {}),
        ...(s.sourceRange ? { loadBalancerSourceRanges: ['192.168.0.0/16'] } : {}),
      } as never,
      s.type === 'LoadBalancer' && s.lbIngress ? ['5.6.7.8'] : [],
    );
  });

const endpointArb = fc.record({
  host: fc.integer({ min: 1, max: 6 }),
  local: fc.boolean(),
  ready: fc.option(fc.boolean(), { nil: undefined }),
  serving: fc.option(fc.boolean(), { nil: undefined }),
  terminating: fc.option(fc.boolean(), { nil: undefined }),
});

const sliceArb = fc
  .record({
    service: fc.constantFrom(...NAMES),
    index: fc.integer({ min: 1, max: 2 }),
    endpoints: fc.array(endpointArb, { maxLength: 4 }),
    many: fc.nat({ max: 9 }).map((n) => n === 0),
    ports: fc.subarray(PORTS, { minLength: 1 }),
  })
  .map((s): EndpointSlice => {
    const endpoints = s.many
      ? Array.from({ length: MANY }, (_, i) => ({ ip: `10.1.${i >> 8}.${i & 255}` }))
      : s.endpoints.map((e) => ({
          ip: `10.0.${NAMES.indexOf(s.service)}.${e.host}`,
          nodeName: e.local ? TEST_NODE_NAME : 'other-node',
          ...(e.ready === undefined ? {} : { ready: e.ready }),
          ...(e.serving === undefined ? {} : { serving: e.serving }),
          ...(e.terminating === undefined ? {} : { terminating: e.terminating }),
        }));
    return testSlice('ns', s.service, s.index, endpoints, s.ports);
  });

type Change =
  | { readonly service: Service }
  | { readonly deleteService: string }
  | { readonly slice: EndpointSlice }
  | { readonly deleteSlice: string };

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  serviceArb.map((service) => ({ service })),
  fc.constantFrom(...NAMES).map((deleteService) => ({ deleteService })),
  { arbitrary: sliceArb.map((slice) => ({ slice })), weight: 2 },
  fc
    .tuple(fc.constantFrom(...NAMES), fc.integer({ min: 1, max: 2 }))
    .map(([s, i]) => ({ deleteSlice: `${s}-${i}` })),
);

/** The cluster as the proxier's informers see it. */
class Objects {
  readonly services = new Map<string, Service>();
  readonly slices = new Map<string, EndpointSlice>();

  /** Applies the change; returns the Service ("ns/name") whose part it changes. */
  apply(c: Change): string {
    if ('service' in c) {
      this.services.set(c.service.metadata.name!, c.service);
      return `ns/${c.service.metadata.name}`;
    }
    if ('deleteService' in c) {
      this.services.delete(c.deleteService);
      return `ns/${c.deleteService}`;
    }
    if ('slice' in c) {
      this.slices.set(c.slice.metadata.name!, c.slice);
      return `ns/${c.slice.metadata.labels!['kubernetes.io/service-name']}`;
    }
    this.slices.delete(c.deleteSlice);
    return `ns/${c.deleteSlice.split('-')[0]}`;
  }

  portsOf(service: string) {
    const s = this.services.get(service.slice('ns/'.length));
    return s === undefined ? [] : servicePorts(s).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  endpoints(): Map<string, EndpointInfo[]> {
    return endpointsOfSlices([...this.slices.values()], TEST_NODE_NAME);
  }
}

describe('RulesCache', () => {
  const seen = { large: 0, small: 0, partialLines: 0 };
  afterAll(() => {
    // Both sides of largeClusterMode, and partial restores with Service lines, were compared.
    expect(seen.large).toBeGreaterThan(0);
    expect(seen.small).toBeGreaterThan(0);
    expect(seen.partialLines).toBeGreaterThan(0);
  });

  test.prop([fc.array(fc.array(changeArb, { minLength: 1, maxLength: 3 }), { maxLength: 12 })], {
    numRuns: 150,
  })('after any changes, the incremental rules are the rules built from scratch', (syncs) => {
    const objects = new Objects();
    const cache = new RulesCache(FAKE_PROXIER_CONFIG);
    for (const changes of syncs) {
      const changed = new Set(changes.map((c) => objects.apply(c)));
      for (const s of changed) cache.invalidate(s);
      const services = [...objects.services.keys()].map((n) => `ns/${n}`).sort();
      const endpoints = objects.endpoints();
      const incremental = cache.build(services, (s) => objects.portsOf(s), endpoints);
      const ports = services.flatMap((s) => objects.portsOf(s));
      const full = buildRules(FAKE_PROXIER_CONFIG, ports, endpoints);
      expect(incremental).toEqual(full);
      const partial = renderRules(incremental, { services: changed });
      expect(partial).toBe(renderRules(full, { services: changed }));
      expect(renderRules(incremental)).toBe(renderRules(full));
      if (incremental.endpointCount > LARGE_CLUSTER_ENDPOINTS_THRESHOLD) seen.large++;
      else seen.small++;
      if (partial.includes('KUBE-SEP-')) seen.partialLines++;
    }
  });
});
