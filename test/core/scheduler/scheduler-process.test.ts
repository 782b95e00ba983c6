/**
 * The Scheduler process against a simulated API server: pods get bound through the binding
 * subresource, unschedulable pods get PodScheduled=False with upstream's message and a
 * FailedScheduling event, and preemption deletes the victim and nominates the node.
 */
import { describe, expect, it } from 'vitest';
import type { Event } from '../../../core/api/cluster-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { controlPlane, runScript, startScheduler } from '../../support/cluster.ts';
import { node, pod } from './fixtures.ts';

function strip(p: Pod): Pod {
  const { uid: _uid, ...metadata } = p.metadata;
  return { ...p, metadata };
}

describe('Scheduler process', () => {
  it('binds, reports failures, and preempts through the API server', async () => {
    const sim = controlPlane();
    startScheduler(sim);
    await runScript(sim, async (api, ports) => {
      for (const n of [node('a', { cpu: '2' }), node('b', { cpu: '2' })])
        expect((await api.create(n)).ok).toBe(true);
      for (const p of [
        pod('x', { cpu: '1500m' }),
        pod('y', { cpu: '1500m' }),
        pod('z', { cpu: '1500m' }),
      ])
        expect((await api.create(strip(p))).ok).toBe(true);
      await ports.clock.sleep(5_000_000);
      const list = await api.list('Pod', 'default');
      if (!list.ok) throw new Error('list failed');
      const byName = new Map(list.value.items.map((p) => [p.metadata.name, p]));
      expect(new Set([byName.get('x')?.spec.nodeName, byName.get('y')?.spec.nodeName])).toEqual(
        new Set(['a', 'b']),
      );
      const z = byName.get('z');
      const cond = z?.status?.conditions?.find((c) => c.type === 'PodScheduled');
      expect(cond).toMatchObject({
        status: 'False',
        reason: 'Unschedulable',
        message:
          '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
      });
      const events = await api.list('Event', 'default');
      if (!events.ok) throw new Error('list failed');
      const reasons = (events.value.items as Event[]).map(
        (e) => `${e.involvedObject.name}:${e.reason}`,
      );
      expect(reasons).toContain('z:FailedScheduling');
      expect(reasons).toContain('x:Scheduled');

      // A high-priority pod preempts one of x/y: the victim is marked and deleted gracefully,
      // the preemptor nominated to its node.
      // Priority admission gives a pod its class's priority (and refuses one it states itself).
      const high = await api.create({
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'high' },
        value: 1000,
      });
      expect(high.ok).toBe(true);
      const { priority: _priority, ...vipSpec } = strip(pod('vip', { cpu: '1' })).spec;
      expect(
        (
          await api.create({
            ...strip(pod('vip', { cpu: '1' })),
            spec: { ...vipSpec, priorityClassName: 'high' },
          })
        ).ok,
      ).toBe(true);
      await ports.clock.sleep(5_000_000);
      const vip = await api.get('Pod', 'default', 'vip');
      if (!vip.ok) throw new Error('get failed');
      const nominated = vip.value.status?.nominatedNodeName;
      expect(nominated === 'a' || nominated === 'b').toBe(true);
      const listed = await api.list('Pod', 'default');
      if (!listed.ok) throw new Error('list failed');
      const victims = listed.value.items.filter((p) => p.metadata.deletionTimestamp !== undefined);
      expect(victims.map((v) => v.spec.nodeName)).toEqual([nominated]);
      expect(
        victims[0]?.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason,
      ).toBe('PreemptionByScheduler');

      // No kubelet runs here: confirm the victim's termination as one would.
      const victim = victims[0] as Pod;
      expect(
        (await api.delete('Pod', 'default', victim.metadata.name ?? '', { gracePeriodSeconds: 0 }))
          .ok,
      ).toBe(true);
      await ports.clock.sleep(15_000_000);
      const bound = await api.get('Pod', 'default', 'vip');
      if (!bound.ok) throw new Error('get failed');
      expect(bound.value.spec.nodeName).toBe(nominated);
    });
  });
});
