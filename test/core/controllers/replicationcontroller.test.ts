import { describe, expect, it } from 'vitest';
import { parseTraceRecord } from '../../../core/trace/index.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import {
  mustCreate,
  mustUpdate,
  PodMonitor,
  replicaSet,
  replicationController,
  waitFor,
} from './harness.ts';

const S = 1_000_000;

describe('ReplicationController controller (the ReplicaSet logic over a map selector)', () => {
  it('creates the requested pods owned by the ReplicationController, scales down, and keeps status', async () => {
    const sim = controlPlane({ seed: 4 });
    startControllerManager(sim, { controllers: ['replicationcontroller'] });
    const monitor = new PodMonitor(sim);
    const records: unknown[] = [];
    sim.trace.addSink((line) => {
      const r = parseTraceRecord(line);
      if (r.k === 'rc.create-pods') records.push({ k: r.k, rc: r.rc, count: r.count });
      if (r.k === 'rc.delete-pods') records.push({ k: r.k, rc: r.rc, deleted: r.pods.length });
      if (r.k === 'rs.create-pods' || r.k === 'rs.delete-pods') records.push({ k: r.k });
    });
    let uid = '';
    let status: unknown;
    await runScript(sim, async (api, ports) => {
      const rc = await mustCreate(ports, api, replicationController('web', 4));
      uid = rc.metadata.uid ?? '';
      await waitFor(ports, () => monitor.activeOf('web').length === 4, 60 * S, '4 pods');
      for (const pod of monitor.activeOf('web'))
        expect(pod.metadata.ownerReferences).toEqual([
          {
            apiVersion: 'v1',
            kind: 'ReplicationController',
            name: 'web',
            uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ]);
      await mustUpdate(ports, api, 'ReplicationController', 'default', 'web', (cur) => ({
        ...cur,
        spec: { ...cur.spec, replicas: 1 },
      }));
      await waitFor(ports, () => monitor.activeOf('web').length === 1, 60 * S, '1 pod');
      await ports.clock.sleep(5 * S);
      const got = await api.get('ReplicationController', 'default', 'web');
      if (!got.ok) throw new Error(`get: ${got.status}`);
      status = got.value.status;
    });
    expect(monitor.maxActive.get('web')).toBe(4);
    expect(records).toEqual([
      { k: 'rc.create-pods', rc: 'default/web', count: 4 },
      { k: 'rc.delete-pods', rc: 'default/web', deleted: 3 },
    ]);
    // Nothing runs the pods, so none is ready; the generation of the scale-down was observed.
    expect(status).toEqual({
      replicas: 1,
      fullyLabeledReplicas: 1,
      readyReplicas: 0,
      availableReplicas: 0,
      observedGeneration: 2,
    });
  });

  it('adopts a matching orphan instead of creating, and each kind is left to its own controller', async () => {
    const sim = controlPlane({ seed: 5 });
    startControllerManager(sim, { controllers: ['replicationcontroller'] });
    const monitor = new PodMonitor(sim);
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'stray', namespace: 'default', labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
      });
      await mustCreate(ports, api, replicationController('web', 2));
      await waitFor(ports, () => monitor.activeOf('web').length === 2, 60 * S, '2 pods');
      // Only the ReplicationController controller runs: a ReplicaSet gets no pods.
      await mustCreate(ports, api, replicaSet('api', 2));
      await ports.clock.sleep(30 * S);
    });
    const names = monitor.activeOf('web').map((p) => p.metadata.name);
    expect(names).toContain('stray');
    expect(monitor.everSeen.get('web')?.size).toBe(2);
    expect(monitor.activeOf('api')).toEqual([]);
  });
});
