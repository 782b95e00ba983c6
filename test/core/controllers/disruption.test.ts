import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { PodDisruptionBudget } from '../../../core/api/policy-types.ts';
import type { Status } from '../../../core/api/status-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { replicaSet } from './harness.ts';

const pdb = (name: string, spec: PodDisruptionBudget['spec']): PodDisruptionBudget => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name, namespace: 'default' },
  spec,
});

async function markAllReady(api: ApiClient): Promise<void> {
  const pods = await api.list('Pod', 'default');
  if (!pods.ok) throw new Error('list failed');
  for (const p of pods.value.items) {
    if (p.metadata.deletionTimestamp !== undefined) continue;
    await api.updateStatus({
      ...p,
      status: { ...p.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    } as Pod);
  }
}

async function status(
  api: ApiClient,
  name: string,
  ports: ProcessPorts,
): Promise<PodDisruptionBudget['status']> {
  await ports.clock.sleep(500_000);
  const r = await api.get('PodDisruptionBudget', 'default', name);
  if (!r.ok) throw new Error('get failed');
  return r.value.status;
}

describe('PodDisruptionBudget', () => {
  it('rejects a budget with both minAvailable and maxUnavailable, or a bad percentage', async () => {
    const sim = controlPlane();
    await runScript(sim, async (api) => {
      const both = await api.create(pdb('x', { minAvailable: 1, maxUnavailable: 1, selector: {} }));
      expect(!both.ok && both.error.message).toContain(
        'minAvailable and maxUnavailable cannot be both set',
      );
      const pct = await api.create(pdb('y', { maxUnavailable: '150%', selector: {} }));
      expect(!pct.ok && pct.error.message).toContain(
        'spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
      );
    });
  });

  it('tracks healthy pods, and the eviction API honours the budget', async () => {
    const sim = controlPlane();
    startControllerManager(sim, { controllers: ['replicaset', 'disruption'] });
    await runScript(sim, async (api, ports) => {
      await api.create(replicaSet('web', 3));
      await ports.clock.sleep(1_000_000);
      await markAllReady(api);
      await api.create(pdb('web', { minAvailable: 2, selector: { matchLabels: { app: 'web' } } }));
      expect(await status(api, 'web', ports)).toMatchObject({
        expectedPods: 3,
        desiredHealthy: 2,
        currentHealthy: 3,
        disruptionsAllowed: 1,
      });

      const pods = await api.list('Pod', 'default');
      if (!pods.ok) throw new Error('list failed');
      const [first, second] = pods.value.items.map((p) => p.metadata.name as string);
      const evict = (name: string) =>
        api.request<Status>('POST', `/api/v1/namespaces/default/pods/${name}/eviction`, {
          body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } },
        });
      expect((await evict(first as string)).status).toBe(201);
      const refused = await evict(second as string);
      expect(refused.status).toBe(429);
      expect(!refused.ok && refused.error.message).toBe(
        "Cannot evict pod as it would violate the pod's disruption budget.",
      );
      // The replacement is not ready yet: still no disruption allowed.
      expect(await status(api, 'web', ports)).toMatchObject({
        currentHealthy: 2,
        disruptionsAllowed: 0,
      });
      await markAllReady(api);
      expect(await status(api, 'web', ports)).toMatchObject({
        currentHealthy: 3,
        disruptionsAllowed: 1,
      });
    });
  });

  it("scales percentages and maxUnavailable by the controllers' replicas", async () => {
    const sim = controlPlane();
    startControllerManager(sim, { controllers: ['replicaset', 'disruption'] });
    await runScript(sim, async (api, ports) => {
      await api.create(replicaSet('web', 4));
      await ports.clock.sleep(1_000_000);
      await markAllReady(api);
      await api.create(
        pdb('max', { maxUnavailable: '30%', selector: { matchLabels: { app: 'web' } } }),
      );
      // 30% of 4 = 1.2, rounded up to 2 unavailable: 2 must stay healthy.
      expect(await status(api, 'max', ports)).toMatchObject({
        expectedPods: 4,
        desiredHealthy: 2,
        disruptionsAllowed: 2,
      });
      await api.delete('PodDisruptionBudget', 'default', 'max');
      await api.create(
        pdb('min', { minAvailable: '60%', selector: { matchLabels: { app: 'web' } } }),
      );
      // 60% of 4 = 2.4, rounded up to 3.
      expect(await status(api, 'min', ports)).toMatchObject({
        expectedPods: 4,
        desiredHealthy: 3,
        disruptionsAllowed: 1,
      });
    });
  });
});
