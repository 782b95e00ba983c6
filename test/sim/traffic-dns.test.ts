import { describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../../core/api/kinds/endpoint-slice.ts';
import type { Service } from '../../core/api/kinds/service-types.ts';
import { candidates, ClusterDns } from '../../sim/traffic/dns.ts';

const svc = (namespace: string, name: string, clusterIP: string): Service =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name },
    spec: { clusterIP, ports: [{ port: 80 }] },
  }) as Service;

const slice = (
  namespace: string,
  service: string,
  endpoints: { ip: string; ready: boolean; hostname?: string }[],
): EndpointSlice =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace,
      name: `${service}-abc`,
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready },
      ...(e.hostname === undefined ? {} : { hostname: e.hostname }),
    })),
  }) as EndpointSlice;

function dns(): { dns: ClusterDns; flush: () => void } {
  const pending: (() => void)[] = [];
  const d = new ClusterDns((fn) => pending.push(fn));
  d.service('default/web', svc('default', 'web', '10.96.0.10'));
  d.service('shop/cart', svc('shop', 'cart', '10.96.0.20'));
  d.service('shop/db', svc('shop', 'db', 'None'));
  d.slice(
    'shop/db-abc',
    slice('shop', 'db', [
      { ip: '10.244.1.5', ready: true, hostname: 'db-0' },
      { ip: '10.244.2.5', ready: true, hostname: 'db-1' },
      { ip: '10.244.3.5', ready: false, hostname: 'db-2' },
    ]),
  );
  const flush = (): void => {
    for (const fn of pending.splice(0)) fn();
  };
  flush();
  return { dns: d, flush };
}

const addresses = (r: ReturnType<ClusterDns['resolve']>) =>
  r.kind === 'addresses' ? [r.service, ...r.addresses] : r.kind;

describe('cluster DNS', () => {
  it.each([
    ['web', 'default', ['default/web', '10.96.0.10']],
    ['web.default', 'shop', ['default/web', '10.96.0.10']],
    ['web.default.svc', 'shop', ['default/web', '10.96.0.10']],
    ['web.default.svc.cluster.local', 'shop', ['default/web', '10.96.0.10']],
    ['web.default.svc.cluster.local.', 'shop', ['default/web', '10.96.0.10']],
    ['cart', 'shop', ['shop/cart', '10.96.0.20']],
    // The search path is the client's namespace: no Service "cart" in default.
    ['cart', 'default', 'nxdomain'],
    ['web.shop', 'default', 'nxdomain'],
    // Headless: the ready endpoints' addresses; a hostname names one pod.
    ['db', 'shop', ['shop/db', '10.244.1.5', '10.244.2.5']],
    ['db-1.db.shop.svc.cluster.local', 'default', ['shop/db', '10.244.2.5']],
    ['db-1.db', 'shop', ['shop/db', '10.244.2.5']],
    ['db-2.db.shop', 'default', 'nxdomain'],
    ['db-0.cart.shop', 'default', 'nxdomain'],
    ['nothing', 'default', 'nxdomain'],
  ] as const)('%s from namespace %s', (name, ns, want) => {
    expect(addresses(dns().dns.resolve(name, ns))).toEqual(want);
  });

  it('tries the search path first below five dots, the name first from five', () => {
    expect(candidates('web.default', 'shop')).toEqual([
      'web.default.shop.svc.cluster.local',
      'web.default.svc.cluster.local',
      'web.default.cluster.local',
      'web.default',
    ]);
    expect(candidates('a.b.c.d.e.f', 'ns')[0]).toBe('a.b.c.d.e.f');
    expect(candidates('web.default.svc.cluster.local.', 'ns')).toEqual([
      'web.default.svc.cluster.local',
    ]);
  });

  it('answers from what it has seen: changes apply after the propagation delay', () => {
    const { dns: d, flush } = dns();
    d.service('default/web', undefined);
    d.slice('shop/db-abc', slice('shop', 'db', [{ ip: '10.244.1.5', ready: false }]));
    expect(addresses(d.resolve('web', 'default'))).toEqual(['default/web', '10.96.0.10']);
    flush();
    expect(d.resolve('web', 'default').kind).toBe('nxdomain');
    expect(d.resolve('db.shop', 'default')).toEqual({ kind: 'no-endpoints', service: 'shop/db' });
  });
});
