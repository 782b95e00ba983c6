import { describe, expect, it } from 'vitest';
import { getCondition } from '../../../core/api/conditions.ts';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from '../../../core/api/defaults.ts';
import type { Node } from '../../../core/api/node-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { Informer } from '../../../core/client/informer.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import {
  boundPod,
  FakeKubelet,
  isTerminating,
  mustCreate,
  mustUpdate,
  waitFor,
  watchKind,
} from './harness.ts';

const S = 1_000_000;

function hasTaint(node: Node | undefined, key: string, effect: string): boolean {
  return (node?.spec?.taints ?? []).some((t) => t.key === key && t.effect === effect);
}

function ready(node: Node | undefined): string | undefined {
  return getCondition(node?.status?.conditions, 'Ready')?.status;
}

function setup(seed: number) {
  const sim = controlPlane({ seed });
  startControllerManager(sim, { controllers: ['node-lifecycle', 'taint-eviction'] });
  const nodes = watchKind(sim, 'Node', 'node-watch');
  const pods = watchKind(sim, 'Pod', 'pod-watch');
  return { sim, nodes, pods };
}

/** A pod that is Running and Ready, as its kubelet would report. */
async function runningPod(
  ports: Parameters<typeof mustCreate>[0],
  api: Parameters<typeof mustCreate>[1],
  pod: Pod,
): Promise<void> {
  await mustCreate(ports, api, pod);
  const iso = '2026-01-01T00:00:01Z';
  await mustUpdate(
    ports,
    api,
    'Pod',
    'default',
    pod.metadata.name ?? '',
    (p) => ({
      ...p,
      status: {
        ...p.status,
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso }],
      },
    }),
    true,
  );
}

const podGone = (pods: () => Informer<'Pod'>, name: string) => () =>
  isTerminating(pods().get(`default/${name}`));

describe('node lifecycle and taint eviction', () => {
  it('marks a node whose lease stops Ready=Unknown, taints it unreachable, evicts its pods by toleration', async () => {
    const { sim, nodes, pods } = setup(11);
    const m: Record<string, number> = {};
    let notReadyPod: string | undefined;
    let unknownReason: string | undefined;
    let timeAdded: string | undefined;
    await runScript(
      sim,
      async (api, ports) => {
        const a = new FakeKubelet(ports, 'node-a');
        const b = new FakeKubelet(ports, 'node-b');
        await a.register();
        await b.register();
        await runningPod(ports, api, boundPod('on-a', 'node-a'));
        await runningPod(ports, api, boundPod('default-tolerations', 'node-b'));
        await runningPod(
          ports,
          api,
          boundPod('zero-seconds', 'node-b', [
            {
              key: TAINT_NODE_UNREACHABLE,
              operator: 'Exists',
              effect: 'NoExecute',
              tolerationSeconds: 0,
            },
          ]),
        );
        await runningPod(
          ports,
          api,
          boundPod('forever', 'node-b', [
            { key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
          ]),
        );
        // Healthy for a minute: nothing happens.
        await ports.clock.sleep(60 * S);
        expect(ready(nodes().get('node-b'))).toBe('True');
        expect(nodes().get('node-b')?.spec?.taints ?? []).toEqual([]);
        b.running = false;
        const lastUs = b.lastRenewUs;
        const since = () => ports.clock.now() - lastUs;
        await waitFor(
          ports,
          () => ready(nodes().get('node-b')) === 'Unknown',
          120 * S,
          'Ready=Unknown',
          1_000,
        );
        m.unknownUs = since();
        const cond = getCondition(nodes().get('node-b')?.status?.conditions, 'Ready');
        unknownReason = `${cond?.reason}: ${cond?.message}`;
        await waitFor(
          ports,
          () => hasTaint(nodes().get('node-b'), TAINT_NODE_UNREACHABLE, 'NoSchedule'),
          120 * S,
          'NoSchedule taint',
          1_000,
        );
        m.noScheduleUs = since();
        await waitFor(
          ports,
          () => hasTaint(nodes().get('node-b'), TAINT_NODE_UNREACHABLE, 'NoExecute'),
          120 * S,
          'NoExecute taint',
          1_000,
        );
        m.noExecuteUs = since();
        timeAdded = nodes()
          .get('node-b')
          ?.spec?.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded;
        notReadyPod = getCondition(
          pods().get('default/forever')?.status?.conditions,
          'Ready',
        )?.status;
        await waitFor(ports, podGone(pods, 'zero-seconds'), 10 * S, 'zero-seconds eviction', 1_000);
        m.zeroEvictedUs = since() - m.noExecuteUs;
        await waitFor(
          ports,
          podGone(pods, 'default-tolerations'),
          400 * S,
          'default eviction',
          100_000,
        );
        m.defaultEvictedUs = since() - m.noExecuteUs;
        await ports.clock.sleep(120 * S);
        expect(isTerminating(pods().get('default/forever'))).toBe(false);
        expect(isTerminating(pods().get('default/on-a'))).toBe(false);
        expect(ready(nodes().get('node-a'))).toBe('True');
        expect(nodes().get('node-a')?.spec?.taints ?? []).toEqual([]);
        // The kubelet comes back: lease renewed and Ready posted; the controller lifts the taints.
        b.running = true;
        const backUs = ports.clock.now();
        await b.renew();
        await b.postReady('True');
        await waitFor(
          ports,
          () => (nodes().get('node-b')?.spec?.taints ?? []).length === 0,
          60 * S,
          'taints removed',
          1_000,
        );
        m.untaintedUs = ports.clock.now() - backUs;
      },
      { deadlineUs: 2_000 * S },
    );
    expect(unknownReason).toBe('NodeStatusUnknown: Kubelet stopped posting node status.');
    expect(notReadyPod).toBe('False');
    expect(timeAdded).toMatch(/^2026-01-01T00:\d\d:\d\dZ$/);
    // Grace 40 s, checked every 5 s.
    expect(m.unknownUs).toBeGreaterThan(40 * S);
    expect(m.unknownUs).toBeLessThanOrEqual(45 * S + 100_000);
    expect(m.noScheduleUs).toBeLessThanOrEqual(45 * S + 100_000);
    // Upstream taints NoExecute from the condition seen at the start of a pass: one period later.
    expect(m.noExecuteUs).toBeLessThanOrEqual(50 * S + 200_000);
    expect(m.zeroEvictedUs).toBeLessThan(100_000);
    expect(m.defaultEvictedUs).toBeGreaterThanOrEqual(300 * S);
    expect(m.defaultEvictedUs).toBeLessThan(301 * S);
    expect(m.untaintedUs).toBeLessThanOrEqual(5 * S + 200_000);
  });

  it('cancels pending evictions when the node recovers in time', async () => {
    const { sim, nodes, pods } = setup(12);
    await runScript(
      sim,
      async (api, ports) => {
        const a = new FakeKubelet(ports, 'node-a');
        const b = new FakeKubelet(ports, 'node-b');
        await a.register();
        await b.register();
        await runningPod(ports, api, boundPod('p', 'node-b'));
        await ports.clock.sleep(30 * S);
        b.running = false;
        await waitFor(
          ports,
          () => hasTaint(nodes().get('node-b'), TAINT_NODE_UNREACHABLE, 'NoExecute'),
          120 * S,
          'NoExecute taint',
        );
        await ports.clock.sleep(100 * S);
        b.running = true;
        await b.renew();
        await b.postReady('True');
        await waitFor(
          ports,
          () => (nodes().get('node-b')?.spec?.taints ?? []).length === 0,
          60 * S,
          'taints removed',
        );
        await ports.clock.sleep(400 * S);
        expect(isTerminating(pods().get('default/p'))).toBe(false);
      },
      { deadlineUs: 2_000 * S },
    );
  });

  it('taints a node the kubelet reports NotReady with not-ready, and swaps to unreachable when it goes silent', async () => {
    const { sim, nodes } = setup(13);
    const m: Record<string, number> = {};
    await runScript(
      sim,
      async (_api, ports) => {
        const a = new FakeKubelet(ports, 'node-a');
        const b = new FakeKubelet(ports, 'node-b');
        await a.register();
        await b.register();
        await ports.clock.sleep(20 * S);
        const t0 = ports.clock.now();
        await b.postReady('False');
        await waitFor(
          ports,
          () => hasTaint(nodes().get('node-b'), TAINT_NODE_NOT_READY, 'NoSchedule'),
          30 * S,
          'not-ready:NoSchedule',
          1_000,
        );
        m.noScheduleUs = ports.clock.now() - t0;
        await waitFor(
          ports,
          () => hasTaint(nodes().get('node-b'), TAINT_NODE_NOT_READY, 'NoExecute'),
          30 * S,
          'not-ready:NoExecute',
          1_000,
        );
        m.noExecuteUs = ports.clock.now() - t0;
        b.running = false;
        await waitFor(
          ports,
          () =>
            hasTaint(nodes().get('node-b'), TAINT_NODE_UNREACHABLE, 'NoExecute') &&
            !hasTaint(nodes().get('node-b'), TAINT_NODE_NOT_READY, 'NoExecute'),
          120 * S,
          'unreachable:NoExecute instead of not-ready',
        );
        expect(hasTaint(nodes().get('node-b'), TAINT_NODE_UNREACHABLE, 'NoSchedule')).toBe(true);
        expect(hasTaint(nodes().get('node-b'), TAINT_NODE_NOT_READY, 'NoSchedule')).toBe(false);
      },
      { deadlineUs: 1_000 * S },
    );
    expect(m.noScheduleUs).toBeLessThan(100_000);
    expect(m.noExecuteUs).toBeLessThanOrEqual(5 * S + 200_000);
  });

  it('deletes pods that do not tolerate a NoExecute taint at once and keeps those that do', async () => {
    const { sim, nodes, pods } = setup(14);
    let evictedUs = 0;
    await runScript(
      sim,
      async (api, ports) => {
        const a = new FakeKubelet(ports, 'node-a');
        await a.register();
        await runningPod(ports, api, boundPod('plain', 'node-a'));
        await runningPod(
          ports,
          api,
          boundPod('tolerant', 'node-a', [
            { key: 'example.com/maintenance', operator: 'Exists', effect: 'NoExecute' },
          ]),
        );
        await ports.clock.sleep(10 * S);
        const t0 = ports.clock.now();
        await mustUpdate(ports, api, 'Node', undefined, 'node-a', (n) => ({
          ...n,
          spec: {
            ...n.spec,
            taints: [{ key: 'example.com/maintenance', value: 'true', effect: 'NoExecute' }],
          },
        }));
        await waitFor(ports, podGone(pods, 'plain'), 10 * S, 'eviction', 1_000);
        evictedUs = ports.clock.now() - t0;
        await ports.clock.sleep(60 * S);
        expect(isTerminating(pods().get('default/tolerant'))).toBe(false);
        expect(
          getCondition(pods().get('default/plain')?.status?.conditions, 'DisruptionTarget')?.reason,
        ).toBe('DeletionByTaintManager');
        expect(nodes().get('node-a')?.spec?.taints).toHaveLength(1);
      },
      { deadlineUs: 1_000 * S },
    );
    expect(evictedUs).toBeLessThan(100_000);
  });

  it('stops NoExecute tainting when every node looks dead (the control plane is more likely cut off)', async () => {
    const { sim, nodes, pods } = setup(15);
    await runScript(
      sim,
      async (api, ports) => {
        const a = new FakeKubelet(ports, 'node-a');
        await a.register();
        await runningPod(ports, api, boundPod('p', 'node-a'));
        await ports.clock.sleep(20 * S);
        a.running = false;
        await waitFor(
          ports,
          () => hasTaint(nodes().get('node-a'), TAINT_NODE_UNREACHABLE, 'NoSchedule'),
          120 * S,
          'NoSchedule taint',
        );
        await ports.clock.sleep(400 * S);
        expect(ready(nodes().get('node-a'))).toBe('Unknown');
        expect(hasTaint(nodes().get('node-a'), TAINT_NODE_UNREACHABLE, 'NoExecute')).toBe(false);
        expect(isTerminating(pods().get('default/p'))).toBe(false);
      },
      { deadlineUs: 1_000 * S },
    );
  });
});
