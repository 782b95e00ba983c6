import { describe, expect, it } from 'vitest';
import type { Node } from '../../../core/api/node-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { rankMemoryPressure, rankPidPressure } from '../../../core/kubelet/eviction/rank.ts';
import type { TraceRecord } from '../../../core/trace/index.ts';
import {
  controlPlane,
  runScript,
  spawnNode,
  startControllerManager,
} from '../../support/cluster.ts';
import { getPod, pod, recordTrace } from './harness.ts';

const PRELOADED = { runtime: { preloadedImages: ['busybox:1.36', 'nginx:1.25'] } };
const S = 1_000_000;
const MI = 1024 * 1024;

function user(name: string, memory: string, request: string, priority?: number): Pod {
  return pod(name, {
    ...(priority === undefined ? {} : { priority }),
    containers: [
      {
        name: 'app',
        image: 'nginx:1.25',
        env: [{ name: 'KSIM_MEMORY', value: memory }],
        resources: { requests: { cpu: '10m', memory: request } },
      },
    ],
  });
}

describe('eviction ranking under memory pressure', () => {
  const candidate = (name: string, usageMi: number, requestMi: number, priority = 0) => ({
    uid: name,
    pod: user(name, '0', `${requestMi}Mi`, priority),
    usage: {
      pod: `default/${name}`,
      uid: name,
      cpuMillicores: 0,
      memoryBytes: usageMi * MI,
      rootfsBytes: 0,
      inodesUsed: 0,
      processes: 0,
      containers: [],
    },
  });
  it.each([
    [
      'over-request pods first, even at a higher priority',
      [candidate('within', 900, 1000), candidate('over', 200, 100, 1000)],
      ['over', 'within'],
    ],
    [
      'then the lower priority',
      [candidate('high', 500, 100, 10), candidate('low', 150, 100, 0)],
      ['low', 'high'],
    ],
    [
      'then the larger use above the request',
      [candidate('a', 300, 100), candidate('b', 600, 100), candidate('c', 250, 10)],
      ['b', 'c', 'a'],
    ],
  ])('%s', (_, pods, expected) => {
    expect(rankMemoryPressure(pods).map((c) => c.uid)).toEqual(expected);
  });
});

describe('eviction ranking under PID pressure', () => {
  const candidate = (name: string, processes: number, priority = 0) => ({
    uid: name,
    pod: { ...user(name, '0', '0'), spec: { ...user(name, '0', '0').spec, priority } },
    usage: {
      pod: `default/${name}`,
      uid: name,
      cpuMillicores: 0,
      memoryBytes: 0,
      rootfsBytes: 0,
      inodesUsed: 0,
      processes,
      containers: [],
    },
  });
  it('lower priority first, then more processes', () => {
    const ranked = rankPidPressure([
      candidate('few-low', 5),
      candidate('many-high', 500, 10),
      candidate('many-low', 50),
      candidate('few-high', 1, 10),
    ]);
    expect(ranked.map((c) => c.uid)).toEqual(['many-low', 'few-low', 'many-high', 'few-high']);
  });
});

describe('the eviction manager', () => {
  it('evicts the pod using most above its request when memory.available drops below 100Mi, and reports MemoryPressure for 5 minutes', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    startControllerManager(sim);
    spawnNode(sim, { ...PRELOADED, kubelet: { capacity: { memory: '2Gi' } } });
    const memoryPressure = (n: Node | undefined) =>
      n?.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status;
    const tainted = (n: Node | undefined) =>
      (n?.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/memory-pressure');
    const seen: { atUs: number; pressure: string | undefined; taint: boolean }[] = [];
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(user('hog', 'ramp:0..1800Mi/60s', '64Mi'));
      await api.create(user('small', '100Mi', '64Mi'));
      // Within its request: not a candidate while another pod is over its own.
      await api.create(user('guarded', '100Mi', '1Gi'));
      for (let i = 0; i < 420; i += 5) {
        const n = await api.get('Node', undefined, 'node-1');
        const node = n.ok ? n.value : undefined;
        const last = seen.at(-1);
        if (last?.pressure !== memoryPressure(node) || last?.taint !== tainted(node))
          seen.push({
            atUs: ports.clock.now() - sim.epochUs,
            pressure: memoryPressure(node),
            taint: tainted(node),
          });
        await ports.clock.sleep(5 * S);
      }
      const hog = await getPod(api, 'hog');
      expect(hog?.status?.phase).toBe('Failed');
      expect(hog?.status?.reason).toBe('Evicted');
      expect(hog?.status?.message).toMatch(
        /^The node was low on resource: memory\. Threshold quantity: 100Mi, available: \d+Ki\. Container app was using \d+Ki, request is 64Mi, has larger consumption of memory\. $/,
      );
      expect(hog?.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
        status: 'True',
        reason: 'TerminationByKubelet',
      });
      for (const name of ['small', 'guarded'])
        expect((await getPod(api, name))?.status?.phase, name).toBe('Running');
      const events = await api.list('Event', 'default');
      const evicted = events.ok ? events.value.items.filter((e) => e.reason === 'Evicted') : [];
      expect(evicted.map((e) => [e.involvedObject.name, e.type])).toEqual([['hog', 'Warning']]);
    });
    const evictions = trace.filter(
      (r): r is Extract<TraceRecord, { k: 'kubelet.pod-evicted' }> => r.k === 'kubelet.pod-evicted',
    );
    expect(evictions.map((e) => e.pod)).toEqual(['default/hog']);
    const pressure = trace.filter(
      (r): r is Extract<TraceRecord, { k: 'kubelet.node-pressure' }> =>
        r.k === 'kubelet.node-pressure',
    );
    expect(pressure.map((p) => p.status)).toEqual([true, false]);
    // 1800Mi * t/60s + 200Mi passes 1948Mi at t = 58.3 s; the manager looks every 10 s.
    const hogStart = trace.find((r) => r.k === 'kubelet.container-start' && r.pod === 'default/hog')
      ?.t as number;
    const first = (pressure[0]?.t as number) - hogStart;
    expect(first).toBeGreaterThanOrEqual(58_300_000);
    expect(first).toBeLessThanOrEqual(68_400_000);
    expect(pressure[0]).toMatchObject({ condition: 'MemoryPressure', signal: 'memory.available' });
    expect(pressure[0]?.available).toBeLessThan(100 * MI);
    expect(evictions[0]?.t).toBe(pressure[0]?.t);
    // Off again 5 min after the last time the threshold was crossed.
    expect((pressure[1]?.t as number) - (pressure[0]?.t as number)).toBe(300 * S);
    // The Node said so, and the node lifecycle controller tainted it meanwhile.
    const statuses = seen.map((x) => x.pressure).filter((x) => x !== undefined);
    expect(statuses.filter((x, k) => x !== statuses[k - 1])).toEqual(['False', 'True', 'False']);
    const firstTrue = seen.findIndex((x) => x.pressure === 'True');
    expect(seen.slice(0, firstTrue).some((x) => x.taint)).toBe(false);
    expect(seen.some((x) => x.pressure === 'True' && x.taint)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ pressure: 'False', taint: false });
  });
});

/** A pod whose one container declares its use through the behaviour model's variables. */
function consumer(
  name: string,
  env: Record<string, string>,
  extra: { priorityClassName?: string; requests?: Record<string, string>; grace?: number } = {},
): Pod {
  return pod(name, {
    ...(extra.priorityClassName === undefined
      ? {}
      : { priorityClassName: extra.priorityClassName }),
    ...(extra.grace === undefined ? {} : { terminationGracePeriodSeconds: extra.grace }),
    containers: [
      {
        name: 'app',
        image: 'nginx:1.25',
        env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
        resources: { requests: { cpu: '10m', memory: '16Mi', ...extra.requests } },
      },
    ],
  });
}

type Rec<K extends TraceRecord['k']> = Extract<TraceRecord, { k: K }>;
const of = <K extends TraceRecord['k']>(trace: readonly TraceRecord[], k: K): Rec<K>[] =>
  trace.filter((r): r is Rec<K> => r.k === k);

describe('the eviction manager: soft thresholds, disk, process ids, minimum reclaim', () => {
  it('acts on a soft threshold only once met for its grace period, and gives the pod min(max-pod-grace, its own)', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, {
      ...PRELOADED,
      kubelet: {
        capacity: { memory: '2Gi' },
        evictionSoft: { 'memory.available': '500Mi' },
        evictionSoftGracePeriodUs: { 'memory.available': 60 * S },
        evictionMaxPodGracePeriodSeconds: 20,
      },
    });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      // 1700Mi of 2Gi leaves 348Mi from 40 s on: below the soft threshold, above the hard one.
      await api.create(consumer('hog', { KSIM_MEMORY: 'ramp:0..1700Mi/40s' }, { grace: 30 }));
      await ports.clock.sleep(200 * S);
      expect((await getPod(api, 'hog'))?.status?.reason).toBe('Evicted');
    });
    const pressure = of(trace, 'kubelet.node-pressure');
    const evicted = of(trace, 'kubelet.pod-evicted');
    expect(evicted.map((e) => e.pod)).toEqual(['default/hog']);
    // MemoryPressure and the eviction come together, once the grace period has passed since
    // the threshold was first seen met (the manager looks every 10 s).
    const start = of(trace, 'kubelet.container-start')[0]?.t as number;
    const metSinceUs = (evicted[0]?.t as number) - start;
    expect(metSinceUs).toBeGreaterThanOrEqual((30 + 60) * S);
    expect(metSinceUs).toBeLessThanOrEqual((30 + 60 + 20) * S);
    expect(pressure[0]).toMatchObject({ condition: 'MemoryPressure', status: true });
    expect(pressure[0]?.t).toBe(evicted[0]?.t);
    expect(evicted[0]?.gracePeriodUs).toBe(20 * S);
  });

  it('drives DiskPressure from what containers write, evicting the one most over its ephemeral-storage request', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    startControllerManager(sim);
    spawnNode(sim, { ...PRELOADED, kubelet: { capacity: { 'ephemeral-storage': '10Gi' } } });
    const seen = new Set<string>();
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(
        consumer(
          'writer',
          { KSIM_DISK: 'ramp:0..8Gi/60s' },
          { requests: { 'ephemeral-storage': '1Gi' } },
        ),
      );
      await api.create(
        consumer('quiet', { KSIM_DISK: '1500Mi' }, { requests: { 'ephemeral-storage': '2Gi' } }),
      );
      for (let i = 0; i < 30; i++) {
        await ports.clock.sleep(5 * S);
        const n = await api.get('Node', undefined, 'node-1');
        if (!n.ok) continue;
        for (const c of n.value.status?.conditions ?? [])
          if (c.type === 'DiskPressure' && c.status === 'True') seen.add('condition');
        for (const t of n.value.spec?.taints ?? [])
          if (t.key === 'node.kubernetes.io/disk-pressure') seen.add('taint');
      }
      const writer = await getPod(api, 'writer');
      expect(writer?.status?.reason).toBe('Evicted');
      expect(writer?.status?.message).toMatch(
        /^The node was low on resource: ephemeral-storage\. Threshold quantity: 1Gi, available: \d+\. Container app was using \d+, request is 1Gi, has larger consumption of ephemeral-storage\. $/,
      );
      expect((await getPod(api, 'quiet'))?.status?.phase).toBe('Running');
    });
    expect([...seen].sort()).toEqual(['condition', 'taint']);
    const pressure = of(trace, 'kubelet.node-pressure')[0];
    expect(pressure).toMatchObject({ condition: 'DiskPressure', signal: 'nodefs.available' });
    expect(pressure?.available).toBeLessThan(1024 * MI);
  });

  it('drives PIDPressure from process counts, evicting the lower priority first', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, {
      ...PRELOADED,
      kubelet: { pidMax: 1000, evictionHard: { 'pid.available': '10%' } },
    });
    await runScript(sim, async (api, ports) => {
      await api.create({
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'high' },
        value: 10,
      });
      await ports.clock.sleep(S);
      await api.create(
        consumer('forker', { KSIM_PROCESSES: 'ramp:1..780/30s' }, { priorityClassName: 'high' }),
      );
      await api.create(consumer('few', { KSIM_PROCESSES: '150' }));
      await api.create(
        consumer('many-high', { KSIM_PROCESSES: '40' }, { priorityClassName: 'high' }),
      );
      await ports.clock.sleep(90 * S);
      expect((await getPod(api, 'few'))?.status?.message).toMatch(
        /^The node was low on resource: pids\. Threshold quantity: 100, available: \d\d\. $/,
      );
    });
    // At priority 0 'few' goes first though 'forker' runs more; freeing 150 is enough.
    expect(of(trace, 'kubelet.pod-evicted').map((e) => e.pod)).toEqual(['default/few']);
    expect(of(trace, 'kubelet.node-pressure')[0]).toMatchObject({
      condition: 'PIDPressure',
      signal: 'pid.available',
    });
  });

  it('keeps a threshold met until its minimum reclaim is free, so one eviction is not enough', async () => {
    const run = async (minReclaim: Record<string, string>) => {
      const sim = controlPlane();
      const trace = recordTrace(sim);
      spawnNode(sim, {
        ...PRELOADED,
        kubelet: { capacity: { memory: '2Gi' }, evictionMinimumReclaim: minReclaim },
      });
      await runScript(sim, async (api, ports) => {
        await ports.clock.sleep(S);
        await api.create(consumer('big', { KSIM_MEMORY: 'ramp:0..1400Mi/20s' }));
        await api.create(consumer('medium', { KSIM_MEMORY: '500Mi' }));
        await api.create(consumer('small', { KSIM_MEMORY: '100Mi' }));
        await ports.clock.sleep(60 * S);
      });
      return of(trace, 'kubelet.pod-evicted').map((e) => e.pod);
    };
    // Evicting 'big' frees 1400Mi: 1448Mi available clears 100Mi, but not 100Mi + 1500Mi.
    expect(await run({})).toEqual(['default/big']);
    expect(await run({ 'memory.available': '1500Mi' })).toEqual(['default/big', 'default/medium']);
  });
});
