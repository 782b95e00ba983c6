/**
 * The property a Service promises, on a whole simulated cluster: once kube-proxy has caught up
 * with a change, every new connection to the Service lands on a Ready pod that is not being
 * deleted (or, while none is, on a terminating pod that still serves, as upstream falls back),
 * and never on a pod that is gone. Pods come and go through a Deployment; the EndpointSlice
 * controller, the kubelet and kube-proxy do the rest.
 */
import { describe, expect, it } from 'vitest';
import type { NodeProcess } from '../../../core/cluster/assembly.ts';
import type { Service } from '../../../core/api/kinds/service-types.ts';
import type { Deployment } from '../../../core/api/kinds/deployment.ts';
import { isPodReady } from '../../../core/api/pod-helpers.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type { SimNetfilter } from '../../../sim/netfilter.ts';
import { routeConnection } from '../../../sim/netfilter/route.ts';
import {
  controlPlane,
  runScript,
  spawnNode,
  startControllerManager,
  startScheduler,
} from '../../support/cluster.ts';
import { deployment } from '../controllers/workloads.ts';

const SETTLE_US = 5_000_000;

const webService: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 80 }] },
} as Service;

async function must<T>(
  p: Promise<{ ok: true; value: T } | { ok: false; error: { message?: string } }>,
) {
  const r = await p;
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('Service routing on a converged cluster', () => {
  it('sends every connection to a Ready, live pod of the Service through scale-ups, scale-downs and deletions', async () => {
    const sim = controlPlane({ secure: true, seed: 7 });
    spawnNode(sim, { name: 'node-1', kubelet: { podCIDR: '10.244.1.0/24' } });
    spawnNode(sim, { name: 'node-2', kubelet: { podCIDR: '10.244.2.0/24' } });
    startScheduler(sim);
    startControllerManager(sim);
    const netfilter = (node: string) =>
      (sim.process(node).instance as NodeProcess).netfilter as SimNetfilter;
    let checks = 0;
    let routed = 0;

    const check = async (api: ApiClient, ports: ProcessPorts, clusterIP: string) => {
      await ports.clock.sleep(SETTLE_US);
      const pods = (await must(api.list('Pod', 'default'))).items as Pod[];
      const live = pods.filter((p) => p.status?.podIP !== undefined);
      const ready = live.filter((p) => isPodReady(p) && p.metadata.deletionTimestamp === undefined);
      const fallback = live.filter(
        (p) => isPodReady(p) && p.metadata.deletionTimestamp !== undefined,
      );
      const allowed = new Set((ready.length > 0 ? ready : fallback).map((p) => p.status?.podIP));
      for (const node of ['node-1', 'node-2']) {
        for (let i = 0; i < 40; i++) {
          const r = routeConnection(netfilter(node), {
            src: node === 'node-1' ? '10.244.1.250' : '10.244.2.250',
            dst: clusterIP,
            dport: 80,
            protocol: 'tcp',
            from: 'pod',
          });
          if (allowed.size === 0) expect(r.kind).toBe('reject');
          else {
            expect(r.kind).toBe('dnat');
            if (r.kind === 'dnat') expect(allowed.has(r.ip), `${r.ip} at ${sim.now}us`).toBe(true);
            routed++;
          }
        }
      }
      checks++;
    };

    await runScript(
      sim,
      async (api, ports) => {
        const svc = await must(api.create(webService));
        const clusterIP = svc.spec?.clusterIP ?? '';
        await must(api.create(deployment('web', 3)));
        await check(api, ports, clusterIP);
        const scale = async (replicas: number) => {
          const cur = await must(api.get('Deployment', 'default', 'web'));
          await must(api.update({ ...cur, spec: { ...cur.spec, replicas } } as Deployment));
          await check(api, ports, clusterIP);
        };
        await scale(6);
        const pods = (await must(api.list('Pod', 'default'))).items as Pod[];
        for (const p of pods.slice(0, 2)) {
          await must(api.delete('Pod', 'default', p.metadata.name ?? ''));
          await check(api, ports, clusterIP);
        }
        await scale(1);
        await scale(0);
        await scale(2);
      },
      { deadlineUs: 600_000_000 },
    );
    expect(checks).toBe(7);
    expect(routed).toBeGreaterThan(400);
  });
});
