import { describe, expect, it } from 'vitest';
import type { Endpoints } from '../../../core/api/kinds/endpoints.ts';
import { parseTraceRecord } from '../../../core/trace/index.ts';
import {
  OVER_CAPACITY_ANNOTATION,
  repackSubsets,
  truncateSubsets,
  type Subset,
} from '../../../core/controllers/endpoint/subsets.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { mustCreate, retry, waitFor } from './harness.ts';
import { runningPod, service } from './service-harness.ts';
import { watchKindAsAdmin } from './workloads.ts';

import { formatTime } from '../../../core/api/time.ts';

const S = 1_000_000;

const addr = (ip: string, uid = ip) => ({
  ip,
  targetRef: { kind: 'Pod', namespace: 'default', name: `p-${uid}`, uid },
});

describe('Endpoints subsets (RepackSubsets, truncateEndpoints)', () => {
  it('groups addresses by the set of ports they serve, not-ready winning over ready', () => {
    const p80 = { name: 'http', port: 80, protocol: 'TCP' };
    const p443 = { name: 'https', port: 443, protocol: 'TCP' };
    const got = repackSubsets([
      { addresses: [addr('10.0.0.2')], ports: [p80] },
      { addresses: [addr('10.0.0.2')], ports: [p443] },
      { addresses: [addr('10.0.0.1')], ports: [p80] },
      { addresses: [addr('10.0.0.1')], ports: [p443] },
      { addresses: [addr('10.0.0.3')], ports: [p80] },
      // The same address, listed twice for one port: once ready, once not.
      { notReadyAddresses: [addr('10.0.0.3')], ports: [p80] },
    ]);
    // Port 80 is served by three addresses, 443 by two: two subsets. Without the third address
    // both ports share one.
    expect(got).toEqual([
      {
        addresses: [addr('10.0.0.1'), addr('10.0.0.2')],
        notReadyAddresses: [addr('10.0.0.3')],
        ports: [p80],
      },
      { addresses: [addr('10.0.0.1'), addr('10.0.0.2')], ports: [p443] },
    ]);
    expect(
      repackSubsets([
        { addresses: [addr('10.0.0.2')], ports: [p443] },
        { addresses: [addr('10.0.0.1')], ports: [p80, p443] },
        { addresses: [addr('10.0.0.2')], ports: [p80] },
      ]),
    ).toEqual([{ addresses: [addr('10.0.0.1'), addr('10.0.0.2')], ports: [p80, p443] }]);
    // Canonical: repacking the result changes nothing.
    expect(repackSubsets(got)).toEqual(got);
  });

  it('keeps the addresses of a port-less subset (a headless Service without ports)', () => {
    expect(repackSubsets([{ addresses: [addr('10.0.0.1')], ports: [] }])).toEqual([
      { addresses: [addr('10.0.0.1')] },
    ]);
  });

  it('truncates to 1,000 addresses, not-ready ones first, each subset by its share', () => {
    const many = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => addr(`${prefix}.${Math.floor(i / 250)}.${i % 250}`));
    const subsets: Subset[] = [
      { addresses: many(600, '10.1'), notReadyAddresses: many(300, '10.2'), ports: [{ port: 1 }] },
      { addresses: many(200, '10.3'), notReadyAddresses: many(100, '10.4'), ports: [{ port: 2 }] },
    ];
    const cut = truncateSubsets(subsets);
    // 800 ready stay; the 200 left go to not-ready addresses 300:100.
    expect(cut?.map((s) => [s.addresses?.length, s.notReadyAddresses?.length])).toEqual([
      [600, 150],
      [200, 50],
    ]);
    expect(truncateSubsets(cut!)).toBeUndefined();
  });
});

describe('Endpoints controller', () => {
  it('lists ready and not-ready pods per port, follows changes, and deletes with the Service', async () => {
    const sim = controlPlane({ seed: 2, secure: true });
    startControllerManager(sim, { controllers: ['endpoint'] });
    const endpoints = watchKindAsAdmin(sim, 'Endpoints', 'watch-endpoints');
    const actions: string[] = [];
    sim.trace.addSink((line) => {
      const r = parseTraceRecord(line);
      if (r.k === 'endpoints.sync' && r.service === 'default/web')
        actions.push(`${r.action} ${r.ready}/${r.notReady}`);
    });
    const web = (): Endpoints | undefined => endpoints().get('default/web');
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, service('web', 'web'));
      await waitFor(ports, () => web() !== undefined, 30 * S, 'Endpoints');
      expect(web()?.subsets ?? []).toEqual([]);
      expect(web()?.metadata.labels).toEqual({ team: 'a' });
      await runningPod(ports, api, 'a', 'web', '10.244.1.2', true);
      await runningPod(ports, api, 'b', 'web', '10.244.1.3', false);
      await runningPod(ports, api, 'other', 'db', '10.244.1.9', true);
      await waitFor(
        ports,
        () => (web()?.subsets?.[0]?.notReadyAddresses ?? []).length === 1,
        30 * S,
        'a not-ready address',
      );
      expect(web()?.subsets).toEqual([
        {
          addresses: [
            {
              ip: '10.244.1.2',
              nodeName: 'node-x',
              targetRef: expect.objectContaining({ kind: 'Pod', name: 'a' }),
            },
          ],
          notReadyAddresses: [
            {
              ip: '10.244.1.3',
              nodeName: 'node-x',
              targetRef: expect.objectContaining({ kind: 'Pod', name: 'b' }),
            },
          ],
          // The named targetPort resolves to the container port.
          ports: [{ name: 'web', port: 8080, protocol: 'TCP' }],
        },
      ]);
      // A terminating pod leaves the Endpoints at once (publishNotReadyAddresses is off).
      await retry(ports, () => api.delete('Pod', 'default', 'a'));
      await waitFor(
        ports,
        () => (web()?.subsets?.[0]?.addresses ?? []).length === 0,
        30 * S,
        'a gone',
      );
      await retry(ports, () => api.delete('Service', 'default', 'web'));
      await waitFor(ports, () => web() === undefined, 30 * S, 'Endpoints deleted');
    });
    expect(actions).toEqual([
      'created 0/0',
      'updated 1/0',
      'updated 1/1',
      'updated 0/1',
      'deleted 0/0',
    ]);
  });

  it('annotates the change that triggered each write: the Service’s creation, then a Ready transition', async () => {
    const sim = controlPlane({ seed: 2, secure: true });
    startControllerManager(sim, { controllers: ['endpoint', 'endpointslice'] });
    const endpoints = watchKindAsAdmin(sim, 'Endpoints', 'watch-endpoints');
    const slices = watchKindAsAdmin(sim, 'EndpointSlice', 'watch-slices');
    const trigger = (o: { metadata: { annotations?: Record<string, string> } } | undefined) =>
      o?.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'];
    const slice = () => slices().list()[0];
    await runScript(sim, async (api, ports) => {
      const created = await mustCreate(ports, api, service('web', 'web'));
      await waitFor(ports, () => endpoints().get('default/web') !== undefined, 30 * S, 'Endpoints');
      await waitFor(ports, () => slice() !== undefined, 30 * S, 'slice');
      expect(trigger(endpoints().get('default/web'))).toBe(created.metadata.creationTimestamp);
      expect(trigger(slice())).toBe(created.metadata.creationTimestamp);
      await ports.clock.sleep(7 * S);
      const readyAt = formatTime(ports.clock.now());
      await runningPod(ports, api, 'a', 'web', '10.244.1.2', true);
      await waitFor(
        ports,
        () => (endpoints().get('default/web')?.subsets ?? []).length === 1,
        30 * S,
        'an address',
      );
      await waitFor(ports, () => (slice()?.endpoints ?? []).length === 1, 30 * S, 'an endpoint');
      expect(readyAt).not.toBe(created.metadata.creationTimestamp);
      expect(trigger(endpoints().get('default/web'))).toBe(readyAt);
      expect(trigger(slice())).toBe(readyAt);
    });
  });

  it('a headless Service: the headless label, and not-ready pods published when asked', async () => {
    const sim = controlPlane({ seed: 3, secure: true });
    startControllerManager(sim, { controllers: ['endpoint'] });
    const endpoints = watchKindAsAdmin(sim, 'Endpoints', 'watch-endpoints');
    await runScript(sim, async (api, ports) => {
      await mustCreate(
        ports,
        api,
        service('db', 'db', { clusterIP: 'None', ports: [], publishNotReadyAddresses: true }),
      );
      await runningPod(ports, api, 'd', 'db', '10.244.2.5', false);
      await waitFor(
        ports,
        () => (endpoints().get('default/db')?.subsets ?? []).length === 1,
        30 * S,
        'one subset',
      );
      const ep = endpoints().get('default/db');
      expect(ep?.metadata.labels).toEqual({ team: 'a', 'service.kubernetes.io/headless': '' });
      expect(ep?.subsets).toEqual([
        {
          addresses: [
            {
              ip: '10.244.2.5',
              nodeName: 'node-x',
              targetRef: expect.objectContaining({ name: 'd' }),
            },
          ],
        },
      ]);
      expect(ep?.metadata.annotations?.[OVER_CAPACITY_ANNOTATION]).toBeUndefined();
    });
  });

  it('leaves the Endpoints of a selector-less Service to its user, and removes orphans at start', async () => {
    const sim = controlPlane({ seed: 4, secure: true });
    const endpoints = watchKindAsAdmin(sim, 'Endpoints', 'watch-endpoints');
    const manual: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'external', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432, protocol: 'TCP' }] }],
    };
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, service('external', 'unused', { selector: {} }));
      await mustCreate(ports, api, manual);
      await mustCreate(ports, api, {
        ...manual,
        metadata: { name: 'orphan', namespace: 'default' },
      });
      startControllerManager(sim, { controllers: ['endpoint'] });
      await waitFor(
        ports,
        () => endpoints().get('default/orphan') === undefined,
        60 * S,
        'orphan gone',
      );
      await ports.clock.sleep(10 * S);
      expect(endpoints().get('default/external')?.subsets).toEqual(manual.subsets);
    });
  });
});

describe('EndpointSlice mirroring controller', () => {
  it("mirrors a selector-less Service's Endpoints into slices, follows them, and stops on skip-mirror", async () => {
    const sim = controlPlane({ seed: 5, secure: true });
    startControllerManager(sim, { controllers: ['endpointslicemirroring'] });
    const slices = watchKindAsAdmin(sim, 'EndpointSlice', 'watch-slices');
    const mirrored = () =>
      slices()
        .list()
        .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'external');
    const manual: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'external', namespace: 'default', labels: { team: 'db' } },
      subsets: [
        {
          addresses: [{ ip: '192.0.2.10' }],
          notReadyAddresses: [{ ip: '192.0.2.11' }],
          ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
        },
      ],
    };
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, service('external', 'unused', { selector: {} }));
      const ep = await mustCreate(ports, api, manual);
      await waitFor(ports, () => mirrored().length === 1, 30 * S, 'a mirrored slice');
      const [slice] = mirrored();
      expect(slice?.metadata.labels).toEqual({
        team: 'db',
        'kubernetes.io/service-name': 'external',
        'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
      });
      expect(slice?.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'Endpoints',
        name: 'external',
        uid: ep.metadata.uid,
      });
      expect(slice?.ports).toEqual([{ name: 'pg', port: 5432, protocol: 'TCP' }]);
      expect(slice?.endpoints.map((e) => [e.addresses[0], e.conditions?.ready])).toEqual([
        ['192.0.2.10', true],
        ['192.0.2.11', false],
      ]);
      // The user edits the Endpoints: the slice follows.
      await retry(ports, async () => {
        const cur = await api.get('Endpoints', 'default', 'external');
        if (!cur.ok) return cur;
        return api.update({
          ...cur.value,
          subsets: [{ addresses: [{ ip: '192.0.2.12' }], ports: [{ name: 'pg', port: 5432 }] }],
        });
      });
      await waitFor(
        ports,
        () =>
          mirrored()[0]
            ?.endpoints.map((e) => e.addresses[0])
            .join() === '192.0.2.12',
        30 * S,
        'the slice follows',
      );
      expect(mirrored()).toHaveLength(1);
      // skip-mirror: the mirrored slices go.
      await retry(ports, async () => {
        const cur = await api.get('Endpoints', 'default', 'external');
        if (!cur.ok) return cur;
        return api.update({
          ...cur.value,
          metadata: {
            ...cur.value.metadata,
            labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
          },
        });
      });
      await waitFor(ports, () => mirrored().length === 0, 30 * S, 'no mirrored slice');
    });
  });

  it('does not mirror the Endpoints of a Service with a selector', async () => {
    const sim = controlPlane({ seed: 6, secure: true });
    startControllerManager(sim, { controllers: ['endpointslicemirroring'] });
    const slices = watchKindAsAdmin(sim, 'EndpointSlice', 'watch-slices');
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, service('web', 'web'));
      await mustCreate(ports, api, {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'web', namespace: 'default' },
        subsets: [{ addresses: [{ ip: '192.0.2.20' }], ports: [{ port: 80 }] }],
      } satisfies Endpoints);
      await ports.clock.sleep(20 * S);
      expect(slices().list()).toEqual([]);
    });
  });
});
