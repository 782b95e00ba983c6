import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../../../core/api/pod-types.ts';
import type { TraceRecord } from '../../../core/trace/index.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { getPod, pod, podInPhase, recordTrace, waitFor } from './harness.ts';

const PRELOADED = { runtime: { preloadedImages: ['busybox:1.36', 'nginx:1.25'] } };
const S = 1_000_000;

function container(name: string, env: Record<string, string>, extra: Partial<Container> = {}) {
  return {
    name,
    image: 'busybox:1.36',
    env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
    ...extra,
  };
}

function sidecar(name: string, env: Record<string, string>, extra: Partial<Container> = {}) {
  return { ...container(name, env, extra), restartPolicy: 'Always' as const };
}

function of<K extends TraceRecord['k']>(trace: TraceRecord[], kind: K, name: string) {
  return trace.filter(
    (r): r is Extract<TraceRecord, { k: K }> =>
      r.k === kind && 'pod' in r && r.pod === `default/${name}`,
  );
}

describe('kubelet sidecar containers', () => {
  it('starts sidecars in order, each after the previous one started, and the main container last', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    const spec: Partial<Pod['spec']> = {
      initContainers: [
        sidecar(
          'proxy',
          { KSIM_FILES: '/tmp/up@6-' },
          {
            startupProbe: {
              exec: { command: ['cat', '/tmp/up'] },
              periodSeconds: 1,
              failureThreshold: 30,
            },
          },
        ),
        // Exits every 20 s: restarted beside the main container, which keeps running.
        sidecar('shipper', { KSIM_EXIT_AFTER_SECONDS: '20', KSIM_EXIT_CODE: '1' }),
      ],
      containers: [container('app', {})],
    };
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(pod('mesh', spec));
      await ports.clock.sleep(60 * S);
      const p = await getPod(api, 'mesh');
      expect(p?.status?.phase).toBe('Running');
      expect(p?.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      const shipper = p?.status?.initContainerStatuses?.find((s) => s.name === 'shipper');
      expect(shipper?.restartCount).toBeGreaterThanOrEqual(1);
      expect(p?.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    });
    const starts = of(trace, 'kubelet.container-start', 'mesh');
    const first = (name: string) => starts.find((r) => r.container === name)?.t as number;
    const startedProxy = of(trace, 'kubelet.probe-result', 'mesh').find(
      (r) => r.container === 'proxy' && r.probe === 'startup' && r.result === 'success',
    )?.t as number;
    expect(startedProxy - first('proxy')).toBeGreaterThanOrEqual(6 * S);
    // The shipper waits for the proxy's startup probe, the app for the shipper to run.
    expect(first('shipper')).toBeGreaterThanOrEqual(startedProxy);
    expect(first('shipper') - startedProxy).toBeLessThanOrEqual(S);
    expect(first('app')).toBeGreaterThan(first('shipper'));
    expect(first('app') - first('shipper')).toBeLessThanOrEqual(2 * S);
    // Only the shipper restarted, while the app ran on.
    expect(starts.filter((r) => r.restartCount > 0).map((r) => r.container)).not.toContain('app');
    expect(of(trace, 'kubelet.container-exit', 'mesh').map((r) => r.container)).not.toContain(
      'app',
    );
  });

  it('completes a Job-like pod when its main container does, stopping the sidecars after it', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    const spec: Partial<Pod['spec']> = {
      restartPolicy: 'Never',
      initContainers: [sidecar('proxy', {}), sidecar('shipper', {})],
      containers: [container('work', { KSIM_EXIT_AFTER_SECONDS: '10' })],
    };
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(pod('job', spec));
      const p = await waitFor(ports, 'Succeeded', podInPhase(api, 'job', 'Succeeded'), 30 * S);
      expect(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
      await ports.clock.sleep(5 * S);
      const done = await getPod(api, 'job');
      for (const s of done?.status?.initContainerStatuses ?? [])
        expect(s.state?.terminated, s.name).toBeDefined();
    });
    const exits = of(trace, 'kubelet.container-exit', 'job')
      .sort((x, y) => x.finishedAtUs - y.finishedAtUs)
      .map((r) => [r.container, r.finishedAtUs]);
    // The main container first; then the sidecars, in reverse order of their start.
    expect(exits.map(([c]) => c)).toEqual(['work', 'shipper', 'proxy']);
  });

  it('on deletion stops the main containers first, then the sidecars in reverse order', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    const slow = { KSIM_SHUTDOWN_SECONDS: '2' };
    const spec: Partial<Pod['spec']> = {
      initContainers: [sidecar('a', slow), sidecar('b', slow)],
      containers: [container('main', slow), container('main2', slow)],
    };
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(pod('del', spec));
      await ports.clock.sleep(10 * S);
      await api.delete('Pod', 'default', 'del');
      await ports.clock.sleep(20 * S);
    });
    const exits = of(trace, 'kubelet.container-exit', 'del');
    const at = (name: string) =>
      (exits.find((r) => r.container === name)?.finishedAtUs as number) - sim.epochUs;
    expect(at('main')).toBe(at('main2'));
    expect(at('b') - at('main')).toBe(2 * S);
    expect(at('a') - at('b')).toBe(2 * S);
  });
});
