import { describe, expect, it } from 'vitest';
import type { DaemonSet } from '../../../core/api/kinds/daemon-set.ts';
import { getControllerOf, isBeingDeleted } from '../../../core/api/meta.ts';
import { isPodReady } from '../../../core/api/pod-helpers.ts';
import { daemonPodTolerations } from '../../../core/controllers/daemon/daemon-set-util.ts';
import { parseTraceRecord } from '../../../core/trace/validate.ts';
import {
  controlPlane,
  runScript,
  spawnNode,
  startControllerManager,
  startScheduler,
} from '../../support/cluster.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { mustCreate, mustUpdate, waitFor } from './harness.ts';
import { RolloutMonitor, watchKindAsAdmin } from './workloads.ts';

function daemonSet(
  name: string,
  spec: Partial<DaemonSet['spec']> = {},
  image = 'busybox:1.36',
): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'agent', image }] },
      },
      ...spec,
    },
  };
}

function withDsImage(ds: DaemonSet, image: string): DaemonSet {
  const spec = ds.spec.template.spec;
  return {
    ...ds,
    spec: {
      ...ds.spec,
      template: {
        ...ds.spec.template,
        spec: { ...spec, containers: spec.containers.map((c) => ({ ...c, image })) },
      },
    },
  };
}

let nextSubnet = 1;

function addNode(sim: Simulation, name: string, labels: Record<string, string> = {}): void {
  const n = nextSubnet++;
  spawnNode(sim, { name, kubelet: { podCIDR: `10.244.${n}.0/24`, labels } });
}

/** A secure control plane with a scheduler, the DaemonSet controller and real nodes. */
function world(seed = 3) {
  const sim = controlPlane({ seed, secure: true });
  startScheduler(sim);
  startControllerManager(sim, { controllers: ['daemonset'] });
  const creates: string[][] = [];
  const deletes: string[][] = [];
  /** Creates and deletes in the order they happened. */
  const steps: string[] = [];
  sim.trace.addSink((line) => {
    const r = parseTraceRecord(line);
    if (r.k === 'daemonset.create-pods') {
      creates.push([...r.nodes]);
      steps.push(`create ${r.nodes.join(',')}`);
    }
    if (r.k === 'daemonset.delete-pods') {
      deletes.push([...r.pods]);
      steps.push(`delete ${r.pods.length}`);
    }
  });
  return {
    sim,
    creates,
    deletes,
    steps,
    monitor: new RolloutMonitor(sim, 'agent'),
    sets: watchKindAsAdmin(sim, 'DaemonSet', 'watch-daemonsets'),
    events: watchKindAsAdmin(sim, 'Event', 'watch-events'),
  };
}

type World = ReturnType<typeof world>;

/** Node name -> the node's live daemon pods. */
function placement(w: World): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of w.monitor.pods()) {
    if (isBeingDeleted(p) || p.status?.phase !== 'Running' || !p.spec.nodeName) continue;
    out[p.spec.nodeName] = (out[p.spec.nodeName] ?? 0) + 1;
  }
  return out;
}

function onNodes(w: World, nodes: readonly string[]): boolean {
  const live = w.monitor.pods().filter((p) => !isBeingDeleted(p));
  const placed = placement(w);
  return (
    live.length === nodes.length &&
    JSON.stringify(Object.keys(placed).sort()) === JSON.stringify([...nodes].sort()) &&
    Object.values(placed).every((n) => n === 1) &&
    live.every(isPodReady)
  );
}

function statusOf(w: World) {
  return w.sets().get('default/agent')?.status;
}

describe('DaemonSet controller', () => {
  it('runs one pod per node, placed by the scheduler through a node-name affinity, with the daemon tolerations', async () => {
    nextSubnet = 1;
    const w = world();
    for (const n of ['node-1', 'node-2', 'node-3']) addNode(w.sim, n);
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5_000_000);
      await mustCreate(ports, api, daemonSet('agent'));
      await waitFor(ports, () => onNodes(w, ['node-1', 'node-2', 'node-3']), 120_000_000, '3 pods');
      await waitFor(ports, () => statusOf(w)?.numberAvailable === 3, 30_000_000, 'status');
    });
    expect(w.creates.flat().sort()).toEqual(['node-1', 'node-2', 'node-3']);
    const created = w
      .events()
      .list()
      .filter((e) => e.source?.component === 'daemonset-controller')
      .map((e) => `${e.reason}: ${e.message}`)
      .sort();
    expect(created).toEqual(
      w.monitor
        .pods()
        .map((p) => `SuccessfulCreate: Created pod: ${p.metadata.name}`)
        .sort(),
    );
    for (const pod of w.monitor.pods()) {
      const terms =
        pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
          ?.nodeSelectorTerms;
      expect(terms).toEqual([
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [pod.spec.nodeName] }] },
      ]);
      // The table in daemonset-util.test.ts says which these are.
      expect(pod.spec.tolerations).toEqual(daemonPodTolerations({ containers: [] }));
      expect(getControllerOf(pod)?.kind).toBe('DaemonSet');
      expect(pod.metadata.labels?.['controller-revision-hash']).toMatch(/^[a-z0-9]+$/);
    }
    expect(statusOf(w)).toMatchObject({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      numberReady: 3,
      numberAvailable: 3,
      updatedNumberScheduled: 3,
      numberMisscheduled: 0,
      observedGeneration: 1,
    });
  });

  it('gives a node added later its pod, and takes the pod off a node whose label stops matching', async () => {
    nextSubnet = 1;
    const w = world();
    addNode(w.sim, 'node-1', { role: 'agent' });
    addNode(w.sim, 'node-2', { role: 'agent' });
    addNode(w.sim, 'node-3');
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5_000_000);
      await mustCreate(ports, api, daemonSet('agent', {}));
      await mustUpdate(ports, api, 'DaemonSet', 'default', 'agent', (ds) => ({
        ...ds,
        spec: {
          ...ds.spec,
          template: {
            ...ds.spec.template,
            spec: { ...ds.spec.template.spec, nodeSelector: { role: 'agent' } },
          },
        },
      }));
      await waitFor(ports, () => onNodes(w, ['node-1', 'node-2']), 120_000_000, '2 pods');
      addNode(w.sim, 'node-4', { role: 'agent' });
      await waitFor(ports, () => onNodes(w, ['node-1', 'node-2', 'node-4']), 120_000_000, 'node-4');
      await mustUpdate(ports, api, 'Node', undefined, 'node-2', (n) => ({
        ...n,
        metadata: { ...n.metadata, labels: { ...n.metadata.labels, role: 'other' } },
      }));
      await waitFor(ports, () => onNodes(w, ['node-1', 'node-4']), 120_000_000, 'off node-2');
      await waitFor(
        ports,
        () => statusOf(w)?.desiredNumberScheduled === 2 && statusOf(w)?.numberMisscheduled === 0,
        60_000_000,
        'status',
      );
    });
    expect(statusOf(w)).toMatchObject({ desiredNumberScheduled: 2, numberMisscheduled: 0 });
  });

  it('places its pod on a cordoned node, and none on a node with a NoSchedule taint it does not tolerate', async () => {
    nextSubnet = 1;
    const w = world();
    addNode(w.sim, 'node-1');
    addNode(w.sim, 'node-2');
    addNode(w.sim, 'node-3');
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5_000_000);
      await mustUpdate(ports, api, 'Node', undefined, 'node-1', (n) => ({
        ...n,
        spec: { ...n.spec, unschedulable: true },
      }));
      await mustUpdate(ports, api, 'Node', undefined, 'node-3', (n) => ({
        ...n,
        spec: { ...n.spec, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
      }));
      await mustCreate(ports, api, daemonSet('agent'));
      await waitFor(ports, () => onNodes(w, ['node-1', 'node-2']), 120_000_000, 'pods');
      await ports.clock.sleep(10_000_000);
    });
    expect(placement(w)).toEqual({ 'node-1': 1, 'node-2': 1 });
  });

  it('RollingUpdate replaces pods one node at a time (maxUnavailable 1); OnDelete replaces none', async () => {
    nextSubnet = 1;
    const w = world();
    for (const n of ['node-1', 'node-2', 'node-3']) addNode(w.sim, n);
    const image = () => w.monitor.active().map((p) => p.spec.containers[0]?.image);
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5_000_000);
      await mustCreate(ports, api, daemonSet('agent', { updateStrategy: { type: 'OnDelete' } }));
      await waitFor(ports, () => onNodes(w, ['node-1', 'node-2', 'node-3']), 120_000_000, 'pods');
      await mustUpdate(ports, api, 'DaemonSet', 'default', 'agent', (ds) =>
        withDsImage(ds, 'busybox:1.37'),
      );
      await ports.clock.sleep(20_000_000);
      expect(image()).toEqual(Array(3).fill('busybox:1.36'));
      expect(w.deletes).toEqual([]);
      w.monitor.watching = true;
      await mustUpdate(ports, api, 'DaemonSet', 'default', 'agent', (ds) => ({
        ...ds,
        spec: {
          ...ds.spec,
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        },
      }));
      await waitFor(
        ports,
        () =>
          onNodes(w, ['node-1', 'node-2', 'node-3']) && image().every((i) => i === 'busybox:1.37'),
        300_000_000,
        'rolled out',
      );
      await waitFor(ports, () => statusOf(w)?.updatedNumberScheduled === 3, 30_000_000, 'status');
    });
    // One old pod deleted per step, never two nodes without a ready pod at once.
    expect(w.deletes.map((d) => d.length)).toEqual([1, 1, 1]);
    expect(w.monitor.minAvailable).toBeGreaterThanOrEqual(2);
  });

  it('RollingUpdate with maxSurge 1 and maxUnavailable 0 starts each new pod beside the old one', async () => {
    nextSubnet = 1;
    const w = world();
    const nodes = ['node-1', 'node-2', 'node-3'];
    for (const n of nodes) addNode(w.sim, n);
    const image = () => w.monitor.active().map((p) => p.spec.containers[0]?.image);
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5_000_000);
      const strategy = {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
      } as const;
      await mustCreate(ports, api, daemonSet('agent', { updateStrategy: strategy }));
      await waitFor(ports, () => onNodes(w, nodes), 120_000_000, 'pods');
      w.monitor.watching = true;
      await mustUpdate(ports, api, 'DaemonSet', 'default', 'agent', (ds) =>
        withDsImage(ds, 'busybox:1.37'),
      );
      await waitFor(
        ports,
        () => onNodes(w, nodes) && image().every((i) => i === 'busybox:1.37'),
        300_000_000,
        'rolled out',
      );
      await waitFor(ports, () => statusOf(w)?.updatedNumberScheduled === 3, 30_000_000, 'status');
    });
    // Each node got its new pod while the old one still ran (the create comes before the
    // delete), one node at a time, and no node was ever without an available pod.
    expect(w.steps).toEqual([
      'create node-1,node-2,node-3',
      'create node-1',
      'delete 1',
      'create node-2',
      'delete 1',
      'create node-3',
      'delete 1',
    ]);
    expect(w.monitor.minAvailable).toBe(3);
  });
});
