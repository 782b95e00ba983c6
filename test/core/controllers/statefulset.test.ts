import { describe, expect, it } from 'vitest';
import { getControllerOf } from '../../../core/api/meta.ts';
import type { StatefulSet } from '../../../core/api/kinds/stateful-set.ts';
import { parseTraceRecord } from '../../../core/trace/validate.ts';
import type { ControllerName } from '../../../core/controllers/manager.ts';
import {
  getOrdinal,
  POD_INDEX_LABEL,
  POD_NAME_LABEL,
} from '../../../core/controllers/statefulset/stateful-set-utils.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { mustCreate, mustUpdate, retry, waitFor } from './harness.ts';
import { OrderingMonitor, statefulSet, withSetImage } from './statefulsets.ts';
import { FakeKubelets, watchKindAsAdmin } from './workloads.ts';

interface PodWrite {
  readonly op: 'create' | 'delete';
  readonly pod: string;
  readonly reason?: string;
  readonly atUs: number;
}

/** A secure control plane, fake kubelets (ready 2 s after creation), the set's writes traced. */
function world(
  set: StatefulSet,
  controllers: ControllerName[] = ['statefulset'],
  featureGates: Record<string, boolean> = {},
) {
  const sim = controlPlane({ seed: 7, secure: true, apiServer: { featureGates } });
  startControllerManager(sim, { controllers, featureGates });
  const writes: PodWrite[] = [];
  sim.trace.addSink((line) => {
    const r = parseTraceRecord(line);
    if (r.k === 'statefulset.create-pod') writes.push({ op: 'create', pod: r.pod, atUs: r.t });
    if (r.k === 'statefulset.delete-pod')
      writes.push({ op: 'delete', pod: r.pod, reason: r.reason, atUs: r.t });
  });
  return {
    sim,
    writes,
    kubelets: new FakeKubelets(sim),
    monitor: new OrderingMonitor(sim, set, set.spec.ordinals?.start ?? 0),
    sets: watchKindAsAdmin(sim, 'StatefulSet', 'watch-sets'),
    claims: watchKindAsAdmin(sim, 'PersistentVolumeClaim', 'watch-claims'),
    revisions: watchKindAsAdmin(sim, 'ControllerRevision', 'watch-revisions'),
    events: watchKindAsAdmin(sim, 'Event', 'watch-events'),
  };
}

type World = ReturnType<typeof world>;

function readyCount(w: World, name = 'web'): number {
  return w.sets().get(`default/${name}`)?.status?.readyReplicas ?? -1;
}

function images(w: World): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of w.monitor.live()) out[p.metadata.name ?? ''] = p.spec.containers[0]?.image ?? '';
  return out;
}

function settled(w: World, replicas: number, name = 'web'): boolean {
  const s = w.sets().get(`default/${name}`)?.status;
  return (
    w.monitor.pods().length === replicas &&
    s?.readyReplicas === replicas &&
    s.updatedReplicas === replicas &&
    s.currentRevision === s.updateRevision
  );
}

describe('StatefulSet controller', () => {
  it('OrderedReady: creates web-0..2 one at a time, each after the previous is Running and Ready, with stable identities', async () => {
    const set = statefulSet('web', 3);
    const w = world(set);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, set);
      await waitFor(ports, () => settled(w, 3), 120_000_000, '3 ready');
    });
    expect(w.writes.map((x) => `${x.op} ${x.pod}`)).toEqual([
      'create web-0',
      'create web-1',
      'create web-2',
    ]);
    expect(w.monitor.created).toEqual([0, 1, 2]);
    expect(w.monitor.violations).toEqual([]);
    // Each create waits for the previous pod's readiness (the fake kubelets take 2 s).
    for (let i = 1; i < w.writes.length; i++)
      expect((w.writes[i]?.atUs ?? 0) - (w.writes[i - 1]?.atUs ?? 0)).toBeGreaterThanOrEqual(
        2_000_000,
      );
    for (const pod of w.monitor.pods()) {
      const name = pod.metadata.name ?? '';
      expect(pod.spec.hostname).toBe(name);
      expect(pod.spec.subdomain).toBe('web');
      expect(pod.metadata.labels?.[POD_NAME_LABEL]).toBe(name);
      expect(pod.metadata.labels?.[POD_INDEX_LABEL]).toBe(String(getOrdinal(pod)));
      expect(getControllerOf(pod)?.kind).toBe('StatefulSet');
    }
    const status = w.sets().get('default/web')?.status;
    expect(status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      observedGeneration: 1,
    });
    expect(status?.currentRevision).toMatch(/^web-[a-z0-9]+$/);
    const events = w
      .events()
      .list()
      .filter((e) => e.source?.component === 'statefulset-controller')
      .map((e) => `${e.reason}: ${e.message}`)
      .sort();
    expect(events).toEqual(
      [0, 1, 2].map((i) => `SuccessfulCreate: create Pod web-${i} in StatefulSet web successful`),
    );
    expect(
      w.monitor
        .pods()
        .every((p) => p.metadata.labels?.['controller-revision-hash'] === status?.currentRevision),
    ).toBe(true);
  });

  it('OrderedReady: scales down from the highest ordinal, one at a time', async () => {
    const set = statefulSet('web', 4);
    const w = world(set);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, set);
      await waitFor(ports, () => settled(w, 4), 120_000_000, '4 ready');
      await mustUpdate(ports, api, 'StatefulSet', 'default', 'web', (s) => ({
        ...s,
        spec: { ...s.spec, replicas: 1 },
      }));
      await waitFor(
        ports,
        () => w.monitor.pods().length === 1 && readyCount(w) === 1,
        120_000_000,
        'scaled down',
      );
    });
    const deletes = w.writes.filter((x) => x.op === 'delete');
    expect(deletes.map((x) => `${x.pod} ${x.reason}`)).toEqual([
      'web-3 scale-down',
      'web-2 scale-down',
      'web-1 scale-down',
    ]);
    expect(w.monitor.pods().map((p) => p.metadata.name)).toEqual(['web-0']);
  });

  it('Parallel: creates every pod without waiting for readiness', async () => {
    const set = statefulSet('web', 3, { podManagementPolicy: 'Parallel' });
    const w = world(set);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, set);
      await waitFor(ports, () => settled(w, 3), 120_000_000, '3 ready');
    });
    const creates = w.writes.filter((x) => x.op === 'create');
    expect(creates.map((x) => x.pod).sort()).toEqual(['web-0', 'web-1', 'web-2']);
    // All three went out before the first could be ready.
    const spanUs = (creates.at(-1)?.atUs ?? 0) - (creates[0]?.atUs ?? 0);
    expect(spanUs).toBeLessThan(2_000_000);
  });

  it('RollingUpdate replaces pods in reverse ordinal order down to the partition, then the rest when it is lowered', async () => {
    const set = statefulSet('web', 4, {
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } },
    });
    const w = world(set);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, set);
      await waitFor(ports, () => settled(w, 4), 120_000_000, '4 ready');
      await mustUpdate(ports, api, 'StatefulSet', 'default', 'web', (s) =>
        withSetImage(s, 'nginx:1.26'),
      );
      await waitFor(
        ports,
        () => w.sets().get('default/web')?.status?.updatedReplicas === 2 && readyCount(w) === 4,
        120_000_000,
        'partition reached',
      );
      await ports.clock.sleep(10_000_000);
      expect(images(w)).toEqual({
        'web-0': 'nginx:1.25',
        'web-1': 'nginx:1.25',
        'web-2': 'nginx:1.26',
        'web-3': 'nginx:1.26',
      });
      const status = w.sets().get('default/web')?.status;
      expect(status?.currentRevision).not.toBe(status?.updateRevision);
      expect(status?.currentReplicas).toBe(2);
      await mustUpdate(ports, api, 'StatefulSet', 'default', 'web', (s) => ({
        ...s,
        spec: {
          ...s.spec,
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        },
      }));
      await waitFor(ports, () => settled(w, 4), 120_000_000, 'rolled out');
    });
    const updates = w.writes.filter((x) => x.reason === 'update').map((x) => x.pod);
    expect(updates).toEqual(['web-3', 'web-2', 'web-1', 'web-0']);
    expect(Object.values(images(w))).toEqual(Array(4).fill('nginx:1.26'));
    expect(w.monitor.violations).toEqual([]);
  });

  describe('rollingUpdate.maxUnavailable (the MaxUnavailableStatefulSet gate)', () => {
    const rollOut = async (gates: Record<string, boolean>) => {
      const set = statefulSet('web', 5, {
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '40%' } },
      });
      const w = world(set, ['statefulset'], gates);
      let stored: StatefulSet | undefined;
      await runScript(w.sim, async (api, ports) => {
        stored = await mustCreate(ports, api, set);
        await waitFor(ports, () => settled(w, 5), 120_000_000, '5 ready');
        const before = w.sets().get('default/web')?.status?.currentRevision;
        await mustUpdate(ports, api, 'StatefulSet', 'default', 'web', (s) =>
          withSetImage(s, 'nginx:1.26'),
        );
        await waitFor(
          ports,
          () => settled(w, 5) && w.sets().get('default/web')?.status?.currentRevision !== before,
          240_000_000,
          'rolled out',
        );
      });
      expect(Object.values(images(w))).toEqual(Array(5).fill('nginx:1.26'));
      expect(w.monitor.violations).toEqual([]);
      // Deletions for the update, in rounds: the ones made before the next pod was created.
      const rounds: string[][] = [];
      let round: string[] = [];
      for (const x of w.writes.slice(5)) {
        if (x.op === 'delete') round.push(x.pod);
        else if (round.length > 0) {
          rounds.push(round);
          round = [];
        }
      }
      return { stored, rounds };
    };

    it('on: 40% of 5 replicas lets two pods be replaced at once, highest ordinals first', async () => {
      const { stored, rounds } = await rollOut({ MaxUnavailableStatefulSet: true });
      expect(stored?.spec.updateStrategy?.rollingUpdate?.maxUnavailable).toBe('40%');
      expect(rounds[0]).toEqual(['web-4', 'web-3']);
      expect(rounds.flat().sort()).toEqual(['web-0', 'web-1', 'web-2', 'web-3', 'web-4']);
      expect(Math.max(...rounds.map((r) => r.length))).toBe(2);
    });

    it('off (the default): the API server drops the field and pods go one at a time', async () => {
      const { stored, rounds } = await rollOut({});
      expect(stored?.spec.updateStrategy?.rollingUpdate).toEqual({ partition: 0 });
      expect(rounds).toEqual([['web-4'], ['web-3'], ['web-2'], ['web-1'], ['web-0']]);
    });
  });

  it('OnDelete: a template change replaces only the pods the user deletes', async () => {
    const set = statefulSet('web', 2, { updateStrategy: { type: 'OnDelete' } });
    const w = world(set);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, set);
      await waitFor(ports, () => settled(w, 2), 120_000_000, '2 ready');
      await mustUpdate(ports, api, 'StatefulSet', 'default', 'web', (s) =>
        withSetImage(s, 'nginx:1.26'),
      );
      await ports.clock.sleep(20_000_000);
      expect(images(w)).toEqual({ 'web-0': 'nginx:1.25', 'web-1': 'nginx:1.25' });
      await retry(ports, () => api.delete('Pod', 'default', 'web-1'));
      await waitFor(
        ports,
        () => images(w)['web-1'] === 'nginx:1.26' && readyCount(w) === 2,
        60_000_000,
        'web-1 replaced',
      );
    });
    expect(images(w)).toEqual({ 'web-0': 'nginx:1.25', 'web-1': 'nginx:1.26' });
    expect(w.writes.filter((x) => x.op === 'delete')).toEqual([]);
  });

  it('starts at spec.ordinals.start', async () => {
    const set = statefulSet('web', 2, { ordinals: { start: 5 } });
    const w = world(set);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, set);
      await waitFor(ports, () => settled(w, 2), 60_000_000, '2 ready');
    });
    expect(w.writes.map((x) => x.pod)).toEqual(['web-5', 'web-6']);
    expect(w.monitor.violations).toEqual([]);
  });

  it('creates a claim per template and ordinal; whenScaled Delete hands a scaled-down claim to its pod, and it goes with it', async () => {
    const set = statefulSet('db', 3, {
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    });
    // Claims carry the pvc-protection finalizer: its controller lets a deleted one go.
    const w = world(set, ['statefulset', 'garbagecollector', 'pvc-protection']);
    const claimNames = () =>
      w
        .claims()
        .list()
        .map((c) => c.metadata.name)
        .sort();
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, set);
      await waitFor(ports, () => settled(w, 3, 'db'), 120_000_000, '3 ready');
      expect(claimNames()).toEqual(['data-db-0', 'data-db-1', 'data-db-2']);
      for (const pod of w.monitor.pods()) {
        const v = pod.spec.volumes?.find((x) => x.name === 'data');
        expect(v?.persistentVolumeClaim?.claimName).toBe(`data-${pod.metadata.name}`);
      }
      const claim = w.claims().get('default/data-db-0');
      expect(claim?.metadata.labels).toEqual({ app: 'db' });
      expect(claim?.metadata.ownerReferences ?? []).toEqual([]);
      await mustUpdate(ports, api, 'StatefulSet', 'default', 'db', (s) => ({
        ...s,
        spec: { ...s.spec, replicas: 1 },
      }));
      await waitFor(
        ports,
        () => w.monitor.pods().length === 1 && claimNames().length === 1,
        300_000_000,
        'claims of scaled-down pods deleted',
      );
    });
    expect(claimNames()).toEqual(['data-db-0']);
  });

  it('keeps revisionHistoryLimit old revisions besides the live ones', async () => {
    const set = statefulSet('web', 1, { revisionHistoryLimit: 1 });
    const w = world(set);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, set);
      let previous = 'nginx:1.25';
      for (const tag of ['1.26', '1.27', '1.28']) {
        await waitFor(
          ports,
          () => settled(w, 1) && images(w)['web-0'] === previous,
          120_000_000,
          previous,
        );
        previous = `nginx:${tag}`;
        await mustUpdate(ports, api, 'StatefulSet', 'default', 'web', (s) =>
          withSetImage(s, previous),
        );
      }
      await waitFor(
        ports,
        () => settled(w, 1) && images(w)['web-0'] === 'nginx:1.28',
        120_000_000,
        'last update',
      );
      await ports.clock.sleep(5_000_000);
    });
    const revisions = w
      .revisions()
      .list()
      .sort((a, b) => a.revision - b.revision);
    expect(revisions.map((r) => r.revision)).toEqual([3, 4]);
    expect(revisions.at(-1)?.metadata.name).toBe(
      w.sets().get('default/web')?.status?.updateRevision,
    );
  });
});
