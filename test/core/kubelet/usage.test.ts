import { describe, expect, it } from 'vitest';
import type { NodeProcess } from '../../../core/cluster/assembly.ts';
import type { NodeUsage } from '../../../core/kubelet/resource-usage.ts';
import type { TraceRecord } from '../../../core/trace/index.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { getPod, pod, recordTrace } from './harness.ts';

const PRELOADED = { runtime: { preloadedImages: ['busybox:1.36', 'nginx:1.25'] } };
const S = 1_000_000;
const MI = 1024 * 1024;

function app(name: string, env: Record<string, string>, limits?: Record<string, string>) {
  return pod(name, {
    containers: [
      {
        name: 'app',
        image: 'nginx:1.25',
        env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
        resources: { requests: { cpu: '100m', memory: '64Mi' }, ...(limits ? { limits } : {}) },
      },
    ],
  });
}

function of<K extends TraceRecord['k']>(trace: TraceRecord[], kind: K, name: string) {
  return trace.filter(
    (r): r is Extract<TraceRecord, { k: K }> =>
      r.k === kind && 'pod' in r && r.pod === `default/${name}`,
  );
}

describe('container resource use', () => {
  it('OOM-kills a container when its memory use crosses its limit, then restarts it', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(app('leak', { KSIM_MEMORY: 'ramp:64Mi..512Mi/100s' }, { memory: '256Mi' }));
      await ports.clock.sleep(60 * S);
      const s = (await getPod(api, 'leak'))?.status?.containerStatuses?.[0];
      expect(s?.restartCount).toBe(1);
      expect(s?.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    });
    const start = of(trace, 'kubelet.container-start', 'leak')[0]?.t as number;
    const exit = of(trace, 'kubelet.container-exit', 'leak')[0];
    expect(exit).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    // 64Mi + 448Mi * t/100s passes 256Mi at t = 42.857 s.
    const at = (exit?.finishedAtUs as number) - sim.epochUs - start;
    expect(at).toBeGreaterThanOrEqual(42_857_000);
    expect(at).toBeLessThanOrEqual(42_858_000 + 200_000);
  });

  it('crashes with the declared probability per interval, at interval ends, the same for a seed', async () => {
    const crashes = async (seed: number) => {
      const sim = controlPlane({ seed });
      const trace = recordTrace(sim);
      spawnNode(sim, PRELOADED);
      await runScript(sim, async (api, ports) => {
        await ports.clock.sleep(S);
        await api.create(
          app('flaky', { KSIM_CRASH_PROBABILITY: '0.5', KSIM_CRASH_INTERVAL_SECONDS: '10' }),
        );
        await ports.clock.sleep(300 * S);
      });
      const starts = of(trace, 'kubelet.container-start', 'flaky');
      const exits = of(trace, 'kubelet.container-exit', 'flaky');
      // Each run lasts a whole number of intervals (the start is the runtime's, a little later).
      return exits.map((e, i) => {
        expect(e.exitCode).toBe(1);
        return Math.round(
          ((e.finishedAtUs as number) - sim.epochUs - (starts[i]?.t as number)) / S,
        );
      });
    };
    const a = await crashes(1);
    expect(a.length).toBeGreaterThanOrEqual(3);
    for (const lifetime of a) expect(lifetime % 10).toBe(0);
    expect(await crashes(1)).toEqual(a);
    const lifetimes = [...a, ...(await crashes(2)), ...(await crashes(3))];
    // p = 0.5: about half the runs end in their first interval.
    expect(lifetimes.filter((l) => l === 10).length).toBeGreaterThan(lifetimes.length / 4);
    expect(lifetimes.some((l) => l > 10)).toBe(true);
  });

  it('accounts use per container, pod and node, CPU throttled at its limit', async () => {
    const sim = controlPlane();
    spawnNode(sim, PRELOADED);
    const kubelet = () => (sim.process('node-1').instance as NodeProcess).kubelet;
    const usages: NodeUsage[] = [];
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(app('steady', { KSIM_CPU: '250m', KSIM_MEMORY: '100Mi' }));
      await api.create(
        app('busy', { KSIM_CPU: 'ramp:0..2/20s', KSIM_MEMORY: 'ramp:0..200Mi/20s' }, { cpu: '1' }),
      );
      await api.create(app('idle', {}));
      await ports.clock.sleep(5 * S);
      for (let i = 0; i < 3; i++) {
        usages.push((await kubelet().resourceUsage())!);
        await ports.clock.sleep(10 * S);
      }
    });
    const [early, , late] = usages;
    const pod = (u: NodeUsage | undefined, name: string) =>
      u?.pods.find((p) => p.pod === `default/${name}`);
    expect(pod(late, 'steady')).toMatchObject({
      cpuMillicores: 250,
      memoryBytes: 100 * MI,
      containers: [{ name: 'app', cpuMillicores: 250, memoryBytes: 100 * MI }],
    });
    // The busy pod wants 2 cores by 20 s, gets its 1-core limit; memory follows the ramp.
    expect(pod(late, 'busy')?.cpuMillicores).toBe(1000);
    expect(pod(late, 'busy')?.memoryBytes).toBe(200 * MI);
    const busyEarly = pod(early, 'busy');
    expect(busyEarly?.cpuMillicores).toBeGreaterThan(0);
    expect(busyEarly?.cpuMillicores).toBeLessThan(1000);
    expect(pod(late, 'idle')).toMatchObject({ cpuMillicores: 0, memoryBytes: 0 });
    for (const u of usages) {
      expect(u.node).toBe('node-1');
      expect(u.pods.map((p) => p.pod)).toEqual(['default/busy', 'default/idle', 'default/steady']);
      expect(u.cpuMillicores).toBe(u.pods.reduce((n, p) => n + p.cpuMillicores, 0));
      expect(u.memoryBytes).toBe(u.pods.reduce((n, p) => n + p.memoryBytes, 0));
    }
  });
});
