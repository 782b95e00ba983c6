import { describe, expect, it } from 'vitest';
import type { Service } from '../../../core/api/kinds/service.ts';
import type { ApiClient, ApiResult } from '../../../core/client/api-client.ts';
import { API_SERVER } from '../../../core/cluster/identities.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';
import { ok } from './fixtures.ts';

type Spec = NonNullable<Service['spec']>;

const svc = (name: string, spec: Spec = {}): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

const message = (r: ApiResult<unknown>): string => (r.ok ? 'ok' : (r.error.message ?? ''));

function withRanges(ranges: Record<string, string>): Simulation {
  return controlPlane({ apiServer: { ranges } });
}

/** Retries a request while the API server is down or still repairing. */
async function eventually<T>(
  f: () => Promise<ApiResult<T>>,
  sleep: (us: number) => Promise<void>,
): Promise<ApiResult<T>> {
  for (let i = 0; i < 60; i++) {
    const r = await f();
    if (r.ok || (r.status !== 503 && r.status !== 504)) return r;
    await sleep(1_000_000);
  }
  return f();
}

const ipToNumber = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

describe('Service ClusterIP and NodePort allocation (upstream ipallocator / portallocator)', () => {
  it('allocates a ClusterIP from the dynamic block, defaults single-stack fields, and honours a requested one', async () => {
    await runScript(controlPlane(), async (api) => {
      const kubernetes = ok(await api.get('Service', 'default', 'kubernetes'));
      expect(kubernetes.spec?.clusterIP).toBe('10.96.0.1');
      const a = ok(await api.create(svc('a')));
      expect(a.spec).toMatchObject({
        type: 'ClusterIP',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        sessionAffinity: 'None',
        internalTrafficPolicy: 'Cluster',
        ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      });
      const ip = a.spec?.clusterIP ?? '';
      expect(a.spec?.clusterIPs).toEqual([ip]);
      // 10.96.0.0/12 reserves its first 256 addresses for requested IPs.
      const offset = ipToNumber(ip) - ipToNumber('10.96.0.0');
      expect(offset).toBeGreaterThan(256);
      expect(offset).toBeLessThan(2 ** 20 - 1);

      const b = ok(await api.create(svc('b', { clusterIP: '10.96.0.10' })));
      expect(b.spec?.clusterIPs).toEqual(['10.96.0.10']);
      const taken = await api.create(svc('c', { clusterIP: '10.96.0.10' }));
      expect(taken.status).toBe(422);
      expect(message(taken)).toBe(
        'Service "c" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated',
      );
      const outside = await api.create(svc('d', { clusterIP: '10.0.0.10' }));
      expect(message(outside)).toBe(
        'Service "d" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.10"}: failed to allocate IP 10.0.0.10: the provided IP (10.0.0.10) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
      );
      const headless = ok(await api.create(svc('h', { clusterIP: 'None' })));
      expect(headless.spec?.clusterIPs).toEqual(['None']);
      const external = ok(
        await api.create(svc('e', { type: 'ExternalName', externalName: 'example.com' })),
      );
      expect(external.spec?.clusterIP).toBeUndefined();
      expect(external.spec?.ipFamilies).toBeUndefined();
    });
  });

  it('allocates node ports, refuses a taken one, and releases them when the type changes', async () => {
    await runScript(controlPlane(), async (api) => {
      const np = ok(
        await api.create(svc('np', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })),
      );
      expect(np.spec?.ports?.[0]?.nodePort).toBe(30080);
      expect(np.spec?.externalTrafficPolicy).toBe('Cluster');
      const dup = await api.create(
        svc('dup', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }),
      );
      expect(message(dup)).toBe(
        'Service "dup" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
      );
      const outside = await api.create(
        svc('out', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }),
      );
      expect(message(outside)).toBe(
        'Service "out" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
      );
      const lb = ok(await api.create(svc('lb', { type: 'LoadBalancer' })));
      const drawn = lb.spec?.ports?.[0]?.nodePort ?? 0;
      // 30000-32767 keeps its first 86 ports for requested ones.
      expect(drawn).toBeGreaterThanOrEqual(30086);
      expect(drawn).toBeLessThanOrEqual(32767);
      expect(lb.spec?.allocateLoadBalancerNodePorts).toBe(true);

      // Back to ClusterIP: the node port is dropped and free again.
      const back = ok(
        await api.update({
          ...np,
          spec: { ...np.spec, type: 'ClusterIP', externalTrafficPolicy: undefined },
        }),
      );
      expect(back.spec?.ports?.[0]?.nodePort).toBeUndefined();
      ok(
        await api.create(
          svc('again', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }),
        ),
      );
    });
  });

  it('keeps allocated values when an update leaves them out, as kubectl replace does (patchAllocatedValues)', async () => {
    await runScript(controlPlane(), async (api) => {
      const np = ok(await api.create(svc('np', { type: 'NodePort' })));
      const { clusterIP, clusterIPs: _ips, ...rest } = np.spec ?? {};
      const replaced = ok(
        await api.update<Service>({
          ...np,
          spec: { ...rest, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] },
        }),
      );
      expect(replaced.spec?.clusterIP).toBe(clusterIP);
      expect(replaced.spec?.ports?.[0]?.nodePort).toBe(np.spec?.ports?.[0]?.nodePort);
      const moved = await api.update({
        ...replaced,
        spec: { ...replaced.spec, clusterIP: '10.96.0.99', clusterIPs: ['10.96.0.99'] },
      });
      expect(message(moved)).toBe(
        'Service "np" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set',
      );
      // The refused update reserved nothing: the address is still free.
      ok(await api.create(svc('other', { clusterIP: '10.96.0.99' })));
    });
  });

  it('allocates and releases on type changes: ExternalName and back, Local load balancers', async () => {
    const sim = withRanges({
      'service-cluster-ip-range': '10.0.0.0/29',
      'service-node-port-range': '30000-30002',
    });
    await runScript(sim, async (api) => {
      const a = ok(await api.create(svc('a', { clusterIP: '10.0.0.2' })));
      const external = ok(
        await api.update<Service>({
          ...a,
          spec: { ...a.spec, type: 'ExternalName', externalName: 'example.com' },
        }),
      );
      expect(external.spec?.clusterIP).toBeUndefined();
      expect(external.spec?.ipFamilies).toBeUndefined();
      // The address is free again.
      const b = ok(await api.create(svc('b', { clusterIP: '10.0.0.2' })));
      const back = ok(
        await api.update<Service>({
          ...external,
          spec: { ...external.spec, type: 'ClusterIP', externalName: undefined },
        }),
      );
      expect(back.spec?.clusterIP).toMatch(/^10\.0\.0\.[3-6]$/);
      expect(back.spec?.clusterIP).not.toBe(b.spec?.clusterIP);

      // A Local load balancer takes a node port and a health check port: two of the three.
      const lb = ok(
        await api.create(svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' })),
      );
      const taken = [lb.spec?.ports?.[0]?.nodePort, lb.spec?.healthCheckNodePort];
      expect(new Set(taken).size).toBe(2);
      const full = await api.create(
        svc('lb2', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }),
      );
      expect(message(full)).toBe(
        'Internal error occurred: failed to allocate a HealthCheck NodePort 0: range is full',
      );
      // The failed create gave back the node port it had reserved: the third port is free.
      const third = [30000, 30001, 30002].find((p) => !taken.includes(p));
      ok(await api.create(svc('np', { type: 'NodePort', ports: [{ port: 80, nodePort: third }] })));
      ok(await api.delete('Service', 'default', 'lb'));
      const again = ok(
        await api.create(svc('lb2', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' })),
      );
      expect([again.spec?.ports?.[0]?.nodePort, again.spec?.healthCheckNodePort].sort()).toEqual(
        [...taken].sort(),
      );
    });
  });

  it('fails with "range is full" when the range is exhausted, and releases on delete', async () => {
    // 10.0.0.0/29: .1 to .6 usable, .1 taken by the kubernetes Service.
    const sim = withRanges({ 'service-cluster-ip-range': '10.0.0.0/29' });
    await runScript(sim, async (api) => {
      const ips = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const s = ok(await api.create(svc(`s${i}`)));
        ips.add(s.spec?.clusterIP ?? '');
      }
      expect([...ips].sort()).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
      const full = await api.create(svc('full'));
      expect(full.status).toBe(500);
      expect(message(full)).toBe(
        'Internal error occurred: failed to allocate a serviceIP: range is full',
      );
      const victim = ok(await api.get('Service', 'default', 's3'));
      ok(await api.delete('Service', 'default', 's3'));
      const reused = ok(await api.create(svc('full')));
      expect(reused.spec?.clusterIP).toBe(victim.spec?.clusterIP);
    });
  });

  it('a dry run answers with allocated values and gives them back', async () => {
    // 10.0.0.0/30: only .2 is free once the kubernetes Service holds .1.
    const sim = withRanges({ 'service-cluster-ip-range': '10.0.0.0/30' });
    const SVCS = '/api/v1/namespaces/default/services';
    await runScript(sim, async (api) => {
      for (let i = 0; i < 3; i++) {
        const dry = ok(
          await api.request<Service>('POST', SVCS, {
            body: svc('dry', { type: 'NodePort' }),
            query: { dryRun: 'All' },
          }),
        );
        expect(dry.spec?.clusterIP).toBe('10.0.0.2');
        expect(dry.spec?.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
      }
      expect((await api.get('Service', 'default', 'dry')).status).toBe(404);
      const real = ok(await api.create(svc('real')));
      expect(real.spec?.clusterIP).toBe('10.0.0.2');
      // An update to NodePort in a dry run allocates a port for the answer only.
      const toNodePort = (s: Service): Service => ({ ...s, spec: { ...s.spec, type: 'NodePort' } });
      const dryUpdate = ok(
        await api.request<Service>('PUT', `${SVCS}/real`, {
          body: toNodePort(real),
          query: { dryRun: 'All' },
        }),
      );
      const port = dryUpdate.spec?.ports?.[0]?.nodePort ?? 0;
      expect(port).toBeGreaterThanOrEqual(30000);
      // The range has room for one Service: free it, then take the port the dry run showed.
      ok(await api.delete('Service', 'default', 'real'));
      const requested = ok(
        await api.create(svc('fixed', { type: 'NodePort', ports: [{ port: 80, nodePort: port }] })),
      );
      expect(requested.spec?.ports?.[0]?.nodePort).toBe(port);
    });
  });

  it('rebuilds the ranges from the stored Services after an API server crash', async () => {
    const sim = withRanges({
      'service-cluster-ip-range': '10.0.0.0/28',
      'service-node-port-range': '30000-30009',
    });
    const create = (api: ApiClient, s: Service, sleep: (us: number) => Promise<void>) =>
      eventually(() => api.create(s), sleep);
    await runScript(sim, async (api, ports) => {
      const sleep = (us: number) => ports.clock.sleep(us);
      const before: Service[] = [];
      for (let i = 0; i < 6; i++) {
        before.push(ok(await create(api, svc(`pre${i}`, { type: 'NodePort' }), sleep)));
      }
      ok(await api.delete('Service', 'default', 'pre0'));
      sim.crash(API_SERVER);
      await sleep(2_000_000);
      sim.restart(API_SERVER);
      const after: Service[] = [];
      // 14 usable addresses, one the kubernetes Service's, five held: eight left.
      // Ten node ports, five held: five NodePort Services and three ClusterIP ones fit.
      for (let i = 0; i < 8; i++) {
        const type = i < 5 ? 'NodePort' : 'ClusterIP';
        after.push(ok(await create(api, svc(`post${i}`, { type }), sleep)));
      }
      const portFull = await create(api, svc('portfull', { type: 'NodePort' }), sleep);
      expect(message(portFull)).toContain('range is full');
      const ipFull = await create(api, svc('ipfull'), sleep);
      expect(message(ipFull)).toContain('failed to allocate a serviceIP: range is full');
      const all = ok(await api.list('Service', 'default')).items;
      const clusterIPs = all.map((s) => s.spec?.clusterIP);
      expect(new Set(clusterIPs).size).toBe(clusterIPs.length);
      const nodePorts = all.flatMap((s) => (s.spec?.ports ?? []).map((p) => p.nodePort));
      const held = nodePorts.filter((p) => p !== undefined);
      expect(new Set(held).size).toBe(held.length);
      expect(held.length).toBe(10);
      expect(before.length + after.length).toBe(14);
    });
  });
});
