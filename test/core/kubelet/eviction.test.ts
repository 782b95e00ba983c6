import { describe, expect, it } from 'vitest';
import type { Node } from '../../../core/api/node-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { rankMemoryPressure } from '../../../core/kubelet/eviction/rank.ts';
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
    memoryBytes: usageMi * MI,
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
    expect(pressure[0]?.availableBytes).toBeLessThan(100 * MI);
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
