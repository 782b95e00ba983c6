import { describe, expect, it } from 'vitest';
import type { ProcessPorts } from '../../core/ports/process.ts';
import type {
  ContainerConfig,
  ContainerStatus,
  RuntimeEvent,
  SandboxConfig,
} from '../../core/ports/runtime.ts';
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

const POD_CIDR = '10.244.1.0/24';

function sandboxConfig(overrides: Partial<SandboxConfig> = {}): SandboxConfig {
  return {
    podUid: 'u',
    name: 'p',
    namespace: 'default',
    attempt: 0,
    hostname: 'p',
    hostNetwork: false,
    dns: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: [] },
    portMappings: [],
    ...overrides,
  };
}

/** A sandbox on a runtime that knows its pod CIDR. */
async function newSandbox(rt: SimRuntime, overrides: Partial<SandboxConfig> = {}): Promise<string> {
  expect((await rt.updateRuntimeConfig({ podCIDR: POD_CIDR })).ok).toBe(true);
  const sb = await rt.runPodSandbox(sandboxConfig(overrides));
  if (!sb.ok) throw new Error(sb.message);
  return sb.value.sandboxId;
}

async function runContainer(
  rt: SimRuntime,
  config: Omit<ContainerConfig, 'attempt'>,
  sandboxId?: string,
): Promise<string> {
  const sb = sandboxId ?? (await newSandbox(rt));
  const image = await rt.imageStatus(config.image);
  if (image.ok && image.value === undefined) await rt.pullImage(config.image);
  const c = await rt.createContainer(sb, { attempt: 0, ...config });
  if (!c.ok) throw new Error(c.message);
  const s = await rt.startContainer(c.value.containerId);
  if (!s.ok) throw new Error(s.message);
  return c.value.containerId;
}

async function containers(rt: SimRuntime): Promise<readonly ContainerStatus[]> {
  const r = await rt.listContainers();
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

const stateOf = async (rt: SimRuntime, id: string) =>
  (await containers(rt)).find((c) => c.id === id);

async function hasImage(rt: SimRuntime, image: string): Promise<boolean> {
  const r = await rt.imageStatus(image);
  return r.ok && r.value !== undefined;
}

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
      expect(await hasImage(rt, 'nginx:1.25')).toBe(true);
      const status = await rt.imageStatus('nginx:1.25');
      expect(status.ok && status.value?.imageRef).toBe(a.ok && a.value.imageRef);
      const t1 = p.clock.now();
      await rt.pullImage('nginx:1.25');
      expect(p.clock.now() - t1).toBe(100_000);
    });
  });

  it('creates and starts with the configured latencies and lists containers sorted by id', async () => {
    await onMachine(
      async (rt, p) => {
        const t0 = p.clock.now();
        const sb = await newSandbox(rt);
        expect(p.clock.now() - t0).toBe(300_000);
        const ids: string[] = [];
        for (const name of ['a', 'b', 'c', 'd']) {
          const c = await rt.createContainer(sb, { name, attempt: 0, image: 'pause:3.9' });
          if (!c.ok) throw new Error(c.message);
          ids.push(c.value.containerId);
        }
        const t1 = p.clock.now();
        expect((await rt.startContainer(ids[0] as string)).ok).toBe(true);
        expect(p.clock.now() - t1).toBe(100_000);
        const list = await containers(rt);
        expect(list.map((c) => c.id)).toEqual([...ids].sort());
        expect(await containers(rt)).toBe(list);
        expect(await stateOf(rt, ids[0] as string)).toMatchObject({
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
      const sb = await newSandbox(rt);
      const c = await rt.createContainer(sb, { name: 'a', attempt: 0, image: 'missing:1' });
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
        expect(await stateOf(rt, env)).toMatchObject({
          state: 'exited',
          exitCode: 7,
          reason: 'Error',
        });
        expect(await stateOf(rt, script)).toMatchObject({ state: 'exited', exitCode: 3 });
        expect(await stateOf(rt, sleeper)).toMatchObject({
          state: 'exited',
          exitCode: 0,
          reason: 'Completed',
        });
        const s = await stateOf(rt, sleeper);
        expect((s?.finishedAtUs ?? 0) - (s?.startedAtUs ?? 0)).toBe(2_000_000);
        expect((await stateOf(rt, server))?.state).toBe('running');
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
        expect(await stateOf(rt, polite)).toMatchObject({ state: 'exited', exitCode: 0 });
        const t1 = p.clock.now();
        await Promise.all([
          rt.stopContainer(stubborn, 10_000_000),
          p.clock.sleep(1_000).then(() => rt.stopContainer(stubborn, 2_000_000)),
        ]);
        expect(p.clock.now() - t1).toBe(2_001_000);
        expect(await stateOf(rt, stubborn)).toMatchObject({ state: 'exited', exitCode: 137 });
        expect((await rt.removeContainer(stubborn)).ok).toBe(true);
        expect(await stateOf(rt, stubborn)).toBeUndefined();
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
        expect(await hasImage(rt, 'nginx:1')).toBe(false);
      },
      { faults },
    );
    await onMachine(
      async (rt) => {
        const sb = await newSandbox(rt);
        const c = await rt.createContainer(sb, { name: 'a', attempt: 0, image: 'nginx' });
        if (!c.ok) throw new Error('create');
        const s = await rt.startContainer(c.value.containerId);
        expect(s.ok ? '' : s.reason).toBe('StartError');
        expect(await stateOf(rt, c.value.containerId)).toMatchObject({
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
        expect(await stateOf(rt, id)).toMatchObject({ state: 'exited', exitCode: 1 });
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
    const [first, second] = [() => runtimes[0] as SimRuntime, () => runtimes[1] as SimRuntime];
    await sim.run({ untilUs: 4_000_000 });
    expect((await containers(first())).map((c) => c.state)).toEqual(['running']);
    sim.crash('machine');
    sim.restart('machine');
    await sim.run({ untilUs: 20_000_000 });
    // The dead incarnation's exit timer never fires; the new one starts empty.
    expect((await containers(first())).map((c) => c.state)).toEqual(['running']);
    expect(await containers(second())).toEqual([]);
    expect(await hasImage(second(), 'nginx')).toBe(false);
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

/** Every event, as "kind name state exitCode reason" (or "kind sandbox state"). */
function recordEvents(rt: SimRuntime): string[] {
  const log: string[] = [];
  rt.subscribeEvents({
    onEvent: (e: RuntimeEvent) => {
      if (e.kind === 'sandbox-stopped') log.push(`${e.kind} ${e.sandbox.name} ${e.sandbox.state}`);
      else {
        const c = e.container;
        log.push(
          [e.kind, c.name, c.state, c.exitCode, c.reason].filter((x) => x !== undefined).join(' '),
        );
      }
    },
    onClose: () => log.push('closed'),
  });
  return log;
}

describe('SimRuntime events', () => {
  it('reports created, started, exited with code and reason, removed and sandbox-stopped', async () => {
    await onMachine(
      async (rt, p) => {
        const log = recordEvents(rt);
        const sb = await newSandbox(rt);
        const job = await runContainer(
          rt,
          { name: 'job', image: 'busybox', command: ['sh', '-c', 'exit 3'] },
          sb,
        );
        await runContainer(rt, { name: 'srv', image: 'busybox' }, sb);
        await p.clock.sleep(1_000);
        expect((await rt.removeContainer(job)).ok).toBe(true);
        expect((await rt.stopPodSandbox(sb)).ok).toBe(true);
        expect(log).toEqual([
          'container-created job created',
          'container-started job running',
          'container-exited job exited 3 Error',
          'container-created srv created',
          'container-started srv running',
          'container-removed job exited 3 Error',
          'container-exited srv exited 137 Error',
          'sandbox-stopped p notready',
        ]);
      },
      { preloadedImages: ['busybox'] },
    );
  });

  it('reports an out-of-memory kill as an exit with 137 and reason OOMKilled', async () => {
    await onMachine(
      async (rt, p) => {
        const log = recordEvents(rt);
        const id = await runContainer(rt, {
          name: 'hog',
          image: 'busybox',
          command: ['sleep', '60'],
          env: { KSIM_OOM_AFTER_SECONDS: '2' },
        });
        await p.clock.sleep(5_000_000);
        expect(log.at(-1)).toBe('container-exited hog exited 137 OOMKilled');
        const s = await stateOf(rt, id);
        expect(s).toMatchObject({ state: 'exited', exitCode: 137, reason: 'OOMKilled' });
        expect((s?.finishedAtUs ?? 0) - (s?.startedAtUs ?? 0)).toBe(2_000_000);
      },
      { preloadedImages: ['busybox'] },
    );
  });

  it('agrees with the lists at every event, and stops delivering once closed', async () => {
    await onMachine(
      async (rt, p) => {
        const seen: string[] = [];
        const subscription = rt.subscribeEvents({
          onEvent: (e) => {
            if (e.kind === 'sandbox-stopped') return;
            // The list is queried synchronously inside the handler: it already shows the change.
            void rt.listContainers().then((r) => {
              const listed = r.ok ? r.value.find((c) => c.id === e.container.id) : undefined;
              seen.push(`${e.kind}:${listed?.state ?? 'gone'}`);
            });
          },
          onClose: () => {},
        });
        const id = await runContainer(rt, { name: 'a', image: 'busybox', command: ['sleep', '1'] });
        await p.clock.sleep(2_000_000);
        subscription.close();
        await rt.removeContainer(id);
        expect(seen).toEqual([
          'container-created:created',
          'container-started:running',
          'container-exited:exited',
        ]);
      },
      { preloadedImages: ['busybox'] },
    );
  });
});

describe('SimRuntime networking', () => {
  it('gives a pod sandbox an IP from the pod CIDR, the gateway and a network namespace', async () => {
    await onMachine(async (rt) => {
      const a = await newSandbox(rt);
      const b = await newSandbox(rt, { name: 'q', podUid: 'v' });
      const host = await newSandbox(rt, { name: 'h', podUid: 'w', hostNetwork: true });
      const status = async (id: string) => {
        const r = await rt.podSandboxStatus(id);
        if (!r.ok) throw new Error(r.message);
        return r.value;
      };
      const sa = await status(a);
      expect(sa).toMatchObject({ name: 'p', podUid: 'u', attempt: 0, state: 'ready' });
      expect(sa.network).toMatchObject({
        kind: 'pod',
        ip: '10.244.1.2',
        prefixLength: 24,
        gateway: '10.244.1.1',
      });
      expect(sa.network.kind === 'pod' && sa.network.netnsPath).toMatch(
        /^\/var\/run\/netns\/cni-[0-9a-f-]{36}$/,
      );
      const sb = await status(b);
      expect(sb.network.kind === 'pod' && sb.network.ip).toBe('10.244.1.3');
      expect(sb.network.kind === 'pod' && sb.network.netnsPath).not.toBe(
        sa.network.kind === 'pod' && sa.network.netnsPath,
      );
      expect((await status(host)).network).toEqual({ kind: 'host' });
      const listed = await rt.listPodSandboxes();
      expect(listed.ok && listed.value.map((s) => s.id)).toEqual([a, b, host].sort());
    });
  });

  it('needs the pod CIDR first, frees an IP when its sandbox stops, and reports exhaustion', async () => {
    await onMachine(async (rt) => {
      const early = await rt.runPodSandbox(sandboxConfig());
      expect(early.ok ? '' : early.reason).toBe('NetworkNotReady');
      const hostEarly = await rt.runPodSandbox(sandboxConfig({ hostNetwork: true }));
      expect(hostEarly.ok).toBe(true);
      expect((await rt.updateRuntimeConfig({ podCIDR: '10.244.9.0/29' })).ok).toBe(true);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await rt.runPodSandbox(sandboxConfig({ name: `p${i}` }));
        if (!r.ok) throw new Error(r.message);
        ids.push(r.value.sandboxId);
      }
      const full = await rt.runPodSandbox(sandboxConfig({ name: 'one-too-many' }));
      expect(full.ok ? '' : full.message).toMatch(
        /no IP addresses available in range set: 10\.244\.9\.2-10\.244\.9\.6/,
      );
      await rt.stopPodSandbox(ids[1] as string);
      const again = await rt.runPodSandbox(sandboxConfig({ name: 'again' }));
      if (!again.ok) throw new Error(again.message);
      const st = await rt.podSandboxStatus(again.value.sandboxId);
      expect(st.ok && st.value.network.kind === 'pod' && st.value.network.ip).toBe('10.244.9.3');
      expect((await rt.updateRuntimeConfig({ podCIDR: 'nonsense' })).ok).toBe(false);
    });
  });
});

describe('containerBehaviour', () => {
  it.each([
    [{ command: ['sleep', '30'] }, 30_000_000, 0],
    [{ command: ['/bin/sleep'], args: ['1.5'] }, 1_500_000, 0],
    [{ command: ['sleep', 'infinity'] }, undefined, 0],
    [{ command: ['sh', '-c', 'sleep 2 && exit 4'] }, 2_000_000, 4],
    [{ command: ['bash', '-c', 'echo start; false'] }, 0, 1],
    // The Kubernetes documentation's CronJob example ("Running Automated Tasks with a CronJob").
    [{ command: ['/bin/sh', '-c', 'date; echo Hello from the Kubernetes cluster'] }, 0, 0],
    [{ command: ['sh', '-c', '/bin/date && sleep 3'] }, 3_000_000, 0],
    [{ command: ['sh', '-c', 'while true; do sleep 1; done'] }, undefined, 0],
    [{ command: ['nginx', '-g', 'daemon off;'] }, undefined, 0],
    [{ env: { KSIM_EXIT_CODE: '2' } }, 0, 2],
    [{ command: ['sleep', '1'], env: { KSIM_EXIT_AFTER_SECONDS: '9' } }, 9_000_000, 0],
    [{}, undefined, 0],
  ] as const)('%j exits after %s us with %i', (config, exitAfterUs, exitCode) => {
    const b = containerBehaviour({ name: 'c', attempt: 0, image: 'i', ...config });
    expect(b.exitAfterUs).toBe(exitAfterUs);
    if (exitAfterUs !== undefined) expect(b.exitCode).toBe(exitCode);
  });
});
