import { describe, expect, it } from 'vitest';
import type { Event } from '../../../core/api/cluster-types.ts';
import type { Container, Pod } from '../../../core/api/pod-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import type { TraceRecord } from '../../../core/trace/index.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { getPod, pod, recordTrace, waitFor } from './harness.ts';

const PRELOADED = { runtime: { preloadedImages: ['busybox:1.36', 'nginx:1.25'] } };
const S = 1_000_000;

/** A server container listening on 8080 ("http") with the given ksim behaviour and probes. */
function server(
  name: string,
  env: Record<string, string>,
  probes: Partial<Container> = {},
  spec: Partial<Pod['spec']> = {},
): Pod {
  return pod(name, {
    containers: [
      {
        name: 'app',
        image: 'nginx:1.25',
        ports: [{ name: 'http', containerPort: 8080 }],
        env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
        ...probes,
      },
    ],
    ...spec,
  });
}

function records<K extends TraceRecord['k']>(
  trace: TraceRecord[],
  kind: K,
  pod?: string,
): Extract<TraceRecord, { k: K }>[] {
  return trace.filter(
    (r): r is Extract<TraceRecord, { k: K }> =>
      r.k === kind && (pod === undefined || ('pod' in r && r.pod === `default/${pod}`)),
  );
}

async function eventsOf(api: ApiClient, podName: string): Promise<Event[]> {
  const r = await api.list('Event', 'default');
  if (!r.ok) throw new Error('cannot list events');
  return (r.value.items as Event[]).filter((e) => e.involvedObject.name === podName);
}

function condition(p: Pod | undefined, type: string): string | undefined {
  return p?.status?.conditions?.find((c) => c.type === type)?.status;
}

/** Polls the pod every second and records each change of `type`'s status with its time. */
async function watchCondition(
  api: ApiClient,
  ports: { clock: { now(): number; sleep(us: number): Promise<void> } },
  name: string,
  type: string,
  forUs: number,
  originUs: number,
): Promise<{ atUs: number; status: string | undefined }[]> {
  const seen: { atUs: number; status: string | undefined }[] = [];
  const end = ports.clock.now() + forUs;
  while (ports.clock.now() < end) {
    const status = condition(await getPod(api, name), type);
    if (seen.at(-1)?.status !== status) seen.push({ atUs: ports.clock.now() - originUs, status });
    await ports.clock.sleep(S);
  }
  return seen;
}

describe('kubelet probes', () => {
  it('readiness follows an httpGet probe over time: slow start, a failing window, recovery', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    let transitions: { atUs: number; status: string | undefined }[] = [];
    let events: Event[] = [];
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(
        server(
          'web',
          {
            KSIM_LISTEN_AFTER_SECONDS: '15',
            KSIM_UNHEALTHY: '60-90',
            KSIM_UNHEALTHY_MATCH: '/ready',
          },
          { readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 } },
        ),
      );
      transitions = await watchCondition(api, ports, 'web', 'Ready', 140 * S, sim.epochUs);
      const p = await getPod(api, 'web');
      expect(p?.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      expect(p?.status?.containerStatuses?.[0]?.ready).toBe(true);
      events = await eventsOf(api, 'web');
    });
    const start = records(trace, 'kubelet.container-start', 'web')[0]?.t as number;
    const results = records(trace, 'kubelet.probe-result', 'web');
    expect(results.map((r) => [r.probe, r.result])).toEqual([
      ['readiness', 'success'],
      ['readiness', 'failure'],
      ['readiness', 'success'],
    ]);
    const [up, down, again] = results.map((r) => r.t - start);
    // The port opens at 15 s; the next 5 s tick sees it.
    expect(up).toBeGreaterThanOrEqual(15 * S);
    expect(up).toBeLessThanOrEqual(20 * S + 100_000);
    // Failing from 60 s: three failures in a row, one period apart.
    expect(down).toBeGreaterThanOrEqual(70 * S);
    expect(down).toBeLessThanOrEqual(75 * S + 100_000);
    expect(again).toBeGreaterThanOrEqual(90 * S);
    expect(again).toBeLessThanOrEqual(95 * S + 100_000);
    expect(results[1]?.output).toBe('HTTP probe failed with statuscode: 500');
    // The pod's Ready condition went the same way, each within a status write of the result.
    expect(transitions.map((t) => t.status)).toEqual(['False', 'True', 'False', 'True']);
    transitions.slice(1).forEach((t, i) => {
      const at = results[i]?.t as number;
      expect(t.atUs).toBeGreaterThanOrEqual(at);
      expect(t.atUs).toBeLessThanOrEqual(at + 1_500_000);
    });
    expect(records(trace, 'kubelet.container-kill')).toEqual([]);
    const messages = events.filter((e) => e.reason === 'Unhealthy').map((e) => e.message);
    expect(messages).toContain('Readiness probe failed: HTTP probe failed with statuscode: 500');
    expect(
      messages.some((m) =>
        /^Readiness probe failed: Get "http:\/\/10\.244\.1\.\d+:8080\/ready": dial tcp 10\.244\.1\.\d+:8080: connect: connection refused$/.test(
          m ?? '',
        ),
      ),
    ).toBe(true);
    expect(events.every((e) => e.type === 'Warning' && e.source?.component === 'kubelet')).toBe(
      true,
    );
    expect(events[0]?.involvedObject.fieldPath).toBe('spec.containers{app}');
  });

  it('kills a container that fails its liveness probe with the probe grace period and restarts it with backoff', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    let events: Event[] = [];
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(
        server(
          'wedge',
          {
            KSIM_UNHEALTHY: '20-',
            KSIM_UNHEALTHY_MATCH: '/healthz',
            // Ignores SIGTERM: the kill takes the whole grace period.
            KSIM_SHUTDOWN_SECONDS: '100',
          },
          {
            livenessProbe: {
              httpGet: { path: '/healthz', port: 8080 },
              periodSeconds: 5,
              terminationGracePeriodSeconds: 4,
            },
          },
          { terminationGracePeriodSeconds: 30 },
        ),
      );
      const p = await waitFor(
        ports,
        'two restarts',
        async () => {
          const got = await getPod(api, 'wedge');
          return (got?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 ? got : undefined;
        },
        200 * S,
        S,
      );
      expect(p.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({
        exitCode: 137,
        reason: 'Error',
      });
      events = await eventsOf(api, 'wedge');
    });
    const starts = records(trace, 'kubelet.container-start', 'wedge').map((r) => r.t);
    const kills = records(trace, 'kubelet.container-kill', 'wedge');
    const exits = records(trace, 'kubelet.container-exit', 'wedge');
    expect(kills.map((k) => [k.reason, k.gracePeriodUs])).toEqual([
      ['LivenessProbe', 4 * S],
      ['LivenessProbe', 4 * S],
    ]);
    const failures = records(trace, 'kubelet.probe-result', 'wedge');
    expect(failures.map((r) => [r.probe, r.result])).toEqual([
      ['liveness', 'failure'],
      ['liveness', 'failure'],
    ]);
    // Unhealthy from 20 s after each start: the third failing probe, 10 s after the first.
    for (let i = 0; i < 2; i++) {
      const since = (kills[i]?.t as number) - (starts[i] as number);
      expect(since).toBeGreaterThanOrEqual(30 * S);
      expect(since).toBeLessThanOrEqual(35 * S + 200_000);
      // SIGKILL after the probe's 4 s, not the pod's 30 s.
      expect((exits[i]?.finishedAtUs as number) - sim.epochUs - (kills[i]?.t as number)).toBe(
        4 * S,
      );
      expect(exits[i]?.exitCode).toBe(137);
    }
    // The first restart is immediate, the second waits out 10 s of CrashLoopBackOff.
    const exitAt = exits.map((e) => (e.finishedAtUs as number) - sim.epochUs);
    expect((starts[1] as number) - (exitAt[0] as number)).toBeLessThanOrEqual(1_200_000);
    expect((starts[2] as number) - (exitAt[1] as number)).toBeGreaterThanOrEqual(10 * S);
    expect((starts[2] as number) - (exitAt[1] as number)).toBeLessThanOrEqual(11_200_000);
    const killing = events.filter((e) => e.reason === 'Killing');
    expect(killing.map((e) => [e.type, e.message])).toEqual([
      ['Normal', 'Container app failed liveness probe, will be restarted'],
      ['Normal', 'Container app failed liveness probe, will be restarted'],
    ]);
    const unhealthy = events.filter((e) => e.reason === 'Unhealthy');
    // Every failing probe is an Event, three per instance.
    expect(unhealthy).toHaveLength(6);
    expect(new Set(unhealthy.map((e) => e.message))).toEqual(
      new Set(['Liveness probe failed: HTTP probe failed with statuscode: 500']),
    );
  });

  it('holds liveness and readiness back until the startup probe passes', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    const seen: { atUs: number; started: boolean | undefined; ready: boolean | undefined }[] = [];
    let events: Event[] = [];
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(
        server(
          'slow',
          { KSIM_FILES: '/tmp/started@12-', KSIM_LISTEN_AFTER_SECONDS: '10' },
          {
            startupProbe: {
              exec: { command: ['cat', '/tmp/started'] },
              periodSeconds: 2,
              failureThreshold: 30,
            },
            // Would fail until 10 s, and kill the container, were it not held back.
            livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
          },
        ),
      );
      for (let i = 0; i < 40; i++) {
        const s = (await getPod(api, 'slow'))?.status?.containerStatuses?.[0];
        const last = seen.at(-1);
        if (last?.started !== s?.started || last?.ready !== s?.ready)
          seen.push({
            atUs: ports.clock.now() - sim.epochUs,
            started: s?.started,
            ready: s?.ready,
          });
        await ports.clock.sleep(S);
      }
      events = await eventsOf(api, 'slow');
    });
    const start = records(trace, 'kubelet.container-start', 'slow')[0]?.t as number;
    const results = records(trace, 'kubelet.probe-result', 'slow');
    expect(results.map((r) => [r.probe, r.result])).toEqual([['startup', 'success']]);
    const startedAt = (results[0]?.t as number) - start;
    expect(startedAt).toBeGreaterThanOrEqual(12 * S);
    expect(startedAt).toBeLessThanOrEqual(14 * S + 100_000);
    expect(records(trace, 'kubelet.container-kill')).toEqual([]);
    // Not started and not ready until the startup probe passed; both after (no readiness probe).
    const after = seen.filter((s) => s.started === true);
    expect(after[0]?.ready).toBe(true);
    expect(after[0]?.atUs).toBeGreaterThanOrEqual(results[0]?.t as number);
    expect(
      seen.filter((s) => s.atUs < (results[0]?.t as number)).every((s) => s.ready !== true),
    ).toBe(true);
    const messages = events.filter((e) => e.reason === 'Unhealthy').map((e) => e.message);
    expect(messages.length).toBeGreaterThanOrEqual(5);
    expect(new Set(messages)).toEqual(
      new Set(['Startup probe failed: cat: /tmp/started: No such file or directory\n']),
    );
  });

  it('kills and restarts a container that never passes its startup probe', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(
        server(
          'stuck',
          {},
          {
            startupProbe: {
              exec: { command: ['sh', '-c', 'test -f /tmp/never'] },
              periodSeconds: 2,
              failureThreshold: 3,
            },
          },
          { terminationGracePeriodSeconds: 3 },
        ),
      );
      await ports.clock.sleep(20 * S);
      const s = (await getPod(api, 'stuck'))?.status?.containerStatuses?.[0];
      expect(s?.restartCount).toBeGreaterThanOrEqual(1);
      expect(s?.started).toBe(false);
    });
    const kills = records(trace, 'kubelet.container-kill', 'stuck');
    expect(kills[0]).toMatchObject({ reason: 'StartupProbe', gracePeriodUs: 3 * S });
    const start = records(trace, 'kubelet.container-start', 'stuck')[0]?.t as number;
    // Three failures 2 s apart, the first within a period of the start.
    expect((kills[0]?.t as number) - start).toBeGreaterThanOrEqual(4 * S);
    expect((kills[0]?.t as number) - start).toBeLessThanOrEqual(6 * S + 200_000);
  });

  it('answers each handler from the behaviour model', async () => {
    const cases: [string, Record<string, string>, Container['readinessProbe'], boolean, RegExp][] =
      [
        ['exec-true', {}, { exec: { command: ['true'] } }, true, /^$/],
        ['exec-false', {}, { exec: { command: ['false'] } }, false, /^Readiness probe failed: $/],
        ['tcp-declared', {}, { tcpSocket: { port: 'http' } }, true, /^$/],
        [
          'tcp-undeclared',
          {},
          { tcpSocket: { port: 9999 } },
          false,
          /^Readiness probe failed: dial tcp 10\.244\.1\.\d+:9999: connect: connection refused$/,
        ],
        ['grpc', { KSIM_LISTEN_PORTS: '9090' }, { grpc: { port: 9090 } }, true, /^$/],
        [
          'grpc-not-serving',
          { KSIM_LISTEN_PORTS: '9090', KSIM_UNHEALTHY: '0-' },
          { grpc: { port: 9090 } },
          false,
          /^Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)$/,
        ],
        [
          'http-slow',
          { KSIM_PROBE_LATENCY_MS: '1500' },
          { httpGet: { path: '/', port: 8080 } },
          false,
          /^Readiness probe failed: Get "http:\/\/10\.244\.1\.\d+:8080\/": context deadline exceeded \(Client\.Timeout exceeded while awaiting headers\)$/,
        ],
        [
          'http-wrong-port',
          {},
          { httpGet: { path: '/', port: 8081 } },
          false,
          /connect: connection refused$/,
        ],
        [
          'http-named-missing',
          {},
          { httpGet: { path: '/', port: 'metrics' } },
          false,
          /^Readiness probe errored: port metrics not found$/,
        ],
      ];
    const sim = controlPlane();
    spawnNode(sim, PRELOADED);
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      for (const [name, env, probe] of cases)
        await api.create(server(name, env, { readinessProbe: { ...probe, periodSeconds: 2 } }));
      await ports.clock.sleep(20 * S);
      for (const [name, , , ready, message] of cases) {
        const p = await getPod(api, name);
        expect(p?.status?.phase, name).toBe('Running');
        expect(p?.status?.containerStatuses?.[0]?.ready, name).toBe(ready);
        expect(condition(p, 'Ready'), name).toBe(ready ? 'True' : 'False');
        if (!ready) {
          expect(p?.status?.conditions?.find((c) => c.type === 'Ready')?.message).toBe(
            'containers with unready status: [app]',
          );
          const events = await eventsOf(api, name);
          expect(events.length, name).toBeGreaterThan(0);
          for (const e of events) expect(e.message, name).toMatch(message);
        } else expect(await eventsOf(api, name), name).toEqual([]);
      }
    });
  });

  it('keeps Ready False until every readiness gate condition is True', async () => {
    const sim = controlPlane();
    spawnNode(sim, PRELOADED);
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(
        server('gated', {}, {}, { readinessGates: [{ conditionType: 'example.com/lb' }] }),
      );
      await ports.clock.sleep(5 * S);
      let p = await getPod(api, 'gated');
      expect(condition(p, 'ContainersReady')).toBe('True');
      expect(p?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
        status: 'False',
        reason: 'ReadinessGatesNotReady',
        message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist.',
      });
      const set = async (status: 'True' | 'False') => {
        const cur = (await getPod(api, 'gated')) as Pod;
        const conditions = (cur.status?.conditions ?? []).filter(
          (c) => c.type !== 'example.com/lb',
        );
        const r = await api.updateStatus({
          ...cur,
          status: {
            ...cur.status,
            conditions: [...conditions, { type: 'example.com/lb', status }],
          },
        });
        expect(r.ok).toBe(true);
        await ports.clock.sleep(3 * S);
        return getPod(api, 'gated');
      };
      p = await set('False');
      expect(p?.status?.conditions?.find((c) => c.type === 'Ready')?.message).toBe(
        'the status of pod readiness gate "example.com/lb" is not "True", but False',
      );
      p = await set('True');
      expect(condition(p, 'Ready')).toBe('True');
    });
  });

  it('jitters the first probe within the period from the seeded stream while the kubelet is young', async () => {
    const offsets: number[] = [];
    for (const seed of [1, 2, 3, 4]) {
      const sim = controlPlane({ seed });
      const trace = recordTrace(sim);
      spawnNode(sim, PRELOADED);
      await runScript(sim, async (api, ports) => {
        await api.create(
          server('j', {}, { readinessProbe: { exec: { command: ['true'] }, periodSeconds: 10 } }),
        );
        await ports.clock.sleep(25 * S);
      });
      const start = records(trace, 'kubelet.container-start', 'j')[0]?.t as number;
      const ready = records(trace, 'kubelet.probe-result', 'j')[0]?.t as number;
      offsets.push(ready - start);
    }
    for (const o of offsets) {
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThanOrEqual(10 * S);
    }
    expect(new Set(offsets).size).toBeGreaterThan(1);
  });
});

describe('kubelet lifecycle hooks', () => {
  it('runs preStop before SIGTERM and takes its time out of the grace period', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(
        server(
          'drain',
          // Ignores SIGTERM: only the SIGKILL at the end of the grace period ends it.
          { KSIM_SHUTDOWN_SECONDS: '100' },
          { lifecycle: { preStop: { sleep: { seconds: 5 } } } },
          { terminationGracePeriodSeconds: 12 },
        ),
      );
      await ports.clock.sleep(5 * S);
      await api.delete('Pod', 'default', 'drain');
      await ports.clock.sleep(20 * S);
    });
    const hooks = records(trace, 'kubelet.hook', 'drain');
    expect(hooks.map((h) => [h.hook, h.ok, h.durationUs])).toEqual([['preStop', true, 5 * S]]);
    const terminating = records(trace, 'kubelet.pod-terminating', 'drain')[0]?.t as number;
    const exit = records(trace, 'kubelet.container-exit', 'drain')[0];
    // 5 s of hook, then SIGTERM with the 7 s left: killed 12 s after the deletion was seen.
    expect((exit?.finishedAtUs as number) - sim.epochUs - terminating).toBe(12 * S);
    expect(exit?.exitCode).toBe(137);
    expect((hooks[0]?.t as number) - terminating).toBe(5 * S);
  });

  it('a failing preStop hook is an Event and the container still stops', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    let events: Event[] = [];
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(
        server(
          'bad-stop',
          {},
          { lifecycle: { preStop: { httpGet: { path: '/drain', port: 9000 } } } },
        ),
      );
      await ports.clock.sleep(5 * S);
      await api.delete('Pod', 'default', 'bad-stop');
      await ports.clock.sleep(5 * S);
      events = await eventsOf(api, 'bad-stop');
      expect(await getPod(api, 'bad-stop')).toBeUndefined();
    });
    expect(records(trace, 'kubelet.hook', 'bad-stop').map((h) => h.ok)).toEqual([false]);
    const failed = events.filter((e) => e.reason === 'FailedPreStopHook');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.message).toMatch(
      /^HTTP lifecycle hook \(\/drain\) for Container "app" in Pod "bad-stop_default\([0-9a-f-]+\)" failed - error: Get "http:\/\/10\.244\.1\.\d+:9000\/drain": dial tcp 10\.244\.1\.\d+:9000: connect: connection refused$/,
    );
  });

  it('kills a container whose postStart hook fails and restarts it with backoff', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, PRELOADED);
    let events: Event[] = [];
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      await api.create(
        server(
          'bad-start',
          { KSIM_FILES: '/etc/config' },
          {
            lifecycle: {
              postStart: { exec: { command: ['sh', '-c', 'sleep 2 && cat /etc/missing'] } },
            },
          },
          { terminationGracePeriodSeconds: 3 },
        ),
      );
      await ports.clock.sleep(30 * S);
      events = await eventsOf(api, 'bad-start');
      const s = (await getPod(api, 'bad-start'))?.status?.containerStatuses?.[0];
      expect(s?.restartCount).toBeGreaterThanOrEqual(1);
    });
    const starts = records(trace, 'kubelet.container-start', 'bad-start');
    const hooks = records(trace, 'kubelet.hook', 'bad-start');
    const kills = records(trace, 'kubelet.container-kill', 'bad-start');
    expect(hooks[0]).toMatchObject({ hook: 'postStart', ok: false });
    // The hook's 2 s sleep, plus the exec's answer time.
    expect(hooks[0]?.durationUs).toBeGreaterThanOrEqual(2 * S);
    expect(hooks[0]?.durationUs).toBeLessThan(2 * S + 10_000);
    expect(kills[0]).toMatchObject({ reason: 'FailedPostStartHook', gracePeriodUs: 3 * S });
    expect(kills[0]?.t).toBe(hooks[0]?.t);
    expect((kills[0]?.t as number) - (starts[0]?.t as number)).toBe(hooks[0]?.durationUs);
    expect(starts.length).toBeGreaterThanOrEqual(2);
    const failed = events.filter((e) => e.reason === 'FailedPostStartHook');
    expect(failed[0]?.message).toMatch(
      /^Exec lifecycle hook \(\[sh -c sleep 2 && cat \/etc\/missing\]\) for Container "app" in Pod "bad-start_default\([0-9a-f-]+\)" failed - error: command 'sh -c sleep 2 && cat \/etc\/missing' exited with 1: cat: \/etc\/missing: No such file or directory\n, message: "cat: \/etc\/missing: No such file or directory\\n"$/,
    );
    expect(events.filter((e) => e.reason === 'Killing').map((e) => e.message)).toContain(
      'FailedPostStartHook',
    );
  });
});
