/**
 * Properties of the service dataplane: kube-proxy's rules (core/proxy) evaluated by the
 * simulated packet filter (sim/netfilter).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { routeConnection } from '../../../sim/netfilter/route.ts';
import type { SimNetfilter } from '../../../sim/netfilter.ts';
import {
  TEST_NODE_NAME,
  testService,
  testSlice,
  type TestEndpoint,
} from '../../core/proxy/upstream-fixtures.ts';
import { programNode } from './program-node.ts';

const CLUSTER_IP = '172.30.0.41';
const POD_CLIENT = '10.0.0.2';

const service = (internalTrafficPolicy: 'Cluster' | 'Local') =>
  testService('ns1', 'svc1', {
    clusterIP: CLUSTER_IP,
    internalTrafficPolicy,
    ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
  });

/** Where connections to the cluster IP may go, written from the API's rules, not the proxier's. */
function allowed(
  eps: readonly TestEndpoint[],
  policy: 'Cluster' | 'Local',
): { kind: 'dnat'; ips: Set<string> } | { kind: 'reject' | 'drop' } {
  const ready = (e: TestEndpoint) => e.ready !== false;
  const servingTerminating = (e: TestEndpoint) => e.serving !== false && e.terminating === true;
  const pick = (pool: readonly TestEndpoint[]) => {
    const r = pool.filter(ready);
    return r.length > 0 ? r : pool.filter(servingTerminating);
  };
  const usable = pick(eps);
  if (usable.length === 0) return { kind: 'reject' };
  if (policy === 'Cluster') return { kind: 'dnat', ips: new Set(usable.map((e) => e.ip)) };
  const local = pick(eps.filter((e) => e.nodeName === TEST_NODE_NAME));
  return local.length === 0
    ? { kind: 'drop' }
    : { kind: 'dnat', ips: new Set(local.map((e) => e.ip)) };
}

const endpoint = (i: number) =>
  fc.record({
    ip: fc.constant(`10.180.0.${i + 1}`),
    ready: fc.boolean(),
    serving: fc.boolean(),
    terminating: fc.boolean(),
    local: fc.boolean(),
  });

const endpoints = fc
  .integer({ min: 0, max: 6 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => endpoint(i))))
  .map((list) =>
    list.map((e): TestEndpoint => ({
      ip: e.ip,
      // EndpointSlice conditions as the controller writes them: ready implies serving and
      // not terminating.
      ready: e.ready && e.serving && !e.terminating,
      serving: e.serving,
      terminating: e.terminating,
      nodeName: e.local ? TEST_NODE_NAME : 'other-node',
    })),
  );

describe('the service dataplane', () => {
  test.prop([endpoints, fc.constantFrom('Cluster' as const, 'Local' as const), fc.integer()], {
    numRuns: 60,
  })(
    'sends every new connection to a usable endpoint: ready ones, else serving terminating ones, else rejects (dropped for a Local policy without local endpoints)',
    async (eps, policy, seed) => {
      const nf = await programNode([service(policy)], [testSlice('ns1', 'svc1', 1, eps)], seed);
      const want = allowed(eps, policy);
      for (let i = 0; i < 30; i++) {
        const r = routeConnection(nf, {
          src: POD_CLIENT,
          dst: CLUSTER_IP,
          dport: 80,
          protocol: 'tcp',
          from: 'pod',
        });
        if (want.kind === 'dnat') {
          expect(r.kind).toBe('dnat');
          if (r.kind === 'dnat') expect(want.ips.has(r.ip)).toBe(true);
        } else expect(r.kind).toBe(want.kind);
      }
    },
  );

  /** chi-squared quantiles at p = 0.001 for 1..9 degrees of freedom. */
  const CHI2_CRITICAL_P001 = [
    10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877,
  ];

  function chiSquared(counts: readonly number[]): number {
    const total = counts.reduce((a, b) => a + b, 0);
    const expected = total / counts.length;
    return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  }

  async function spread(nf: SimNetfilter, n: number, connections: number): Promise<number[]> {
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < connections; i++) {
      const r = routeConnection(nf, {
        src: POD_CLIENT,
        dst: CLUSTER_IP,
        dport: 80,
        protocol: 'tcp',
        from: 'pod',
      });
      if (r.kind !== 'dnat') throw new Error(`connection ${i}: ${r.kind}`);
      const index = Number(r.ip.split('.')[3]) - 1;
      counts[index] = (counts[index] ?? 0) + 1;
    }
    return counts;
  }

  it.each([2, 3, 4, 5, 7, 10])(
    'spreads 10,000 connections over %i endpoints evenly (chi-squared at p = 0.001)',
    async (n) => {
      const eps = Array.from({ length: n }, (_, i) => ({ ip: `10.180.0.${i + 1}` }));
      const nf = await programNode([service('Cluster')], [testSlice('ns1', 'svc1', 1, eps)], n);
      const counts = await spread(nf, n, 10_000);
      expect(chiSquared(counts)).toBeLessThan(CHI2_CRITICAL_P001[n - 2] as number);
    },
  );

  it('has the power to see wrong probabilities: 1/n on every rule fails the same test', async () => {
    const n = 4;
    const eps = Array.from({ length: n }, (_, i) => ({ ip: `10.180.0.${i + 1}` }));
    const nf = await programNode([service('Cluster')], [testSlice('ns1', 'svc1', 1, eps)], n);
    const saved = await nf.save('nat');
    if (!saved.ok) throw new Error(saved.message);
    const wrong = saved.value.replace(/--probability \S+/g, `--probability ${(1 / n).toFixed(10)}`);
    const r = await nf.restore(wrong);
    expect(r.ok).toBe(true);
    expect(chiSquared(await spread(nf, n, 10_000))).toBeGreaterThan(
      CHI2_CRITICAL_P001[n - 2] as number,
    );
  });
});
