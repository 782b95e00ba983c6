import { describe, expect, it } from 'vitest';
import type { ProcessPorts } from '../../core/ports/process.ts';
import type { ContainerConfig } from '../../core/ports/runtime.ts';
import { containerBehaviour } from '../../sim/runtime-behaviour.ts';
import { NO_RUNTIME_FAULTS, SimRuntime, type SimRuntimeOptions } from '../../sim/runtime.ts';
import { Simulation } from '../../sim/simulation.ts';

/** Runs `body` in a machine process with its own runtime; resolves when it finishes. */
async function onMachine(
  body: (rt: SimRuntime, ports: ProcessPorts) => Promise<void>,
  options: Partial<SimRuntimeOptions> = {},
  seed = 1,
): Promise<Simulation> {
  const sim = new Simulation({ seed });
  let done = false;
  sim.spawnProcess('machine', (p) => {
    const rt = new SimRuntime(p, options);
    p.spawn(async () => {
      await body(rt, p);
      done = true;
    });
    return rt;
  });
  await sim.run({ untilUs: 1_000_000_000, stopWhen: () => done });
  expect(done).toBe(true);
  return sim;
}

async function runContainer(rt: SimRuntime, config: ContainerConfig): Promise<string> {
  const sb = await rt.runPodSandbox({ podUid: 'u', name: 'p', namespace: 'default' });
  if (!sb.ok) throw new Error(sb.message);
  if (!rt.hasImage(config.image)) await rt.pullImage(config.image);
  const c = await rt.createContainer(sb.value.sandboxId, config);
  if (!c.ok) throw new Error(c.message);
  const s = await rt.startContainer(c.value.containerId);
  if (!s.ok) throw new Error(s.message);
  return c.value.containerId;
}

const stateOf = (rt: SimRuntime, id: string) => rt.listContainers().find((c) => c.id === id);

describe('SimRuntime', () => {
  it('pulls a new image in 2-3 s, shares concurrent pulls, then serves it from cache', async () => {
    await onMachine(async (rt, p) => {
      const t0 = p.clock.now();
      const [a, b] = await Promise.all([rt.pullImage('nginx:1.25'), rt.pullImage('nginx:1.25')]);
      const pullUs = p.clock.now() - t0;
      expect(pullUs).toBeGreaterThanOrEqual(2_000_000);
      expect(pullUs).toBeLessThanOrEqual(3_000_000);
      expect(a).toBe(b);
      expect(a.ok && a.value.imageRef).toMatch(/^nginx@sha256:[0-9a-f]{64}$/);
      expect(rt.hasImage('nginx:1.25')).toBe(true);
      const t1 = p.clock.now();
      await rt.pullImage('nginx:1.25');
      expect(p.clock.now() - t1).toBe(100_000);
    });
  });

  it('creates and starts with the configured latencies and lists containers sorted by id', async () => {
    await onMachine(
      async (rt, p) => {
        const t0 = p.clock.now();
        const sb = await rt.runPodSandbox({ podUid: 'u', name: 'p', namespace: 'default' });
        expect(p.clock.now() - t0).toBe(300_000);
        if (!sb.ok) throw new Error('sandbox');
        const ids: string[] = [];
        for (const name of ['a', 'b', 'c', 'd']) {
          const c = await rt.createContainer(sb.value.sandboxId, { name, image: 'pause:3.9' });
          if (!c.ok) throw new Error(c.message);
          ids.push(c.value.containerId);
        }
        const t1 = p.clock.now();
        expect((await rt.startContainer(ids[0] as string)).ok).toBe(true);
        expect(p.clock.now() - t1).toBe(100_000);
        const list = rt.listContainers();
        expect(list.map((c) => c.id)).toEqual([...ids].sort());
        expect(rt.listContainers()).toBe(list);
        expect(stateOf(rt, ids[0] as string)).toMatchObject({
          state: 'running',
          startedAtUs: p.clock.now(),
        });
        expect(ids.every((id) => /^[0-9a-f]{64}$/.test(id))).toBe(true);
      },
      { preloadedImages: ['pause:3.9'] },
    );
  });

  it('refuses to create a container whose image is absent', async () => {
    await onMachine(async (rt) => {
      const sb = await rt.runPodSandbox({ podUid: 'u', name: 'p', namespace: 'default' });
      if (!sb.ok) throw new Error('sandbox');
      const c = await rt.createContainer(sb.value.sandboxId, { name: 'a', image: 'missing:1' });
      expect(c.ok ? '' : c.reason).toBe('ImageNotFound');
    });
  });

  it('runs the container behaviour convention: sleep, sh -c and KSIM_ env variables', async () => {
    await onMachine(
      async (rt, p) => {
        const sleeper = await runContainer(rt, {
          name: 's',
          image: 'busybox',
          command: ['sleep', '2'],
        });
        const script = await runContainer(rt, {
          name: 'x',
          image: 'busybox',
          command: ['/bin/sh', '-c', 'echo hi; sleep 1; exit 3'],
        });
        const env = await runContainer(rt, {
          name: 'e',
          image: 'busybox',
          env: { KSIM_EXIT_AFTER_SECONDS: '0.5', KSIM_EXIT_CODE: '7' },
        });
        const server = await runContainer(rt, { name: 'n', image: 'nginx' });
        const startedUs = p.clock.now();
        await p.clock.sleep(3_000_000);
        expect(stateOf(rt, env)).toMatchObject({ state: 'exited', exitCode: 7, reason: 'Error' });
        expect(stateOf(rt, script)).toMatchObject({ state: 'exited', exitCode: 3 });
        expect(stateOf(rt, sleeper)).toMatchObject({
          state: 'exited',
          exitCode: 0,
          reason: 'Completed',
        });
        const s = stateOf(rt, sleeper);
        expect((s?.finishedAtUs ?? 0) - (s?.startedAtUs ?? 0)).toBe(2_000_000);
        expect(stateOf(rt, server)?.state).toBe('running');
        expect(startedUs).toBeGreaterThan(0);
      },
      { preloadedImages: ['busybox', 'nginx'] },
    );
  });

  it('stops on SIGTERM within the shutdown time, or kills with 137 when the grace runs out', async () => {
    await onMachine(
      async (rt, p) => {
        const polite = await runContainer(rt, { name: 'a', image: 'nginx' });
        const stubborn = await runContainer(rt, {
          name: 'b',
          image: 'nginx',
          env: { KSIM_SHUTDOWN_SECONDS: '60' },
        });
        const t0 = p.clock.now();
        await rt.stopContainer(polite, 30_000_000);
        expect(p.clock.now() - t0).toBeLessThanOrEqual(500_000);
        expect(stateOf(rt, polite)).toMatchObject({ state: 'exited', exitCode: 0 });
        const t1 = p.clock.now();
        await Promise.all([
          rt.stopContainer(stubborn, 10_000_000),
          p.clock.sleep(1_000).then(() => rt.stopContainer(stubborn, 2_000_000)),
        ]);
        expect(p.clock.now() - t1).toBe(2_001_000);
        expect(stateOf(rt, stubborn)).toMatchObject({ state: 'exited', exitCode: 137 });
        expect((await rt.removeContainer(stubborn)).ok).toBe(true);
        expect(stateOf(rt, stubborn)).toBeUndefined();
      },
      { preloadedImages: ['nginx'] },
    );
  });

  it('injects pull, start and crash faults', async () => {
    const faults = { ...NO_RUNTIME_FAULTS, imagePullFailureProbability: 1 };
    await onMachine(
      async (rt) => {
        const r = await rt.pullImage('nginx:1');
        expect(r.ok ? '' : r.reason).toBe('ErrImagePull');
        expect(rt.hasImage('nginx:1')).toBe(false);
      },
      { faults },
    );
    await onMachine(
      async (rt) => {
        const sb = await rt.runPodSandbox({ podUid: 'u', name: 'p', namespace: 'default' });
        if (!sb.ok) throw new Error('sandbox');
        const c = await rt.createContainer(sb.value.sandboxId, { name: 'a', image: 'nginx' });
        if (!c.ok) throw new Error('create');
        const s = await rt.startContainer(c.value.containerId);
        expect(s.ok ? '' : s.reason).toBe('StartError');
        expect(stateOf(rt, c.value.containerId)).toMatchObject({
          state: 'exited',
          exitCode: 128,
          reason: 'StartError',
        });
      },
      {
        preloadedImages: ['nginx'],
        faults: { ...NO_RUNTIME_FAULTS, containerStartFailureProbability: 1 },
      },
    );
    await onMachine(
      async (rt, p) => {
        const id = await runContainer(rt, { name: 'a', image: 'nginx' });
        await p.clock.sleep(5_000_000);
        expect(stateOf(rt, id)).toMatchObject({ state: 'exited', exitCode: 1 });
      },
      {
        preloadedImages: ['nginx'],
        faults: { ...NO_RUNTIME_FAULTS, crashAfterStartProbability: 1, crashWithinUs: 5_000_000 },
      },
    );
  });

  it('belongs to its machine: a crash loses containers and images', async () => {
    const sim = new Simulation({ seed: 3 });
    const runtimes: SimRuntime[] = [];
    sim.spawnProcess('machine', (p) => {
      const rt = new SimRuntime(p);
      runtimes.push(rt);
      if (p.incarnation === 1)
        p.spawn(() => runContainer(rt, { name: 'a', image: 'nginx', command: ['sleep', '5'] }));
      return rt;
    });
    await sim.run({ untilUs: 4_000_000 });
    expect(runtimes[0]?.listContainers().map((c) => c.state)).toEqual(['running']);
    sim.crash('machine');
    sim.restart('machine');
    await sim.run({ untilUs: 20_000_000 });
    // The dead incarnation's exit timer never fires; the new one starts empty.
    expect(runtimes[0]?.listContainers().map((c) => c.state)).toEqual(['running']);
    expect(runtimes[1]?.listContainers()).toEqual([]);
    expect(runtimes[1]?.hasImage('nginx')).toBe(false);
  });

  it('draws the same ids and latencies from the same seed', async () => {
    const run = async (seed: number) => {
      const out: unknown[] = [];
      await onMachine(
        async (rt, p) => {
          out.push(await runContainer(rt, { name: 'a', image: 'nginx' }), p.clock.now());
        },
        {},
        seed,
      );
      return out;
    };
    expect(await run(5)).toEqual(await run(5));
    expect(await run(5)).not.toEqual(await run(6));
  });
});

describe('containerBehaviour', () => {
  it.each([
    [{ command: ['sleep', '30'] }, 30_000_000, 0],
    [{ command: ['/bin/sleep'], args: ['1.5'] }, 1_500_000, 0],
    [{ command: ['sleep', 'infinity'] }, undefined, 0],
    [{ command: ['sh', '-c', 'sleep 2 && exit 4'] }, 2_000_000, 4],
    [{ command: ['bash', '-c', 'echo start; false'] }, 0, 1],
    [{ command: ['sh', '-c', 'while true; do sleep 1; done'] }, undefined, 0],
    [{ command: ['nginx', '-g', 'daemon off;'] }, undefined, 0],
    [{ env: { KSIM_EXIT_CODE: '2' } }, 0, 2],
    [{ command: ['sleep', '1'], env: { KSIM_EXIT_AFTER_SECONDS: '9' } }, 9_000_000, 0],
    [{}, undefined, 0],
  ] as const)('%j exits after %s us with %i', (config, exitAfterUs, exitCode) => {
    const b = containerBehaviour({ name: 'c', image: 'i', ...config });
    expect(b.exitAfterUs).toBe(exitAfterUs);
    if (exitAfterUs !== undefined) expect(b.exitCode).toBe(exitCode);
  });
});
