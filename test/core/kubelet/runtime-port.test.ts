import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type {
  EventSubscription,
  Runtime,
  RuntimeEventHandlers,
  SandboxConfig,
  SandboxStatus,
} from '../../../core/ports/runtime.ts';
import type { SimRuntime } from '../../../sim/runtime.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { getPod, pod, podInPhase, recordTrace, waitFor } from './harness.ts';

/** The machine's runtime with some methods replaced. */
function withOverrides(rt: SimRuntime, overrides: Partial<Runtime>): Runtime {
  return new Proxy(rt, {
    get(target, key) {
      const own = (overrides as Record<PropertyKey, unknown>)[key];
      if (own !== undefined) return own;
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as unknown as Runtime;
}

/** Records the sandbox configs the kubelet asks for and the statuses the runtime answers. */
function recording(sandboxes: SandboxConfig[], statuses: SandboxStatus[]) {
  return (rt: SimRuntime) =>
    withOverrides(rt, {
      runPodSandbox: (config) => {
        sandboxes.push(config);
        return rt.runPodSandbox(config);
      },
      podSandboxStatus: async (id) => {
        const r = await rt.podSandboxStatus(id);
        if (r.ok) statuses.push(r.value);
        return r;
      },
    });
}

/** An event stream that can be broken, as a gRPC stream breaks when containerd restarts. */
class BreakableEvents {
  subscriptions = 0;
  private live: { handlers: RuntimeEventHandlers; sub: EventSubscription }[] = [];

  subscribe(rt: SimRuntime, handlers: RuntimeEventHandlers): EventSubscription {
    this.subscriptions++;
    const entry = { handlers, sub: rt.subscribeEvents(handlers) };
    this.live.push(entry);
    return { close: () => entry.sub.close() };
  }

  break(): void {
    for (const e of this.live) {
      e.sub.close();
      e.handlers.onClose('stream reset by peer');
    }
    this.live = [];
  }
}

/** Calls `fn` once, `afterUs` after the first container of the node starts. */
function afterFirstStart(
  rt: SimRuntime,
  ports: ProcessPorts,
  afterUs: number,
  fn: (sandboxId: string) => void,
): void {
  const sub = rt.subscribeEvents({
    onEvent: (e) => {
      if (e.kind !== 'container-started') return;
      sub.close();
      ports.clock.setTimer(afterUs, () => fn(e.container.sandboxId));
    },
    onClose: () => {},
  });
}

const PRELOADED = { preloadedImages: ['busybox:1.36', 'nginx:1.25'] };

const exitingAfter = (name: string, seconds: number, env: Record<string, string> = {}): Pod =>
  pod(name, {
    restartPolicy: 'Never',
    containers: [
      {
        name: 'app',
        image: 'busybox:1.36',
        env: Object.entries({ KSIM_EXIT_AFTER_SECONDS: String(seconds), ...env }).map(([k, v]) => ({
          name: k,
          value: v,
        })),
      },
    ],
  });

describe('kubelet and the runtime port', () => {
  it('hands the sandbox its DNS, hostname and hostPorts, and reports the IP the runtime chose', async () => {
    const sim = controlPlane();
    const sandboxes: SandboxConfig[] = [];
    const statuses: SandboxStatus[] = [];
    spawnNode(sim, { runtime: PRELOADED, wrapRuntime: recording(sandboxes, statuses) });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      const web = pod('web', {
        hostname: 'frontend',
        dnsConfig: { searches: ['example.com'], options: [{ name: 'ndots', value: '2' }] },
        containers: [
          {
            name: 'app',
            image: 'nginx:1.25',
            ports: [
              { containerPort: 80, hostPort: 8080 },
              { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '172.20.1.2' },
              { containerPort: 9090 },
            ],
          },
        ],
      });
      const host = pod('agent', { hostNetwork: true });
      expect((await api.create(web)).ok).toBe(true);
      expect((await api.create(host)).ok).toBe(true);
      const runningWeb = await waitFor(ports, 'web', podInPhase(api, 'web', 'Running'), 5e6);
      const runningHost = await waitFor(ports, 'agent', podInPhase(api, 'agent', 'Running'), 5e6);
      const [webConfig, hostConfig] = [
        sandboxes.find((s) => s.name === 'web'),
        sandboxes.find((s) => s.name === 'agent'),
      ];
      expect(webConfig).toEqual({
        podUid: runningWeb.metadata.uid,
        name: 'web',
        namespace: 'default',
        attempt: 0,
        hostname: 'frontend',
        hostNetwork: false,
        dns: {
          servers: ['10.96.0.10'],
          searches: [
            'default.svc.cluster.local',
            'svc.cluster.local',
            'cluster.local',
            'example.com',
          ],
          options: ['ndots:2'],
        },
        portMappings: [
          { protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIP: '' },
          { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIP: '172.20.1.2' },
        ],
      });
      // ClusterFirst on the host network falls back to the node's resolver.
      expect(hostConfig).toMatchObject({
        hostNetwork: true,
        hostname: '',
        dns: { servers: [], searches: [], options: [] },
      });
      const webStatus = statuses.find((s) => s.name === 'web');
      expect(webStatus?.network.kind).toBe('pod');
      if (webStatus?.network.kind !== 'pod') return;
      expect(runningWeb.status?.podIP).toBe(webStatus.network.ip);
      expect(webStatus.network).toMatchObject({ prefixLength: 24, gateway: '10.244.1.1' });
      expect(webStatus.network.netnsPath).toMatch(/^\/var\/run\/netns\/cni-/);
      expect(runningHost.status?.podIP).toBe(runningHost.status?.hostIP);
    });
  });

  it('notices an exit through the event stream at the moment it happens (EventedPLEG)', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, { runtime: PRELOADED, kubelet: { eventedPLEG: true } });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      await api.create(exitingAfter('job', 2.345678));
      await waitFor(ports, 'Succeeded', podInPhase(api, 'job', 'Succeeded'), 10e6);
    });
    const exit = trace.find((r) => r.k === 'kubelet.container-exit');
    expect(exit?.exitCode).toBe(0);
    expect(exit?.t).toBe((exit?.finishedAtUs as number) - sim.epochUs);
  });

  it('reports an out-of-memory kill as terminated with 137 and reason OOMKilled', async () => {
    const sim = controlPlane();
    spawnNode(sim, { runtime: PRELOADED });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      await api.create(exitingAfter('hog', 30, { KSIM_OOM_AFTER_SECONDS: '1' }));
      const failed = await waitFor(ports, 'Failed', podInPhase(api, 'hog', 'Failed'), 10e6);
      expect(failed.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
        exitCode: 137,
        reason: 'OOMKilled',
      });
    });
  });

  it('relists every second while the event stream is down, and subscribes again (EventedPLEG)', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    const events = new BreakableEvents();
    spawnNode(sim, {
      runtime: PRELOADED,
      kubelet: { eventedPLEG: true },
      wrapRuntime: (rt, ports) => {
        // The stream breaks 2.5 s into the container's 3 s: the exit happens while it is down.
        afterFirstStart(rt, ports, 2_500_000, () => events.break());
        return withOverrides(rt, { subscribeEvents: (h) => events.subscribe(rt, h) });
      },
    });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      await api.create(exitingAfter('job', 3));
      await waitFor(ports, 'Succeeded', podInPhase(api, 'job', 'Succeeded'), 10e6);
    });
    const exit = trace.find((r) => r.k === 'kubelet.container-exit');
    // Noticed by the first relist after the break, 1 s after it: 0.5 s after the exit.
    expect((exit?.t as number) - ((exit?.finishedAtUs as number) - sim.epochUs)).toBe(500_000);
    expect(events.subscriptions).toBe(2);
  });

  it('makes a new sandbox when the runtime loses the old one, and restarts the containers', async () => {
    const sim = controlPlane();
    const sandboxes: SandboxConfig[] = [];
    const statuses: SandboxStatus[] = [];
    spawnNode(sim, {
      runtime: PRELOADED,
      wrapRuntime: (rt, ports) => {
        afterFirstStart(rt, ports, 1_000_000, (id) => void rt.stopPodSandbox(id));
        return recording(sandboxes, statuses)(rt);
      },
    });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      await api.create(pod('web'));
      const p = await waitFor(
        ports,
        'restarted',
        async () => {
          const got = await getPod(api, 'web');
          const cs = got?.status?.containerStatuses?.[0];
          return cs?.restartCount === 1 && cs.state?.running !== undefined ? got : undefined;
        },
        10e6,
      );
      expect(p.status?.phase).toBe('Running');
      expect(p.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(137);
    });
    expect(sandboxes.map((s) => s.attempt)).toEqual([0, 1]);
    expect(statuses.map((s) => s.attempt)).toEqual([0, 1]);
  });
});
