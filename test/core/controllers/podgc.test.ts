import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { Informer } from '../../../core/client/informer.ts';
import { parseTraceRecord } from '../../../core/trace/index.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';

const S = 1_000_000;

function pod(name: string, extra: Partial<Pod['spec']> = {}, finalizers?: string[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(finalizers === undefined ? {} : { finalizers }) },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...extra },
  };
}

function deletions(sim: Simulation): { pod: string; reason: string; atUs: number }[] {
  const out: { pod: string; reason: string; atUs: number }[] = [];
  sim.trace.addSink((line) => {
    const r = parseTraceRecord(line);
    if (r.k === 'podgc.delete') out.push({ pod: r.pod, reason: r.reason, atUs: r.t });
  });
  return out;
}

describe('pod garbage collector', () => {
  it('deletes the oldest finished pods over the threshold', async () => {
    const sim = controlPlane({ secure: true });
    const deleted = deletions(sim);
    startControllerManager(sim, { controllers: ['podgc'], podGc: { terminatedPodThreshold: 2 } });
    await runScript(sim, async (api, ports) => {
      for (const [i, phase] of (
        ['Succeeded', 'Failed', 'Running', 'Succeeded', 'Failed'] as const
      ).entries()) {
        const created = await api.create(pod(`p-${i}`));
        if (!created.ok) throw new Error('create');
        expect((await api.updateStatus({ ...created.value, status: { phase } })).ok).toBe(true);
        await ports.clock.sleep(1_100_000);
      }
      await ports.clock.sleep(25 * S);
      const left = await api.list('Pod', 'default');
      expect(left.ok && left.value.items.map((p) => p.metadata.name).sort()).toEqual([
        'p-2',
        'p-3',
        'p-4',
      ]);
    });
    // Deleted concurrently: the records come in whatever order the deletes finish.
    expect(deleted.map((d) => [d.pod, d.reason]).sort()).toEqual([
      ['default/p-0', 'terminated'],
      ['default/p-1', 'terminated'],
    ]);
  });

  it('marks Failed and deletes the pods of a node gone for the quarantine, not before', async () => {
    const sim = controlPlane({ secure: true });
    const deleted = deletions(sim);
    const failedWith: string[] = [];
    startControllerManager(sim, { controllers: ['podgc'] });
    let boundAtUs = 0;
    await runScript(sim, async (api, ports) => {
      // What the pod looked like on its way out, as a watcher sees it.
      const watcher = new Informer(ports, api, 'Pod');
      watcher.addEventHandler({
        onUpdate: (_old, p) => {
          const c = p.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
          if (c !== undefined) failedWith.push(`${p.status?.phase} ${c.reason}: ${c.message}`);
        },
      });
      watcher.start();
      expect((await api.create(pod('orphan', { nodeName: 'gone' }))).ok).toBe(true);
      boundAtUs = sim.now;
      await ports.clock.sleep(90 * S);
      watcher.stop();
    });
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ pod: 'default/orphan', reason: 'orphaned' });
    expect(deleted[0]!.atUs - boundAtUs).toBeGreaterThanOrEqual(40 * S);
    expect(deleted[0]!.atUs - boundAtUs).toBeLessThan(62 * S);
    expect(failedWith).toEqual(['Failed DeletionByPodGC: PodGC: node no longer exists']);
  });

  it('force-deletes a terminating pod that was never scheduled, marking it Failed', async () => {
    const sim = controlPlane({ secure: true });
    const deleted = deletions(sim);
    startControllerManager(sim, { controllers: ['podgc'] });
    await runScript(sim, async (api, ports) => {
      expect((await api.create(pod('stuck', {}, ['example.com/hold']))).ok).toBe(true);
      expect((await api.delete('Pod', 'default', 'stuck')).ok).toBe(true);
      await ports.clock.sleep(25 * S);
      const r = await api.get('Pod', 'default', 'stuck');
      // The finalizer still holds it, but it is Failed and its grace period is zero.
      expect(r.ok && r.value.status?.phase).toBe('Failed');
      expect(r.ok && r.value.metadata.deletionGracePeriodSeconds).toBe(0);
    });
    expect(deleted.map((d) => d.reason)).toContain('unscheduled-terminating');
  });
});
