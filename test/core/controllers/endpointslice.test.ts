import { describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../../../core/api/kinds/endpoint-slice.ts';
import {
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
} from '../../../core/controllers/endpointslice/endpointslice-controller.ts';
import { planSlices } from '../../../core/controllers/endpointslice/slice-plan.ts';
import type { Endpoint } from '../../../core/controllers/endpointslice/pod-endpoints.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { mustCreate, retry, waitFor } from './harness.ts';
import { watchKindAsAdmin } from './workloads.ts';
import { runningPod, service } from './service-harness.ts';

function endpointsByPod(slices: readonly EndpointSlice[]) {
  return Object.fromEntries(
    slices.flatMap((s) =>
      s.endpoints.map((e) => [
        e.targetRef?.name ?? '',
        { addresses: e.addresses, ...e.conditions },
      ]),
    ),
  );
}

describe('EndpointSlice controller', () => {
  it('publishes ready, serving and terminating endpoints with resolved named ports', async () => {
    const sim = controlPlane({ seed: 1, secure: true });
    startControllerManager(sim, { controllers: ['endpointslice'] });
    const slices = watchKindAsAdmin(sim, 'EndpointSlice', 'watch-slices');
    const of = (svc: string) =>
      slices()
        .list()
        .filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === svc);
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, service('web', 'web'));
      await waitFor(ports, () => of('web').length === 1, 30_000_000, 'placeholder');
      expect(of('web')[0]?.endpoints).toEqual([]);
      await runningPod(ports, api, 'a', 'web', '10.244.1.2', true);
      await runningPod(ports, api, 'b', 'web', '10.244.1.3', true);
      await runningPod(ports, api, 'c', 'web', '10.244.1.4', false);
      await waitFor(
        ports,
        () => of('web').flatMap((s) => s.endpoints).length === 3,
        30_000_000,
        '3 endpoints',
      );
      expect(endpointsByPod(of('web'))).toEqual({
        a: { addresses: ['10.244.1.2'], ready: true, serving: true, terminating: false },
        b: { addresses: ['10.244.1.3'], ready: true, serving: true, terminating: false },
        c: { addresses: ['10.244.1.4'], ready: false, serving: false, terminating: false },
      });
      const [slice] = of('web');
      expect(slice?.ports).toEqual([{ name: 'web', port: 8080, protocol: 'TCP' }]);
      expect(slice?.addressType).toBe('IPv4');
      expect(slice?.metadata.labels).toEqual({
        team: 'a',
        [SERVICE_NAME_LABEL]: 'web',
        [MANAGED_BY_LABEL]: 'endpointslice-controller.k8s.io',
      });
      expect(slice?.metadata.ownerReferences?.[0]?.kind).toBe('Service');
      // Graceful deletion: the pod stays, terminating, until its kubelet confirms.
      await retry(ports, () => api.delete('Pod', 'default', 'a'));
      await waitFor(
        ports,
        () => endpointsByPod(of('web'))['a']?.terminating === true,
        30_000_000,
        'terminating',
      );
      expect(endpointsByPod(of('web'))['a']).toEqual({
        addresses: ['10.244.1.2'],
        ready: false,
        serving: true,
        terminating: true,
      });
      // Headless and publishing not-ready addresses: every endpoint is ready.
      await mustCreate(
        ports,
        api,
        service('all', 'web', { clusterIP: 'None', publishNotReadyAddresses: true }),
      );
      await waitFor(
        ports,
        () => of('all').flatMap((s) => s.endpoints).length === 3,
        30_000_000,
        'all',
      );
      const all = endpointsByPod(of('all'));
      expect(Object.values(all).every((e) => e.ready && e.serving)).toBe(true);
      expect(of('all')[0]?.metadata.labels?.['service.kubernetes.io/headless']).toBe('');
    });
  });

  it('spreads 250 endpoints over slices of at most 100 and empties them when the pods go', async () => {
    const sim = controlPlane({ seed: 2 });
    startControllerManager(sim, { controllers: ['endpointslice'] });
    const slices = watchKindAsAdmin(sim, 'EndpointSlice', 'watch-slices');
    const of = () =>
      slices()
        .list()
        .filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === 'many');
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, service('many', 'many'));
      for (let i = 0; i < 250; i++)
        await runningPod(ports, api, `p${i}`, 'many', `10.244.${2 + (i >> 8)}.${i % 256}`, true);
      await waitFor(
        ports,
        () => of().flatMap((s) => s.endpoints).length === 250,
        60_000_000,
        '250 endpoints',
      );
      await ports.clock.sleep(5_000_000);
      expect(
        of()
          .map((s) => s.endpoints.length)
          .sort((a, b) => a - b),
      ).toEqual([50, 100, 100]);
      const uids = new Set(of().flatMap((s) => s.endpoints.map((e) => e.targetRef?.uid)));
      expect(uids.size).toBe(250);
      const r = await retry(ports, () => api.list('Pod', 'default'));
      if (!r.ok) throw new Error(r.error.message);
      for (const p of r.value.items)
        await retry(ports, () =>
          api.delete('Pod', 'default', p.metadata.name ?? '', { gracePeriodSeconds: 0 }),
        );
      await waitFor(
        ports,
        () => of().length === 1 && of()[0]?.endpoints.length === 0,
        60_000_000,
        'placeholder again',
      );
    });
  });
});

describe('slice plan', () => {
  const ep = (n: number): Endpoint => ({
    addresses: [`10.0.0.${n}`],
    conditions: { ready: true, serving: true, terminating: false },
    targetRef: { kind: 'Pod', name: `p${n}`, uid: `u${n}` },
  });
  const ports = [{ name: 'web', port: 8080, protocol: 'TCP' as const }];
  const slice = (name: string, endpoints: Endpoint[]): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { x: '1' } },
    addressType: 'IPv4',
    endpoints,
    ports,
  });
  const group = (ns: number[]) =>
    new Map([[JSON.stringify([['web', 8080, 'TCP', '']]), { ports, endpoints: ns.map(ep) }]]);

  it('keeps endpoints in their slices, fills rewritten slices, fits a remainder, then creates', () => {
    const existing = [slice('s1', [ep(1), ep(2), ep(3)]), slice('s2', [ep(4)])];
    const plan = planSlices(group([1, 3, 4, 5, 6, 7]), existing, { x: '1' }, 'IPv4', 4);
    // s1 lost p2, so it is rewritten and takes new endpoints first; the remainder fits s2.
    expect(
      plan.update.map((s) => [s.metadata.name, s.endpoints.map((e) => e.targetRef?.name)]),
    ).toEqual([
      ['s1', ['p1', 'p3', 'p5', 'p6']],
      ['s2', ['p4', 'p7']],
    ]);
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    // Without room anywhere: new slices of at most the maximum.
    const full = planSlices(
      group([1, 2, 3, 8, 9, 10, 11, 12]),
      [slice('s1', [ep(1), ep(2), ep(3)])],
      { x: '1' },
      'IPv4',
      3,
    );
    expect(full.update).toEqual([]);
    expect(full.create.map((c) => c.endpoints.length)).toEqual([3, 2]);
  });

  it('deletes emptied slices and leaves one placeholder when nothing is left', () => {
    const existing = [slice('s1', [ep(1)]), slice('s2', [ep(2)])];
    const plan = planSlices(new Map(), existing, { x: '1' }, 'IPv4', 100);
    expect(plan.delete.map((s) => s.metadata.name)).toEqual(['s1', 's2']);
    expect(plan.create).toEqual([{ ports: [], endpoints: [] }]);
  });
});
