import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../core/api/kinds/deployment.ts';
import { getControllerOf } from '../../../core/api/meta.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import {
  REVISION_ANNOTATION,
  ROLLBACK_TO_ANNOTATION,
} from '../../../core/controllers/deployment/annotations.ts';
import { POD_TEMPLATE_HASH_LABEL } from '../../../core/controllers/deployment/pod-template-hash.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { parseTraceRecord } from '../../../core/trace/index.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { mustCreate, mustUpdate, waitFor } from './harness.ts';
import {
  deployment,
  FakeKubelets,
  RolloutMonitor,
  watchKindAsAdmin,
  withImage,
} from './workloads.ts';

const CONTROLLERS = { controllers: ['replicaset', 'deployment'] as const };

interface World {
  readonly sim: Simulation;
  readonly kubelets: FakeKubelets;
  readonly monitor: RolloutMonitor;
  readonly deployments: () => { get(key: string): Deployment | undefined };
  readonly replicaSets: () => { list(): ReplicaSet[] };
  readonly scales: { rs: string; from: number; to: number; atUs: number }[];
}

/** A secure control plane (RBAC checks the controllers' service accounts), fake kubelets. */
function world(seed: number, app = 'web'): World {
  const sim = controlPlane({ seed, secure: true });
  startControllerManager(sim, { controllers: [...CONTROLLERS.controllers] });
  const scales: World['scales'] = [];
  sim.trace.addSink((line) => {
    const r = parseTraceRecord(line);
    if (r.k === 'deployment.scale') scales.push({ rs: r.rs, from: r.from, to: r.to, atUs: r.t });
  });
  return {
    sim,
    kubelets: new FakeKubelets(sim),
    monitor: new RolloutMonitor(sim, app),
    deployments: watchKindAsAdmin(sim, 'Deployment', 'watch-deployments'),
    replicaSets: watchKindAsAdmin(sim, 'ReplicaSet', 'watch-replicasets'),
    scales,
  };
}

function ownedBy(w: World, name: string): ReplicaSet[] {
  return w
    .replicaSets()
    .list()
    .filter((rs) => getControllerOf(rs)?.name === name);
}

function rolledOut(w: World, name: string, image: string, replicas: number): boolean {
  const d = w.deployments().get(`default/${name}`);
  const s = d?.status;
  const active = w.monitor.active();
  return (
    d !== undefined &&
    s !== undefined &&
    s.observedGeneration === d.metadata.generation &&
    s.updatedReplicas === replicas &&
    s.availableReplicas === replicas &&
    s.replicas === replicas &&
    active.length === replicas &&
    active.every((p) => p.spec.containers[0]?.image === image) &&
    w.monitor.available() === replicas
  );
}

async function setImage(ports: ProcessPorts, api: ApiClient, name: string, image: string) {
  await mustUpdate(ports, api, 'Deployment', 'default', name, (d) => withImage(d, image));
}

describe('Deployment controller', () => {
  it('rolls out a new template within maxSurge and maxUnavailable (25% of 10: 3 and 2)', async () => {
    const w = world(1);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, deployment('web', 10));
      await waitFor(
        ports,
        () => rolledOut(w, 'web', 'nginx:1.25', 10),
        120_000_000,
        'first rollout',
      );
      w.monitor.watching = true;
      await setImage(ports, api, 'web', 'nginx:1.26');
      await waitFor(ports, () => rolledOut(w, 'web', 'nginx:1.26', 10), 300_000_000, 'update');
      w.monitor.watching = false;
    });
    expect(w.monitor.maxActive).toBeLessThanOrEqual(13);
    expect(w.monitor.minAvailable).toBeGreaterThanOrEqual(8);
    // The bounds were reached: the rollout used its whole budget.
    expect(w.monitor.maxActive).toBe(13);
    expect(w.monitor.minAvailable).toBe(8);
    const rss = ownedBy(w, 'web').sort(
      (a, b) =>
        Number(a.metadata.annotations?.[REVISION_ANNOTATION]) -
        Number(b.metadata.annotations?.[REVISION_ANNOTATION]),
    );
    expect(
      rss.map((rs) => [rs.metadata.annotations?.[REVISION_ANNOTATION], rs.spec.replicas]),
    ).toEqual([
      ['1', 0],
      ['2', 10],
    ]);
    for (const rs of rss) {
      const hash = rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';
      expect(rs.metadata.name).toBe(`web-${hash}`);
      expect(rs.spec.selector.matchLabels).toEqual({ app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
    }
    const d = w.deployments().get('default/web');
    expect(d?.metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');
    const conditions = Object.fromEntries(
      (d?.status?.conditions ?? []).map((c) => [c.type, c.reason]),
    );
    expect(conditions).toEqual({
      Available: 'MinimumReplicasAvailable',
      Progressing: 'NewReplicaSetAvailable',
    });
    // The first rollout scaled the new ReplicaSet up; the update alternated up and down steps.
    const steps = w.scales.filter((s) => s.rs !== `default/${rss[0]?.metadata.name}`);
    expect(steps.length).toBeGreaterThan(1);
  });

  it('Recreate: no new pod before every old pod is gone', async () => {
    const w = world(2);
    let overlap = false;
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, deployment('web', 4, { strategy: { type: 'Recreate' } }));
      await waitFor(
        ports,
        () => rolledOut(w, 'web', 'nginx:1.25', 4),
        120_000_000,
        'first rollout',
      );
      await setImage(ports, api, 'web', 'nginx:1.26');
      await waitFor(
        ports,
        () => {
          const images = new Set(w.monitor.pods().map((p) => p.spec.containers[0]?.image));
          if (images.size > 1) overlap = true;
          return rolledOut(w, 'web', 'nginx:1.26', 4);
        },
        300_000_000,
        'recreate',
        10_000,
      );
    });
    expect(overlap).toBe(false);
    expect(w.monitor.history.some((h) => h.active === 0)).toBe(true);
  });

  it('rolls back to the previous revision through the rollback annotation', async () => {
    const w = world(3);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, deployment('web', 3));
      await waitFor(ports, () => rolledOut(w, 'web', 'nginx:1.25', 3), 120_000_000, 'v1');
      await setImage(ports, api, 'web', 'nginx:1.26');
      await waitFor(ports, () => rolledOut(w, 'web', 'nginx:1.26', 3), 300_000_000, 'v2');
      await mustUpdate(ports, api, 'Deployment', 'default', 'web', (d) => ({
        ...d,
        metadata: {
          ...d.metadata,
          annotations: { ...d.metadata.annotations, [ROLLBACK_TO_ANNOTATION]: '0' },
        },
      }));
      await waitFor(ports, () => rolledOut(w, 'web', 'nginx:1.25', 3), 300_000_000, 'rollback');
    });
    const d = w.deployments().get('default/web');
    expect(d?.metadata.annotations?.[ROLLBACK_TO_ANNOTATION]).toBeUndefined();
    expect(d?.spec.template.metadata?.labels).toEqual({ app: 'web' });
    // The old ReplicaSet came back as revision 3 rather than a new ReplicaSet being made.
    const rss = ownedBy(w, 'web');
    expect(rss).toHaveLength(2);
    const back = rss.find((rs) => rs.spec.template?.spec?.containers[0]?.image === 'nginx:1.25');
    expect(back?.metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
    expect(d?.metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
  });

  it('paused: a template change waits for resume, a resize does not', async () => {
    const w = world(4);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, deployment('web', 2));
      await waitFor(ports, () => rolledOut(w, 'web', 'nginx:1.25', 2), 120_000_000, 'v1');
      await mustUpdate(ports, api, 'Deployment', 'default', 'web', (d) =>
        withImage({ ...d, spec: { ...d.spec, paused: true } }, 'nginx:1.26'),
      );
      await waitFor(
        ports,
        () =>
          w
            .deployments()
            .get('default/web')
            ?.status?.conditions?.some(
              (c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused',
            ) === true,
        60_000_000,
        'paused condition',
      );
      await ports.clock.sleep(30_000_000);
      expect(ownedBy(w, 'web')).toHaveLength(1);
      await mustUpdate(ports, api, 'Deployment', 'default', 'web', (d) => ({
        ...d,
        spec: { ...d.spec, replicas: 4 },
      }));
      // Paused with a changed template there is no new ReplicaSet: the old one takes the resize.
      await waitFor(
        ports,
        () =>
          w.monitor.available() === 4 &&
          w.deployments().get('default/web')?.status?.availableReplicas === 4,
        120_000_000,
        'resize',
      );
      expect(w.deployments().get('default/web')?.status?.updatedReplicas).toBe(0);
      expect(ownedBy(w, 'web')).toHaveLength(1);
      await mustUpdate(ports, api, 'Deployment', 'default', 'web', (d) => ({
        ...d,
        spec: { ...d.spec, paused: false },
      }));
      await waitFor(ports, () => rolledOut(w, 'web', 'nginx:1.26', 4), 300_000_000, 'resumed');
    });
    expect(ownedBy(w, 'web')).toHaveLength(2);
  });

  it('reports ProgressDeadlineExceeded when new pods never become ready, and keeps the old ones', async () => {
    const w = world(5);
    w.kubelets.accept = (pod) => pod.spec.containers[0]?.image !== 'broken:1';
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, deployment('web', 4, { progressDeadlineSeconds: 30 }));
      await waitFor(ports, () => rolledOut(w, 'web', 'nginx:1.25', 4), 120_000_000, 'v1');
      const before = ports.clock.now();
      await setImage(ports, api, 'web', 'broken:1');
      const waited = await waitFor(
        ports,
        () =>
          w
            .deployments()
            .get('default/web')
            ?.status?.conditions?.some(
              (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
            ) === true,
        120_000_000,
        'deadline exceeded',
      );
      // The deadline counts from the last progress, in whole seconds; the check comes 1 s late.
      expect(ports.clock.now() - before).toBeGreaterThanOrEqual(30_000_000);
      expect(waited).toBeLessThan(35_000_000);
    });
    const d = w.deployments().get('default/web');
    const progressing = d?.status?.conditions?.find((c) => c.type === 'Progressing');
    expect(progressing?.status).toBe('False');
    expect(progressing?.message).toMatch(
      /^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/,
    );
    // maxUnavailable 25% of 4 is 1: three old pods stay available.
    expect(w.monitor.available()).toBe(3);
  });

  it('keeps revisionHistoryLimit old ReplicaSets; a restart annotation makes a new revision', async () => {
    const w = world(6);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, deployment('web', 2, { revisionHistoryLimit: 1 }));
      await waitFor(ports, () => rolledOut(w, 'web', 'nginx:1.25', 2), 120_000_000, 'v1');
      for (const image of ['nginx:1.26', 'nginx:1.27']) {
        await setImage(ports, api, 'web', image);
        await waitFor(ports, () => rolledOut(w, 'web', image, 2), 300_000_000, image);
      }
      // kubectl rollout restart: a template annotation, so a new pod-template-hash.
      await mustUpdate(ports, api, 'Deployment', 'default', 'web', (d) => ({
        ...d,
        spec: {
          ...d.spec,
          template: {
            ...d.spec.template,
            metadata: {
              ...d.spec.template.metadata,
              annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:05:00Z' },
            },
          },
        },
      }));
      await waitFor(
        ports,
        () =>
          rolledOut(w, 'web', 'nginx:1.27', 2) &&
          w.monitor
            .active()
            .every(
              (p) => p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'] !== undefined,
            ),
        300_000_000,
        'restart',
      );
      await ports.clock.sleep(5_000_000);
    });
    const revisions = ownedBy(w, 'web')
      .map((rs) => rs.metadata.annotations?.[REVISION_ANNOTATION])
      .sort();
    expect(revisions).toEqual(['3', '4']);
  });
});
