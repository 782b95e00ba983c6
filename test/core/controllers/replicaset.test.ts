import { describe, expect, it } from 'vitest';
import { getCondition } from '../../../core/api/conditions.ts';
import { getControllerOf } from '../../../core/api/meta.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import { formatTime } from '../../../core/api/time.ts';
import { parseTraceRecord } from '../../../core/trace/index.ts';
import { DEFAULT_LINK, DEFAULT_NETWORK } from '../../../sim/network.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { mustCreate, mustUpdate, PodMonitor, replicaSet, retry, waitFor } from './harness.ts';

const lossy = (lossProbability: number) => ({
  ...DEFAULT_NETWORK,
  link: { ...DEFAULT_LINK, lossProbability },
});

function markReady(pod: Pod, nowUs: number): Pod {
  const iso = formatTime(nowUs);
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: iso },
        { type: 'Ready', status: 'True', lastTransitionTime: iso },
      ],
    },
  };
}

describe('ReplicaSet controller', () => {
  it('creates exactly the requested pods, owned by the ReplicaSet', async () => {
    const sim = controlPlane({ seed: 1 });
    startControllerManager(sim, { controllers: ['replicaset'] });
    const monitor = new PodMonitor(sim);
    const creates: unknown[] = [];
    sim.trace.addSink((line) => {
      const r = parseTraceRecord(line);
      if (r.k === 'rs.create-pods') creates.push({ rs: r.rs, count: r.count });
    });
    let rsUid = '';
    let tookUs = 0;
    await runScript(sim, async (api, ports) => {
      const rs = await mustCreate(ports, api, replicaSet('web', 5));
      rsUid = rs.metadata.uid ?? '';
      tookUs = await waitFor(
        ports,
        () => monitor.activeOf('web').length === 5,
        60_000_000,
        '5 pods',
        1_000,
      );
      expect(tookUs, 'well under a second of virtual time').toBeLessThanOrEqual(1_000_000);
      await ports.clock.sleep(10_000_000);
    });
    const pods = monitor.activeOf('web');
    expect(pods).toHaveLength(5);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(pod.metadata.labels).toEqual({ app: 'web', tier: 'web' });
      expect(pod.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: rsUid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(getControllerOf(pod)?.uid).toBe(rsUid);
    }
    expect(monitor.maxActive.get('web')).toBe(5);
    expect(monitor.everSeen.get('web')?.size).toBe(5);
    expect(creates).toEqual([{ rs: 'default/web', count: 5 }]);
  });

  /**
   * 200 seeds of a ReplicaSet of 5 under 10% loss on every link (the API server's store traffic
   * too), with the API server crashed for 15 s while the first creates are in flight. One run per
   * seed feeds both checks below.
   *
   * Why a run can briefly hold a sixth pod: a create whose request timed out at the controller
   * (10 s) can still be in progress at the API server (its own store requests time out after
   * 5 s and are retried), so the controller's list of the live pods, taken to resolve the
   * uncertain create, misses a pod that is stored a moment later; the next sync sees six and
   * deletes one. Upstream's controller has the same window (it lowers its expectations for a
   * failed create and never even lists). So the safety property is: pods beyond five appear only
   * after a create whose outcome the controller did not know, and the controller deletes every
   * one of them.
   */
  const seeds = Array.from({ length: 200 }, (_, i) => i + 1);
  let runs: Promise<CrashRun[]> | undefined;
  const crashRuns = (): Promise<CrashRun[]> => (runs ??= runSequentially(seeds, crashRun));

  it('under loss and an API server crash, pods beyond the fifth come only from creates of unknown outcome and are deleted (200 seeds)', async () => {
    const problems: string[] = [];
    for (const r of await crashRuns()) {
      const at = `seed ${r.seed}`;
      if (r.finalActive !== 5) problems.push(`${at}: ${r.finalActive} active pods at the end`);
      if (r.firstAboveUs !== undefined) {
        if (r.firstUnknownCreateUs === undefined || r.firstUnknownCreateUs > r.firstAboveUs)
          problems.push(
            `${at}: more than 5 pods at ${r.firstAboveUs}us, no create timed out before`,
          );
      }
      // Nothing else deletes pods here, so the pods beyond five that are gone were the
      // controller's victims; it may have chosen more (a delete of unknown outcome that did
      // not happen, then another victim: seed 171), never fewer.
      if (r.everSeen - 5 > r.deletedByController)
        problems.push(
          `${at}: ${r.everSeen} pods created, ${r.deletedByController} chosen for deletion by the controller`,
        );
    }
    expect(problems).toEqual([]);
    // The check above is only as good as its view of unknown outcomes: some runs must have them.
    expect((await crashRuns()).some((r) => r.firstUnknownCreateUs !== undefined)).toBe(true);
  }, 600_000);

  it('under loss and an API server crash, converges to 5 pods within 15 min of the restart (200 seeds)', async () => {
    // Measured over seeds 1-300: p50 26 s, p90 69 s, p99 134 s, then 167 s and 808 s (seed 244). The tail is
    // the work queue's per-key exponential backoff (5 ms doubling to 1000 s, as upstream's
    // DefaultControllerRateLimiter) after consecutive failed syncs: with 10% loss on each hop,
    // about a third of the API server's creates fail. Not the expectations' 5 min timeout: the
    // controller resolves an uncertain create by listing the live pods instead of waiting.
    const slow = (await crashRuns()).filter((r) => r.convergedUs > 900_000_000);
    expect(slow.map((r) => `seed ${r.seed}: ${r.convergedUs}us`)).toEqual([]);
  }, 600_000);

  it('scales up 5 -> 8 and down 8 -> 3, deleting unscheduled pods before scheduled ones', async () => {
    const sim = controlPlane({ seed: 3 });
    startControllerManager(sim, { controllers: ['replicaset'] });
    const monitor = new PodMonitor(sim);
    let survivors: string[] = [];
    let bound: string[] = [];
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, replicaSet('web', 5));
      await waitFor(ports, () => monitor.activeOf('web').length === 5, 60_000_000, '5 pods');
      await mustUpdate(ports, api, 'ReplicaSet', 'default', 'web', (rs) => ({
        ...rs,
        spec: { ...rs.spec, replicas: 8 },
      }));
      const upUs = await waitFor(
        ports,
        () => monitor.activeOf('web').length === 8,
        60_000_000,
        '8 pods',
        1_000,
      );
      expect(upUs, 'scaling shows within a second').toBeLessThanOrEqual(1_000_000);
      // Bind three of the pods (as a scheduler would); the other five stay Pending and unassigned.
      bound = monitor
        .activeOf('web')
        .map((p) => p.metadata.name ?? '')
        .sort()
        .slice(0, 3);
      for (const name of bound) await retry(ports, () => api.bind('default', name, 'node-a'));
      await waitFor(
        ports,
        () => monitor.activeOf('web').filter((p) => p.spec.nodeName).length === 3,
        10_000_000,
        'bindings',
      );
      await mustUpdate(ports, api, 'ReplicaSet', 'default', 'web', (rs) => ({
        ...rs,
        spec: { ...rs.spec, replicas: 3 },
      }));
      const downUs = await waitFor(
        ports,
        () => monitor.activeOf('web').length === 3,
        60_000_000,
        '3 pods',
        1_000,
      );
      expect(downUs, 'scaling shows within a second').toBeLessThanOrEqual(1_000_000);
      await ports.clock.sleep(5_000_000);
      survivors = monitor
        .activeOf('web')
        .map((p) => p.metadata.name ?? '')
        .sort();
    });
    expect(monitor.maxActive.get('web')).toBe(8);
    expect(survivors).toEqual(bound);
  });

  it('adopts matching orphans and releases pods whose labels stop matching', async () => {
    const sim = controlPlane({ seed: 6 });
    startControllerManager(sim, { controllers: ['replicaset'] });
    const monitor = new PodMonitor(sim);
    let orphanOwner: string | undefined;
    let released: Pod | undefined;
    await runScript(sim, async (api, ports) => {
      const orphan = replicaSet('web', 1).spec.template;
      await mustCreate(ports, api, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'stray', namespace: 'default', labels: { app: 'web' } },
        spec: orphan?.spec ?? { containers: [] },
      } as Pod);
      const rs = await mustCreate(ports, api, replicaSet('web', 3));
      await waitFor(ports, () => monitor.activeOf('web').length === 3, 60_000_000, '3 pods');
      await ports.clock.sleep(2_000_000);
      const stray = monitor.informer?.get('default/stray');
      orphanOwner = getControllerOf(stray as Pod)?.uid === rs.metadata.uid ? 'web' : undefined;
      const victim =
        monitor.activeOf('web').find((p) => p.metadata.name !== 'stray')?.metadata.name ?? '';
      await mustUpdate(ports, api, 'Pod', 'default', victim, (p) => ({
        ...p,
        metadata: { ...p.metadata, labels: { app: 'other' } },
      }));
      await waitFor(
        ports,
        () =>
          monitor.activeOf('web').length === 3 &&
          !monitor.activeOf('web').some((p) => p.metadata.name === victim),
        60_000_000,
        'release and replacement',
      );
      released = monitor.informer?.get(`default/${victim}`);
    });
    expect(orphanOwner).toBe('web');
    expect(monitor.everSeen.get('web')?.size).toBe(4);
    expect(released?.metadata.ownerReferences ?? []).toEqual([]);
  });

  it('replaces a deleted pod', async () => {
    const sim = controlPlane({ seed: 4 });
    startControllerManager(sim, { controllers: ['replicaset'] });
    const monitor = new PodMonitor(sim);
    let before: string[] = [];
    let after: string[] = [];
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, replicaSet('web', 3));
      await waitFor(ports, () => monitor.activeOf('web').length === 3, 60_000_000, '3 pods');
      before = monitor.activeOf('web').map((p) => p.metadata.name ?? '');
      const victim = before[0] ?? '';
      await retry(ports, () => api.delete('Pod', 'default', victim));
      const tookUs = await waitFor(
        ports,
        () =>
          monitor.activeOf('web').length === 3 &&
          !monitor.activeOf('web').some((p) => p.metadata.name === victim),
        60_000_000,
        'a replacement',
        1_000,
      );
      expect(tookUs, 'well under a second of virtual time').toBeLessThanOrEqual(1_000_000);
      after = monitor.activeOf('web').map((p) => p.metadata.name ?? '');
    });
    expect(after).toHaveLength(3);
    expect(after).not.toContain(before[0]);
    expect(after.filter((n) => before.includes(n))).toHaveLength(2);
    expect(monitor.everSeen.get('web')?.size).toBe(4);
  });

  it('reports replicas, fullyLabeled, ready and available (after minReadySeconds) and observedGeneration', async () => {
    const sim = controlPlane({ seed: 5 });
    startControllerManager(sim, { controllers: ['replicaset'] });
    const monitor = new PodMonitor(sim);
    const snapshots: Record<string, ReplicaSet['status']> = {};
    let generation = 0;
    let availableAfterUs = 0;
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, replicaSet('web', 4, { minReadySeconds: 10 }));
      await waitFor(ports, () => monitor.activeOf('web').length === 4, 60_000_000, '4 pods');
      const getRs = async (): Promise<ReplicaSet> => {
        const r = await retry(ports, () => api.get('ReplicaSet', 'default', 'web'));
        if (!r.ok) throw new Error('get rs');
        return r.value;
      };
      await ports.clock.sleep(1_000_000);
      snapshots.created = (await getRs()).status;
      // One pod loses the template's extra label: still selected, no longer fully labeled.
      const pods = monitor.activeOf('web');
      const relabeled = pods[3]?.metadata.name ?? '';
      await mustUpdate(ports, api, 'Pod', 'default', relabeled, (p) => ({
        ...p,
        metadata: { ...p.metadata, labels: { app: 'web' } },
      }));
      // Three pods become ready now.
      const readyAtUs = ports.clock.now();
      for (const pod of pods.slice(0, 3)) {
        await mustUpdate(
          ports,
          api,
          'Pod',
          'default',
          pod.metadata.name ?? '',
          (p) => markReady(p, ports.clock.now()),
          true,
        );
      }
      await ports.clock.sleep(2_000_000);
      snapshots.ready = (await getRs()).status;
      let rs = await getRs();
      availableAfterUs = 0;
      while ((rs.status?.availableReplicas ?? 0) < 3) {
        await ports.clock.sleep(100_000);
        rs = await getRs();
      }
      availableAfterUs = ports.clock.now() - readyAtUs;
      snapshots.available = rs.status;
      await mustUpdate(ports, api, 'ReplicaSet', 'default', 'web', (r) => ({
        ...r,
        spec: { ...r.spec, minReadySeconds: 5 },
      }));
      await ports.clock.sleep(2_000_000);
      rs = await getRs();
      generation = rs.metadata.generation ?? 0;
      snapshots.regenerated = rs.status;
    });
    expect(snapshots.created).toMatchObject({
      replicas: 4,
      fullyLabeledReplicas: 4,
      readyReplicas: 0,
      availableReplicas: 0,
      observedGeneration: 1,
    });
    expect(snapshots.ready).toMatchObject({
      replicas: 4,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 0,
    });
    expect(snapshots.available).toMatchObject({
      replicas: 4,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(generation).toBe(2);
    expect(snapshots.regenerated?.observedGeneration).toBe(2);
    expect(getCondition(snapshots.available?.conditions, 'ReplicaFailure')).toBeUndefined();
    // minReadySeconds is 10 s; Ready times have one-second resolution, availability is strict.
    expect(availableAfterUs).toBeGreaterThan(10_000_000);
    expect(availableAfterUs).toBeLessThan(13_000_000);
  });
});

interface CrashRun {
  readonly seed: number;
  readonly convergedUs: number;
  readonly finalActive: number;
  readonly everSeen: number;
  readonly firstAboveUs: number | undefined;
  readonly firstUnknownCreateUs: number | undefined;
  readonly deletedByController: number;
}

async function runSequentially<T>(seeds: readonly number[], run: (seed: number) => Promise<T>) {
  const out: T[] = [];
  for (const seed of seeds) out.push(await run(seed));
  return out;
}

async function crashRun(seed: number): Promise<CrashRun> {
  // Debug level: the controller's sync errors (rs.sync-error) are debug records.
  const sim = controlPlane({ seed, network: lossy(0.1), traceLevel: 'debug' });
  let firstUnknownCreateUs: number | undefined;
  // Distinct pods: a delete whose answer was lost is sent again for the same pod.
  const deletedByController = new Set<string>();
  sim.trace.addSink((line) => {
    const r = parseTraceRecord(line);
    if (r.k === 'rs.delete-pods') for (const pod of r.pods) deletedByController.add(pod);
    // Unknown outcomes: the client's own timeout (504), or the API server's ServerTimeout (500)
    // when its store requests timed out, though the store may have committed the pod (seed 103).
    if (r.k === 'rs.sync-error' && /create pod .*: (504 |500 ServerTimeout)/.test(r.error))
      firstUnknownCreateUs ??= r.t;
  });
  startControllerManager(sim, { controllers: ['replicaset'] });
  const monitor = new PodMonitor(sim, 'monitor', 5);
  let convergedUs = Infinity;
  await runScript(
    sim,
    async (api, ports) => {
      await mustCreate(ports, api, replicaSet('web', 5));
      // Crash while the creates are in flight (the first pod is out, the slow-start batches are
      // not), and stay down past the client's 10 s request timeout.
      await waitFor(
        ports,
        () => monitor.activeOf('web').length > 0,
        600_000_000,
        'the first pod',
        100,
      );
      await ports.clock.sleep((seed % 4) * 700);
      sim.crash('apiserver');
      await ports.clock.sleep(15_000_000);
      sim.restart('apiserver');
      convergedUs = await waitFor(
        ports,
        () => monitor.activeOf('web').length === 5,
        1_800_000_000,
        '5 pods',
      );
      // A create of unknown outcome can still land after that (seed 192: answered 30 s after it
      // was sent, while the controller had already replaced it), and its deletion can take a
      // few timeouts of its own: the end state is 5 pods once the controller has caught up.
      await ports.clock.sleep(60_000_000);
      await waitFor(
        ports,
        () => monitor.activeOf('web').length === 5,
        900_000_000,
        '5 pods after the last stray create',
      );
    },
    { deadlineUs: 3_000_000_000 },
  );
  return {
    seed,
    convergedUs,
    finalActive: monitor.activeOf('web').length,
    everSeen: monitor.everSeen.get('web')?.size ?? 0,
    firstAboveUs: monitor.firstAboveUs.get('web'),
    firstUnknownCreateUs,
    deletedByController: deletedByController.size,
  };
}
