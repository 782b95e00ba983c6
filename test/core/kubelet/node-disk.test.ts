import { describe, expect, it } from 'vitest';
import type { ContainerImage } from '../../../core/api/node-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { TraceRecord } from '../../../core/trace/index.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { getPod, pod, recordTrace } from './harness.ts';

const S = 1_000_000;
const GI = 1024 ** 3;

type Rec<K extends TraceRecord['k']> = Extract<TraceRecord, { k: K }>;
const of = <K extends TraceRecord['k']>(trace: readonly TraceRecord[], k: K): Rec<K>[] =>
  trace.filter((r): r is Rec<K> => r.k === k);

function consumer(name: string, image: string, env: Record<string, string>): Pod {
  return pod(name, {
    containers: [
      {
        name: 'app',
        image,
        env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
        resources: { requests: { cpu: '10m', memory: '16Mi' } },
      },
    ],
  });
}

async function nodeEvents(api: Parameters<Parameters<typeof runScript>[1]>[0]) {
  const events = await api.list('Event', 'default');
  return events.ok
    ? events.value.items
        .filter((e) => e.involvedObject.kind === 'Node')
        .map((e) => ({ reason: e.reason, name: e.involvedObject.name, type: e.type }))
    : [];
}

describe('image garbage collection on a simulated node', () => {
  it('under DiskPressure removes the unused images first and evicts no pod once that is enough', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, {
      runtime: {
        preloadedImages: ['busybox:1.36', 'nginx:1.25', 'old-a:1', 'old-b:1'],
        imageSizesBytes: { 'old-a:1': 3 * GI, 'old-b:1': 3 * GI, 'nginx:1.25': GI / 4 },
      },
      kubelet: { capacity: { 'ephemeral-storage': '10Gi' } },
    });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      // 6.25 GiB of images + 2.5 GiB written leaves less than imagefs.available's 15 % at
      // about 250 s, when the images are old enough (imageMinimumGCAge 2 min) to go.
      await api.create(consumer('writer', 'nginx:1.25', { KSIM_DISK: 'ramp:0..3Gi/300s' }));
      await ports.clock.sleep(330 * S);
      expect((await getPod(api, 'writer'))?.status?.phase).toBe('Running');
    });
    const pressure = of(trace, 'kubelet.node-pressure');
    expect(pressure[0]).toMatchObject({
      condition: 'DiskPressure',
      status: true,
      signal: 'imagefs.available',
    });
    expect(pressure[0]?.available).toBeLessThan(1.5 * GI);
    const removed = of(trace, 'kubelet.image-removed');
    // Every unused image went, at the check that saw the pressure; the one in use stayed.
    expect(removed.map((r) => [r.names.at(-1), r.trigger]).sort()).toEqual([
      ['busybox:1.36', 'eviction'],
      ['old-a:1', 'eviction'],
      ['old-b:1', 'eviction'],
    ]);
    const at = pressure[0]?.t as number;
    expect(removed.every((r) => r.t >= at && r.t < at + S)).toBe(true);
    expect(of(trace, 'kubelet.pod-evicted')).toEqual([]);
  });

  it('collects every 5 minutes above imageGCHighThresholdPercent down to the low one, keeping images in use, and lists images in node status', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, {
      runtime: {
        preloadedImages: ['old-a:1', 'old-b:1', 'big:1'],
        imageSizesBytes: { 'old-a:1': 3 * GI, 'old-b:1': 3 * GI, 'big:1': 2_900_000_000 },
      },
      kubelet: {
        capacity: { 'ephemeral-storage': '10Gi' },
        // Only memory: the disk is left to image GC here.
        evictionHard: { 'memory.available': '100Mi' },
      },
    });
    let images: readonly ContainerImage[] | undefined;
    await runScript(sim, async (api, ports) => {
      await api.create(consumer('user', 'old-b:1', {}));
      await ports.clock.sleep(40 * S);
      const n = await api.get('Node', undefined, 'node-1');
      images = n.ok ? n.value.status?.images : undefined;
      await ports.clock.sleep(300 * S);
      expect((await getPod(api, 'user'))?.status?.phase).toBe('Running');
      // At start the images were too young to go: one failure, not yet an ImageGCFailed.
      expect(await nodeEvents(api)).toEqual([
        { reason: 'FreeDiskSpaceFailed', name: 'node-1', type: 'Warning' },
      ]);
    });
    // 9.34 GB of 10 GiB is 87 %: 0.75 GB to free, so the least recently used image goes (never
    // used, both first seen at start: old-a and big tie, and the lower id wins), one only.
    const removed = of(trace, 'kubelet.image-removed');
    expect(removed).toHaveLength(1);
    expect(removed[0]?.trigger).toBe('gc');
    expect(['old-a:1', 'big:1']).toContain(removed[0]?.names.at(-1));
    expect(removed[0]?.t).toBeGreaterThanOrEqual(300 * S);
    expect(removed[0]?.t).toBeLessThan(302 * S);
    const listed = (images ?? []).map((i) => [i.names?.at(-1), i.sizeBytes]);
    // Largest first; old-a and old-b tie on size, so their ids order them.
    expect(
      listed
        .slice(0, 2)
        .map(([name]) => name)
        .sort(),
    ).toEqual(['old-a:1', 'old-b:1']);
    expect(listed.slice(0, 2).map(([, size]) => size)).toEqual([3 * GI, 3 * GI]);
    expect(listed.slice(2)).toEqual([['big:1', 2_900_000_000]]);
    expect(images?.[0]?.names?.[0]).toMatch(/^old-[ab]@sha256:[0-9a-f]{64}$/);
  });

  it('reports ImageGCFailed when collection fails twice in a row', async () => {
    const sim = controlPlane();
    spawnNode(sim, {
      runtime: { preloadedImages: ['big:1'], imageSizesBytes: { 'big:1': 9 * GI } },
      kubelet: {
        capacity: { 'ephemeral-storage': '10Gi' },
        evictionHard: { 'memory.available': '100Mi' },
      },
    });
    await runScript(sim, async (api, ports) => {
      await api.create(consumer('user', 'big:1', {}));
      await ports.clock.sleep(310 * S);
      expect((await nodeEvents(api)).map((e) => e.reason).sort()).toEqual([
        'FreeDiskSpaceFailed',
        'FreeDiskSpaceFailed',
        'ImageGCFailed',
      ]);
    });
  });
});

describe('inode signals', () => {
  it('drive DiskPressure from the inodes containers use, evicting the pod using most', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, {
      runtime: { preloadedImages: ['nginx:1.25'] },
      kubelet: { fsInodes: 100_000 },
    });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(consumer('scatter', 'nginx:1.25', { KSIM_INODES: 'ramp:0..97000/60s' }));
      await api.create(consumer('calm', 'nginx:1.25', { KSIM_INODES: '500' }));
      await ports.clock.sleep(90 * S);
      expect((await getPod(api, 'scatter'))?.status?.message).toMatch(
        /^The node was low on resource: inodes\. Threshold quantity: 5k, available: \d+(\.\d+)?k?\. $/,
      );
      expect((await getPod(api, 'calm'))?.status?.phase).toBe('Running');
    });
    expect(of(trace, 'kubelet.pod-evicted').map((e) => e.pod)).toEqual(['default/scatter']);
    const pressure = of(trace, 'kubelet.node-pressure')[0];
    expect(pressure).toMatchObject({ condition: 'DiskPressure', signal: 'nodefs.inodesFree' });
    expect(pressure?.available).toBeLessThan(5000);
  });
});
