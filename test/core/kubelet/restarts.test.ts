import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { getPod, pod, podInPhase, recordTrace, waitFor } from './harness.ts';

const exiting = (
  name: string,
  restartPolicy: Pod['spec']['restartPolicy'],
  exitCode: number,
  afterSeconds = 1,
): Pod =>
  pod(name, {
    restartPolicy,
    containers: [
      {
        name: 'app',
        image: 'busybox:1.36',
        env: [
          { name: 'KSIM_EXIT_AFTER_SECONDS', value: String(afterSeconds) },
          { name: 'KSIM_EXIT_CODE', value: String(exitCode) },
        ],
      },
    ],
  });

const PRELOADED = { runtime: { preloadedImages: ['busybox:1.36', 'nginx:1.25'] } };

describe('kubelet restarts', () => {
  it('restarts a crashing container under Always with CrashLoopBackOff 0, 10 s, 20 s, 40 s', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    const waitingReasons = new Set<string>();
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      await api.create(exiting('crash', 'Always', 1));
      const p = await waitFor(
        ports,
        'restartCount 4',
        async () => {
          const got = await getPod(api, 'crash');
          const reason = got?.status?.containerStatuses?.[0]?.state?.waiting?.reason;
          if (reason !== undefined) waitingReasons.add(reason);
          return (got?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 4 ? got : undefined;
        },
        120_000_000,
        500_000,
      );
      expect(p.status?.phase).toBe('Running');
      expect(p.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({
        exitCode: 1,
        reason: 'Error',
      });
    });
    expect(waitingReasons).toContain('CrashLoopBackOff');
    const starts = trace.filter((r) => r.k === 'kubelet.container-start').map((r) => r.t);
    // Trace time counts from 0; the runtime's timestamps are wall-clock time.
    const exits = trace
      .filter((r) => r.k === 'kubelet.container-exit')
      .map((r) => (r.finishedAtUs as number) - sim.epochUs);
    expect(
      trace.filter((r) => r.k === 'kubelet.container-start').map((r) => r.restartCount),
    ).toEqual([0, 1, 2, 3, 4]);
    // From each exit to the next start: the backoff, plus for the immediate first restart up to
    // one PLEG period to notice the exit, plus create + start latency.
    const gaps = exits.slice(0, 4).map((t, i) => (starts[i + 1] as number) - t);
    const expected = [0, 10_000_000, 20_000_000, 40_000_000];
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i] as number);
      expect(gap).toBeLessThanOrEqual((expected[i] as number) + 1_200_000);
    });
  });

  it.each([
    ['Never', 0, 'Succeeded'],
    ['Never', 1, 'Failed'],
    ['OnFailure', 0, 'Succeeded'],
  ] as const)('restartPolicy %s with exit %i ends %s', async (policy, code, phase) => {
    const sim = controlPlane();
    spawnNode(sim, PRELOADED);
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      await api.create(exiting('job', policy, code, 2));
      const p = await waitFor(ports, phase, podInPhase(api, 'job', phase), 10_000_000, 100_000);
      const cs = p.status?.containerStatuses?.[0];
      expect(cs?.state?.terminated).toMatchObject({
        exitCode: code,
        reason: code === 0 ? 'Completed' : 'Error',
      });
      expect(cs?.restartCount).toBe(0);
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
      if (phase === 'Succeeded')
        expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('PodCompleted');
      // Still there: terminal pods stay until someone deletes them.
      await ports.clock.sleep(15_000_000);
      expect((await getPod(api, 'job'))?.status?.phase).toBe(phase);
    });
  });

  /**
   * What the runtime really did, from the trace: the container starts and exits of 100 s of a
   * container that exits 1 s after each start. Never never restarts; OnFailure restarts only
   * after a failure; Always restarts after any exit. Each restart waits out CrashLoopBackOff:
   * 0, 10, 20, 40 s after the exit, plus at most a PLEG period and the create/start latency.
   */
  it.each([
    ['Never', 0, 1],
    ['Never', 1, 1],
    ['OnFailure', 0, 1],
    ['OnFailure', 1, 5],
    ['Always', 0, 5],
    ['Always', 1, 5],
  ] as const)(
    'restartPolicy %s, exit %i: the runtime starts the container %i times in 100 s',
    async (policy, code, startsExpected) => {
      const sim = controlPlane();
      const trace = recordTrace(sim);
      spawnNode(sim, PRELOADED);
      await runScript(sim, async (api, ports) => {
        await ports.clock.sleep(1_000_000);
        await api.create(exiting('c', policy, code));
        await ports.clock.sleep(100_000_000);
      });
      const starts = trace.filter((r) => r.k === 'kubelet.container-start').map((r) => r.t);
      const exits = trace
        .filter((r) => r.k === 'kubelet.container-exit')
        .map((r) => (r.finishedAtUs as number) - sim.epochUs);
      expect(starts).toHaveLength(startsExpected);
      expect(exits.length).toBeGreaterThanOrEqual(starts.length - 1);
      const backoff = [0, 10_000_000, 20_000_000, 40_000_000];
      for (let i = 1; i < starts.length; i++) {
        const gap = (starts[i] as number) - (exits[i - 1] as number);
        expect(gap).toBeGreaterThanOrEqual(backoff[i - 1] as number);
        expect(gap).toBeLessThanOrEqual((backoff[i - 1] as number) + 1_200_000);
      }
    },
  );

  it('restarts a failed container under OnFailure and runs init containers first', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      await api.create({
        ...exiting('retry', 'OnFailure', 1),
        spec: {
          ...exiting('retry', 'OnFailure', 1).spec,
          initContainers: [
            { name: 'setup', image: 'busybox:1.36', command: ['sh', '-c', 'sleep 2; exit 0'] },
          ],
        },
      });
      const p = await waitFor(
        ports,
        'restarted',
        async () => {
          const got = await getPod(api, 'retry');
          return (got?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? got : undefined;
        },
        20_000_000,
        100_000,
      );
      expect(p.status?.phase).toBe('Running');
      expect(p.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({
        exitCode: 0,
      });
      expect(p.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    });
    const starts = trace.filter((r) => r.k === 'kubelet.container-start').map((r) => r.container);
    expect(starts.slice(0, 3)).toEqual(['setup', 'app', 'app']);
  });

  it('brings pods back after a node crash and restart, with restartCount incremented and the lease renewed', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      await api.create(pod('web'));
      await api.create(
        pod('db', {
          containers: [{ name: 'db', image: 'busybox:1.36', command: ['sleep', 'infinity'] }],
        }),
      );
      await waitFor(ports, 'web Running', podInPhase(api, 'web', 'Running'), 5_000_000);
      await waitFor(ports, 'db Running', podInPhase(api, 'db', 'Running'), 5_000_000);
      const before = await api.get('Lease', 'kube-node-lease', 'node-1');
      sim.crash('node-1');
      await ports.clock.sleep(20_000_000);
      const stale = await api.get('Lease', 'kube-node-lease', 'node-1');
      expect(
        stale.ok && before.ok && stale.value.spec?.renewTime === before.value.spec?.renewTime,
      ).toBe(true);
      sim.restart('node-1');
      for (const name of ['web', 'db']) {
        const p = await waitFor(
          ports,
          `${name} back`,
          podInPhase(
            api,
            name,
            'Running',
            (x) =>
              x.status?.containerStatuses?.[0]?.restartCount === 1 &&
              x.status.containerStatuses[0].state?.running !== undefined &&
              x.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
          ),
          10_000_000,
          50_000,
        );
        expect(p.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({
          exitCode: 255,
          reason: 'Unknown',
        });
      }
      await waitFor(
        ports,
        'lease renewed',
        async () => {
          const l = await api.get('Lease', 'kube-node-lease', 'node-1');
          return l.ok && stale.ok && l.value.spec?.renewTime !== stale.value.spec?.renewTime
            ? true
            : undefined;
        },
        2_000_000,
      );
    });
    const registered = trace.filter((r) => r.k === 'kubelet.node-registered');
    expect(registered.map((r) => r.existing)).toEqual([false, true]);
  });
});
