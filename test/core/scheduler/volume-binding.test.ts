/**
 * VolumeBinding with the PV binder and real simulated kubelets: where a pod with claims may
 * run, the selected-node handshake of WaitForFirstConsumer, and the kubelet's wait for Bound
 * claims.
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { ANN_SELECTED_NODE } from '../../../core/api/volume-binding.ts';
import {
  ERR_REASON_BIND_CONFLICT,
  ERR_REASON_NODE_CONFLICT,
  ERR_UNBOUND_IMMEDIATE,
} from '../../../core/scheduler/plugins/volume-binding/volume-binding.ts';
import { ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT } from '../../../core/scheduler/plugins/volume-restrictions/volume-restrictions.ts';
import {
  controlPlane,
  runScript,
  spawnNode,
  startControllerManager,
  startScheduler,
} from '../../support/cluster.ts';
import { mustCreate, waitFor } from '../controllers/harness.ts';
import { watchKindAsAdmin } from '../controllers/workloads.ts';
import { claim, storageClass, volume } from '../controllers/volume/volumes.ts';

const MINUTE_US = 60_000_000;

function podWith(name: string, claims: string[], nodeName?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      ...(nodeName === undefined ? {} : { nodeName }),
      containers: [{ name: 'c', image: 'nginx:1.25' }],
      volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })),
    },
  };
}

function cluster(nodes = ['node-1', 'node-2'], withScheduler = true) {
  const sim = controlPlane({ seed: 11, secure: true });
  startControllerManager(sim, {
    controllers: ['persistentvolume-binder', 'pvc-protection', 'pv-protection'],
  });
  if (withScheduler) startScheduler(sim);
  nodes.forEach((name, i) =>
    spawnNode(sim, { name, kubelet: { podCIDR: `10.244.${i + 1}.0/24` } }),
  );
  const pods = watchKindAsAdmin(sim, 'Pod', 'watch-pods');
  return {
    sim,
    pods,
    claims: watchKindAsAdmin(sim, 'PersistentVolumeClaim', 'watch-claims'),
    volumes: watchKindAsAdmin(sim, 'PersistentVolume', 'watch-volumes'),
    events: watchKindAsAdmin(sim, 'Event', 'watch-events'),
    pod: (name: string) => pods().get(`default/${name}`),
    running: (name: string) => pods().get(`default/${name}`)?.status?.phase === 'Running',
  };
}

describe('VolumeBinding', () => {
  it('WaitForFirstConsumer provisioning: the scheduler picks the node, the binder provisions there, the pod runs', async () => {
    const c = cluster();
    await runScript(c.sim, async (api, ports) => {
      await mustCreate(ports, api, storageClass('sim', { mode: 'WaitForFirstConsumer' }));
      await mustCreate(ports, api, claim('data', '2Gi', { cls: 'sim' }));
      await ports.clock.sleep(5_000_000);
      expect(c.claims().get('default/data')?.status?.phase).toBe('Pending');
      await mustCreate(ports, api, podWith('app', ['data']));
      await waitFor(ports, () => c.running('app'), 2 * MINUTE_US, 'app running');
    });
    const node = c.pod('app')?.spec.nodeName;
    const pvc = c.claims().get('default/data');
    expect(pvc?.metadata.annotations?.[ANN_SELECTED_NODE]).toBe(node);
    expect(pvc?.status?.phase).toBe('Bound');
    const pv = c.volumes().get(pvc?.spec?.volumeName ?? '');
    expect(
      pv?.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values,
    ).toEqual([node]);
  });

  it('WaitForFirstConsumer static volumes: a pod goes where a matching local volume is, the scheduler pre-binds it', async () => {
    const c = cluster();
    await runScript(c.sim, async (api, ports) => {
      await mustCreate(
        ports,
        api,
        storageClass('local', {
          provisioner: 'kubernetes.io/no-provisioner',
          mode: 'WaitForFirstConsumer',
        }),
      );
      await mustCreate(ports, api, volume('local-2', '5Gi', { cls: 'local', node: 'node-2' }));
      await mustCreate(
        ports,
        api,
        volume('local-1-small', '1Gi', { cls: 'local', node: 'node-1' }),
      );
      await mustCreate(ports, api, claim('data', '2Gi', { cls: 'local' }));
      await mustCreate(ports, api, claim('more', '2Gi', { cls: 'local' }));
      await mustCreate(ports, api, podWith('app', ['data']));
      await waitFor(ports, () => c.running('app'), 2 * MINUTE_US, 'app running');
      // No volume left for a second claim, and no provisioner: unschedulable.
      await mustCreate(ports, api, podWith('other', ['more']));
      await ports.clock.sleep(10_000_000);
    });
    expect(c.pod('app')?.spec.nodeName).toBe('node-2');
    expect(c.claims().get('default/data')?.spec?.volumeName).toBe('local-2');
    expect(c.volumes().get('local-2')?.spec?.claimRef?.name).toBe('data');
    const cond = c.pod('other')?.status?.conditions?.find((x) => x.type === 'PodScheduled');
    expect(cond?.message).toBe(
      `0/2 nodes are available: 2 ${ERR_REASON_BIND_CONFLICT}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.`,
    );
  });

  it("an unbound Immediate claim keeps the pod out until the binder binds it; a bound volume's node affinity decides the node", async () => {
    const c = cluster();
    await runScript(c.sim, async (api, ports) => {
      await mustCreate(ports, api, claim('data', '1Gi'));
      await mustCreate(ports, api, podWith('app', ['data']));
      await ports.clock.sleep(5_000_000);
      const cond = c.pod('app')?.status?.conditions?.find((x) => x.type === 'PodScheduled');
      expect(cond?.message).toBe(
        `0/2 nodes are available: ${ERR_UNBOUND_IMMEDIATE}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.`,
      );
      // A volume pinned to node-1 arrives: the binder binds it, the claim event requeues the pod.
      await mustCreate(ports, api, volume('pinned', '1Gi', { node: 'node-1' }));
      await waitFor(ports, () => c.running('app'), 2 * MINUTE_US, 'app running');
    });
    expect(c.pod('app')?.spec.nodeName).toBe('node-1');
  });

  it('reports a node affinity conflict when the bound volume is pinned to a node the pod cannot use', async () => {
    const c = cluster(['node-1']);
    await runScript(c.sim, async (api, ports) => {
      await mustCreate(ports, api, volume('elsewhere', '1Gi', { node: 'node-9' }));
      await mustCreate(ports, api, claim('data', '1Gi'));
      await waitFor(
        ports,
        () => c.claims().get('default/data')?.status?.phase === 'Bound',
        MINUTE_US,
        'bound',
      );
      await mustCreate(ports, api, podWith('app', ['data']));
      await ports.clock.sleep(5_000_000);
    });
    const cond = c.pod('app')?.status?.conditions?.find((x) => x.type === 'PodScheduled');
    expect(cond?.message).toBe(
      `0/1 nodes are available: 1 ${ERR_REASON_NODE_CONFLICT}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.`,
    );
  });

  it('the kubelet starts a pod only once its claims are Bound, and reports a long wait as FailedMount', async () => {
    const c = cluster(['node-1'], false);
    await runScript(c.sim, async (api, ports) => {
      await mustCreate(ports, api, claim('data', '1Gi'));
      await mustCreate(ports, api, podWith('app', ['data'], 'node-1'));
      await ports.clock.sleep(130_000_000);
      expect(c.pod('app')?.status?.containerStatuses?.[0]?.state?.running).toBeUndefined();
      expect(c.running('app')).toBe(false);
      await mustCreate(ports, api, volume('pv', '1Gi'));
      await waitFor(ports, () => c.running('app'), MINUTE_US, 'app running');
    });
    const mounts = c
      .events()
      .list()
      .filter((e) => e.reason === 'FailedMount');
    expect(mounts.map((e) => e.message)).toEqual([
      'Unable to attach or mount volumes: unmounted volumes=[v0], unattached volumes=[v0]: timed out waiting for the condition',
    ]);
  });

  it('VolumeRestrictions: a ReadWriteOncePod claim serves one pod; the next waits until it goes', async () => {
    const c = cluster();
    await runScript(c.sim, async (api, ports) => {
      await mustCreate(ports, api, volume('pv', '1Gi', { modes: ['ReadWriteOncePod'] }));
      await mustCreate(ports, api, claim('solo', '1Gi', { modes: ['ReadWriteOncePod'] }));
      await mustCreate(ports, api, podWith('first', ['solo']));
      await waitFor(ports, () => c.running('first'), 2 * MINUTE_US, 'first running');
      await mustCreate(ports, api, podWith('second', ['solo']));
      await ports.clock.sleep(5_000_000);
      const cond = c.pod('second')?.status?.conditions?.find((x) => x.type === 'PodScheduled');
      expect(cond?.message).toBe(
        `0/2 nodes are available: ${ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.`,
      );
      await api.delete('Pod', 'default', 'first');
      await waitFor(ports, () => c.running('second'), 2 * MINUTE_US, 'second running');
    });
  });
});
