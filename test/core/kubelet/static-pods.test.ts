import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import {
  CONFIG_HASH_ANNOTATION,
  isMirrorPodOf,
  mirrorPodFor,
  staticPod,
} from '../../../core/kubelet/static-pods.ts';
import type { TraceRecord } from '../../../core/trace/index.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { getPod, recordTrace } from './harness.ts';

const S = 1_000_000;

type Rec<K extends TraceRecord['k']> = Extract<TraceRecord, { k: K }>;
const of = <K extends TraceRecord['k']>(trace: readonly TraceRecord[], k: K): Rec<K>[] =>
  trace.filter((r): r is Rec<K> => r.k === k);

const MANIFEST: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'etcd', labels: { component: 'etcd' } },
  spec: { containers: [{ name: 'etcd', image: 'nginx:1.25' }] },
};

describe('static pod defaults and mirror pods', () => {
  it('names the pod <name>-<node>, hashes the manifest into the UID, tolerates NoExecute', () => {
    const a = staticPod(MANIFEST, 'node-1', '2026-01-01T00:00:00Z');
    expect(a.metadata).toMatchObject({
      name: 'etcd-node-1',
      namespace: 'default',
      annotations: {
        'kubernetes.io/config.source': 'file',
        'kubernetes.io/config.seen': '2026-01-01T00:00:00Z',
        'kubernetes.io/config.hash': a.metadata.uid,
      },
    });
    expect(a.metadata.uid).toMatch(/^[0-9a-f]{32}$/);
    expect(a.spec.nodeName).toBe('node-1');
    expect(a.spec.tolerations).toContainEqual({ operator: 'Exists', effect: 'NoExecute' });
    // The same manifest on the same node keeps its UID (a restart); another node or manifest not.
    expect(staticPod(MANIFEST, 'node-1', 'later').metadata.uid).toBe(a.metadata.uid);
    expect(staticPod(MANIFEST, 'node-2', 'x').metadata.uid).not.toBe(a.metadata.uid);
    const changed = { ...MANIFEST, spec: { containers: [{ name: 'etcd', image: 'etcd:3' }] } };
    expect(staticPod(changed, 'node-1', 'x').metadata.uid).not.toBe(a.metadata.uid);
    const mirror = mirrorPodFor(a, { name: 'node-1', uid: 'node-uid' });
    expect(mirror.metadata.uid).toBeUndefined();
    expect(mirror.metadata.annotations?.['kubernetes.io/config.mirror']).toBe(a.metadata.uid);
    expect(mirror.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: 'node-uid', controller: true },
    ]);
    expect(isMirrorPodOf(mirror, a)).toBe(true);
    expect(isMirrorPodOf(mirror, staticPod(changed, 'node-1', 'x'))).toBe(false);
  });
});

describe('static pods on a simulated node', () => {
  it('run while the API server is down, get a mirror pod once it is back, and a deleted mirror comes back', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    sim.crash('apiserver');
    spawnNode(sim, {
      runtime: { preloadedImages: ['nginx:1.25'] },
      kubelet: { staticPods: [MANIFEST] },
    });
    await sim.run({ untilUs: sim.now + 20 * S });
    // The runtime started the static pod's container with no API server to ask.
    const starts = of(trace, 'kubelet.container-start');
    expect(starts.map((r) => r.pod)).toEqual(['default/etcd-node-1']);
    expect(of(trace, 'kubelet.node-registered')).toEqual([]);
    sim.restart('apiserver');
    let firstMirrorUid: string | undefined;
    await runScript(sim, async (api, ports) => {
      const mirror = await waitForPod(ports, api, (p) => p?.status?.phase === 'Running');
      firstMirrorUid = mirror.metadata.uid;
      expect(mirror.metadata.annotations?.['kubernetes.io/config.mirror']).toBe(
        mirror.metadata.annotations?.[CONFIG_HASH_ANNOTATION],
      );
      const node = await api.get('Node', undefined, 'node-1');
      expect(mirror.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'v1',
          kind: 'Node',
          name: 'node-1',
          uid: node.ok ? node.value.metadata.uid : 'missing',
          controller: true,
        },
      ]);
      expect(mirror.status?.containerStatuses?.[0]).toMatchObject({ name: 'etcd', ready: true });
      // kubectl delete: graceful; the kubelet deletes it for good and creates it again.
      await api.delete('Pod', 'default', 'etcd-node-1');
      const again = await waitForPod(
        ports,
        api,
        (p) =>
          p !== undefined && p.metadata.uid !== firstMirrorUid && p.status?.phase === 'Running',
      );
      expect(again.metadata.deletionTimestamp).toBeUndefined();
    });
    expect(of(trace, 'kubelet.mirror-pod').map((r) => r.action)).toEqual([
      'created',
      'deleted',
      'created',
    ]);
    // The static pod itself never stopped: still one container start.
    expect(of(trace, 'kubelet.container-start')).toHaveLength(1);
    expect(of(trace, 'kubelet.pod-terminating')).toEqual([]);
  });

  it('deletes a mirror pod no static pod of the node stands for', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, { runtime: { preloadedImages: ['nginx:1.25'] } });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(3 * S);
      const node = await api.get('Node', undefined, 'node-1');
      const orphan = mirrorPodFor(staticPod(MANIFEST, 'node-1', 'x'), {
        name: 'node-1',
        uid: node.ok ? (node.value.metadata.uid ?? '') : '',
      });
      expect((await api.create(orphan)).ok).toBe(true);
      await ports.clock.sleep(3 * S);
      expect(await getPod(api, 'etcd-node-1')).toBeUndefined();
    });
    expect(of(trace, 'kubelet.mirror-pod').map((r) => r.action)).toEqual(['deleted']);
    expect(of(trace, 'kubelet.container-start')).toEqual([]);
  });
});

async function waitForPod(
  ports: Parameters<Parameters<typeof runScript>[1]>[1],
  api: Parameters<Parameters<typeof runScript>[1]>[0],
  ok: (p: Pod | undefined) => boolean,
): Promise<Pod> {
  for (let i = 0; i < 600; i++) {
    const p = await getPod(api, 'etcd-node-1');
    if (ok(p) && p !== undefined) return p;
    await ports.clock.sleep(S / 2);
  }
  throw new Error('the mirror pod never got there');
}
