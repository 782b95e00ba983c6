import { describe, expect, it } from 'vitest';
import { isConditionTrue } from '../../../core/api/conditions.ts';
import { ipInCidr, parseCidr } from '../../../core/kubelet/pod-ip.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { getPod, pod, podInPhase, recordTrace, waitFor } from './harness.ts';

const CONDITIONS = [
  'PodScheduled',
  'PodReadyToStartContainers',
  'Initialized',
  'ContainersReady',
  'Ready',
];

describe('kubelet pod lifecycle', () => {
  it('runs a bound pod with a cached image within 1 s, with IP, conditions and container status', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, { runtime: { preloadedImages: ['nginx:1.25'] } });
    let elapsedUs = 0;
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      const t0 = ports.clock.now();
      expect((await api.create(pod('web'))).ok).toBe(true);
      const running = await waitFor(
        ports,
        'Running',
        podInPhase(api, 'web', 'Running', (p) => isConditionTrue(p.status?.conditions, 'Ready')),
        5_000_000,
        10_000,
      );
      elapsedUs = ports.clock.now() - t0;
      const s = running.status!;
      for (const type of CONDITIONS) expect(isConditionTrue(s.conditions, type), type).toBe(true);
      for (const c of s.conditions ?? []) expect(c.lastTransitionTime).toBeDefined();
      expect(ipInCidr(s.podIP ?? '', parseCidr('10.244.1.0/24')!)).toBe(true);
      expect(s.podIP).not.toBe('10.244.1.1');
      expect(s.hostIP).toBe('172.20.1.2');
      expect(s.startTime).toBeDefined();
      expect(s.qosClass).toBe('Burstable');
      const cs = s.containerStatuses?.[0];
      expect(cs).toMatchObject({
        name: 'app',
        ready: true,
        started: true,
        restartCount: 0,
        image: 'nginx:1.25',
      });
      expect(cs?.state?.running?.startedAt).toBeDefined();
      expect(cs?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    });
    expect(elapsedUs).toBeLessThanOrEqual(1_000_000);
    expect(trace.filter((r) => r.k === 'kubelet.pod-phase').map((r) => r.phase)).toEqual([
      'Running',
    ]);
    expect(trace.filter((r) => r.k === 'kubelet.container-start')).toHaveLength(1);
  });

  it('pulls a missing image first (2-3 s) and gives pods distinct IPs; create + bind works too', async () => {
    const sim = controlPlane();
    spawnNode(sim);
    const elapsed: number[] = [];
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      const t0 = ports.clock.now();
      await api.create(pod('a', { containers: [{ name: 'app', image: 'redis:7' }] }));
      await api.create(
        pod('b', { nodeName: undefined, containers: [{ name: 'app', image: 'redis:7' }] }),
      );
      expect((await api.bind('default', 'b', 'node-1')).ok).toBe(true);
      const a = await waitFor(
        ports,
        'a Running',
        podInPhase(api, 'a', 'Running'),
        10_000_000,
        10_000,
      );
      elapsed.push(ports.clock.now() - t0);
      const b = await waitFor(
        ports,
        'b Running',
        podInPhase(api, 'b', 'Running'),
        10_000_000,
        10_000,
      );
      elapsed.push(ports.clock.now() - t0);
      expect(a.status?.podIP).not.toBe(b.status?.podIP);
      expect(a.status?.containerStatuses?.[0]?.imageID).toMatch(/^redis@sha256:[0-9a-f]{64}$/);
    });
    for (const us of elapsed) {
      expect(us).toBeGreaterThanOrEqual(2_000_000);
      expect(us).toBeLessThanOrEqual(4_000_000);
    }
  });

  it('rejects a pod that does not fit allocatable with OutOfcpu', async () => {
    const sim = controlPlane();
    spawnNode(sim, { kubelet: { capacity: { cpu: '2' } } });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      await api.create(
        pod('small', {
          containers: [
            { name: 'app', image: 'nginx:1.25', resources: { requests: { cpu: '1500m' } } },
          ],
        }),
      );
      await waitFor(ports, 'small Running', podInPhase(api, 'small', 'Running'), 10_000_000);
      await api.create(
        pod('big', {
          containers: [{ name: 'app', image: 'nginx:1.25', resources: { requests: { cpu: '1' } } }],
        }),
      );
      const big = await waitFor(
        ports,
        'big Failed',
        podInPhase(api, 'big', 'Failed'),
        2_000_000,
        10_000,
      );
      expect(big.status?.reason).toBe('OutOfcpu');
      expect(big.status?.message).toBe(
        "Pod was rejected: Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000",
      );
      expect(big.status?.containerStatuses).toBeUndefined();
    });
  });

  it('runs up to max-pods (110) and rejects the next pod with OutOfpods', async () => {
    const sim = controlPlane();
    spawnNode(sim, {
      kubelet: { capacity: { cpu: '64' } },
      runtime: { preloadedImages: ['nginx:1.25'] },
    });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      for (let i = 0; i < 111; i++) await api.create(pod(`p${i}`));
      await waitFor(
        ports,
        'all settled',
        async () => {
          const l = await api.list('Pod', 'default');
          if (!l.ok) return undefined;
          const phases = l.value.items.map((p) => p.status?.phase);
          return phases.filter((p) => p === 'Running').length === 110 && phases.includes('Failed')
            ? true
            : undefined;
        },
        10_000_000,
        500_000,
      );
      const last = await getPod(api, 'p110');
      expect(last?.status?.reason).toBe('OutOfpods');
      const l = await api.list('Pod', 'default');
      const running = l.ok ? l.value.items.filter((p) => p.status?.phase === 'Running') : [];
      expect(new Set(running.map((p) => p.status?.podIP)).size).toBe(110);
    });
  });

  it('finishes a graceful deletion: containers stopped, pod deleted with grace 0 within grace + 1 s', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, { runtime: { preloadedImages: ['nginx:1.25'] } });
    const measured: Record<string, number> = {};
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      await api.create(pod('polite'));
      // Ignores SIGTERM for 100 s: the kubelet must kill it when the 5 s grace runs out.
      await api.create(
        pod('stubborn', {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'app',
              image: 'nginx:1.25',
              env: [{ name: 'KSIM_SHUTDOWN_SECONDS', value: '100' }],
            },
          ],
        }),
      );
      await waitFor(ports, 'polite Running', podInPhase(api, 'polite', 'Running'), 5_000_000);
      await waitFor(ports, 'stubborn Running', podInPhase(api, 'stubborn', 'Running'), 5_000_000);
      for (const name of ['polite', 'stubborn']) {
        const t0 = ports.clock.now();
        const d = await api.delete('Pod', 'default', name);
        expect(d.ok && d.value.metadata.deletionTimestamp).toBeTruthy();
        const grace = d.ok ? (d.value.metadata.deletionGracePeriodSeconds ?? 0) : 0;
        await waitFor(
          ports,
          `${name} gone`,
          async () => ((await api.get('Pod', 'default', name)).status === 404 ? true : undefined),
          (grace + 1) * 1_000_000,
          10_000,
        );
        measured[name] = ports.clock.now() - t0;
      }
    });
    const exits = trace.filter((r) => r.k === 'kubelet.container-exit');
    expect(exits.map((r) => [r.pod, r.exitCode])).toEqual([
      ['default/polite', 0],
      ['default/stubborn', 137],
    ]);
    expect(measured.polite).toBeLessThanOrEqual(1_000_000);
    expect(measured.stubborn).toBeGreaterThanOrEqual(5_000_000);
    expect(measured.stubborn).toBeLessThanOrEqual(6_000_000);
    const phases = trace
      .filter((r) => r.k === 'kubelet.pod-phase')
      .map((r) => `${r.pod} ${r.phase}`);
    expect(phases).toContain('default/polite Succeeded');
    expect(phases).toContain('default/stubborn Failed');
  });

  it('reports ErrImagePull then ImagePullBackOff when pulls fail', async () => {
    const sim = controlPlane();
    spawnNode(sim, {
      runtime: {
        faults: {
          imagePullFailureProbability: 1,
          containerStartFailureProbability: 0,
          crashAfterStartProbability: 0,
          crashWithinUs: 0,
        },
      },
    });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      await api.create(pod('nopull'));
      const reasons = new Set<string>();
      await waitFor(
        ports,
        'both reasons',
        async () => {
          const p = await getPod(api, 'nopull');
          const r = p?.status?.containerStatuses?.[0]?.state?.waiting?.reason;
          if (r !== undefined) reasons.add(r);
          expect(p?.status?.phase).toBe('Pending');
          return reasons.has('ErrImagePull') && reasons.has('ImagePullBackOff') ? true : undefined;
        },
        20_000_000,
        100_000,
      );
    });
  });
});
