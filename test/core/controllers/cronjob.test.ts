/**
 * The CronJob controller in a simulated cluster (RBAC on, a scheduler, two kubelets): Jobs at
 * each activation of the schedule, the concurrency policies, suspend, history limits and a
 * controller-manager outage with and without startingDeadlineSeconds. The run's epoch,
 * 2026-01-01T00:00:00Z, is virtual time 0, so an every-minute schedule fires at 60 s, 120 s, ...
 */
import { describe, expect, it } from 'vitest';
import type { CronJob } from '../../../core/api/kinds/cron-job.ts';
import type { Job } from '../../../core/api/kinds/job.ts';
import type { Event } from '../../../core/api/cluster-types.ts';
import { SCHEDULED_TIMESTAMP_ANNOTATION } from '../../../core/controllers/cronjob/cronjob-controller.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import {
  controlPlane,
  runScript,
  spawnNode,
  startControllerManager,
  startScheduler,
} from '../../support/cluster.ts';
import { mustCreate, mustUpdate } from './harness.ts';
import { watchKindAsAdmin } from './workloads.ts';

const S = 1_000_000;

function cronJob(name: string, spec: Partial<CronJob['spec']>, command: string[]): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      jobTemplate: {
        metadata: { labels: { app: name } },
        spec: {
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              containers: [{ name: 'work', image: 'busybox:1.36', command }],
            },
          },
        },
      },
      ...spec,
    },
  } as CronJob;
}

interface Created {
  readonly job: string;
  readonly scheduledUs: number;
  readonly lateUs: number;
  readonly atUs: number;
}

interface World {
  readonly sim: Simulation;
  readonly created: Created[];
  readonly jobs: () => { list(): Job[] };
  readonly cronJobs: () => { get(key: string): CronJob | undefined };
  readonly events: () => { list(): Event[] };
  /** The most Jobs of the CronJob ever unfinished at once, as the watch saw them. */
  readonly maxUnfinished: () => number;
}

function unfinished(j: Job): boolean {
  return !(j.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

function world(seed: number): World {
  const sim = controlPlane({ seed, secure: true });
  startScheduler(sim);
  startControllerManager(sim, { controllers: ['job', 'cronjob'] });
  spawnNode(sim, { name: 'node-1', kubelet: { podCIDR: '10.244.1.0/24' } });
  spawnNode(sim, { name: 'node-2', kubelet: { podCIDR: '10.244.2.0/24' } });
  const created: Created[] = [];
  sim.trace.addSink((line) => {
    if (!line.includes('"cronjob.create-job"')) return;
    const r = JSON.parse(line) as { t: number; job: string; scheduledUs: number; lateUs: number };
    created.push({ job: r.job, scheduledUs: r.scheduledUs, lateUs: r.lateUs, atUs: r.t });
  });
  const jobs = watchKindAsAdmin(sim, 'Job', 'watch-jobs');
  let max = 0;
  let hooked = false;
  const hook = (): void => {
    if (hooked) return;
    hooked = true;
    const count = (): void => {
      max = Math.max(max, jobs().list().filter(unfinished).length);
    };
    jobs().addEventHandler({ onAdd: count, onUpdate: count, onDelete: count });
  };
  return {
    sim,
    created,
    jobs: () => (hook(), jobs()),
    cronJobs: watchKindAsAdmin(sim, 'CronJob', 'watch-cronjobs'),
    events: watchKindAsAdmin(sim, 'Event', 'watch-events'),
    maxUnfinished: () => max,
  };
}

const EPOCH_US = Date.parse('2026-01-01T00:00:00Z') * 1000;
const minute = (n: number): number => EPOCH_US + n * 60 * S;

function reasons(w: World): string[] {
  return w
    .events()
    .list()
    .filter((e) => e.involvedObject.kind === 'CronJob')
    .map((e) => e.reason ?? '');
}

describe('CronJob controller', () => {
  it('creates one Job per activation, named by its minute, and keeps three successful ones', async () => {
    const w = world(1);
    await runScript(w.sim, async (api, ports) => {
      w.jobs();
      await mustCreate(ports, api, cronJob('hello', {}, ['sh', '-c', 'echo Hello; sleep 2']));
      await ports.clock.sleep(6 * 60 * S + 30 * S);
    });
    // Activations at minutes 1..6, each Job created within a second of its activation.
    expect(w.created.map((c) => c.scheduledUs)).toEqual([1, 2, 3, 4, 5, 6].map(minute));
    expect(w.created.map((c) => c.job)).toEqual(
      [1, 2, 3, 4, 5, 6].map((m) => `default/hello-${Math.floor(minute(m) / 60_000_000)}`),
    );
    expect(Math.max(...w.created.map((c) => c.lateUs))).toBeLessThan(S);
    expect(Math.min(...w.created.map((c) => c.lateUs))).toBeGreaterThanOrEqual(100_000);
    // successfulJobsHistoryLimit defaults to 3: the oldest completed Jobs were deleted.
    const left = w
      .jobs()
      .list()
      .filter((j) => j.metadata.labels?.app === 'hello');
    expect(left.filter(unfinished)).toEqual([]);
    expect(left.map((j) => j.metadata.name).sort()).toEqual(
      [4, 5, 6].map((m) => `hello-${Math.floor(minute(m) / 60_000_000)}`),
    );
    const newest = left.find(
      (j) => j.metadata.name === `hello-${Math.floor(minute(6) / 60_000_000)}`,
    );
    expect(newest?.metadata.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION]).toBe(
      '2026-01-01T00:06:00Z',
    );
    expect(newest?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'hello' });
    const cj = w.cronJobs().get('default/hello');
    expect(cj?.status?.lastScheduleTime).toBe('2026-01-01T00:06:00Z');
    expect(cj?.status?.lastSuccessfulTime).toBeDefined();
    expect(reasons(w)).toContain('SuccessfulCreate');
    expect(reasons(w)).toContain('SawCompletedJob');
    expect(reasons(w)).toContain('SuccessfulDelete');
  });

  it('Forbid skips activations while a Job runs; Allow runs them side by side', async () => {
    const forbid = world(2);
    await runScript(forbid.sim, async (api, ports) => {
      forbid.jobs();
      await mustCreate(
        ports,
        api,
        cronJob('slow', { concurrencyPolicy: 'Forbid' }, ['sleep', '150']),
      );
      await ports.clock.sleep(6 * 60 * S + 30 * S);
    });
    expect(forbid.maxUnfinished()).toBe(1);
    // The first Job runs from minute 1 to about 3:33, so minutes 2 and 3 find it running. Like
    // upstream, skipping does not move lastScheduleTime: once the Job finishes, the most recent
    // missed activation (minute 3) starts late; that Job runs past minutes 4, 5 and 6, and
    // minute 6 starts late in turn when it ends.
    expect(forbid.created.map((c) => c.scheduledUs)).toEqual([minute(1), minute(3), minute(6)]);
    expect(forbid.created[1]!.lateUs).toBeGreaterThan(30 * S);
    expect(forbid.created[2]!.lateUs).toBeGreaterThan(0);
    expect(reasons(forbid)).toContain('JobAlreadyActive');

    const allow = world(2);
    await runScript(allow.sim, async (api, ports) => {
      allow.jobs();
      await mustCreate(ports, api, cronJob('slow', {}, ['sleep', '150']));
      await ports.clock.sleep(6 * 60 * S + 30 * S);
    });
    expect(allow.created).toHaveLength(6);
    expect(allow.maxUnfinished()).toBe(3);
  });

  it('Replace deletes the running Job at the next activation', async () => {
    const w = world(3);
    await runScript(w.sim, async (api, ports) => {
      w.jobs();
      await mustCreate(
        ports,
        api,
        cronJob('replaced', { concurrencyPolicy: 'Replace' }, ['sleep', '150']),
      );
      await ports.clock.sleep(4 * 60 * S + 30 * S);
    });
    expect(w.created.map((c) => c.scheduledUs)).toEqual([1, 2, 3, 4].map(minute));
    const names = w
      .jobs()
      .list()
      .filter((j) => j.metadata.labels?.app === 'replaced');
    expect(names.filter(unfinished).map((j) => j.metadata.name)).toEqual([
      `replaced-${Math.floor(minute(4) / 60_000_000)}`,
    ]);
    expect(reasons(w).filter((r) => r === 'SuccessfulDelete')).toHaveLength(3);
  });

  it('a suspended CronJob starts nothing until resumed; then the missed activation runs once', async () => {
    const w = world(4);
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, cronJob('paused', { suspend: true }, ['sleep', '1']));
      await ports.clock.sleep(3 * 60 * S + 30 * S);
      await mustUpdate(ports, api, 'CronJob', 'default', 'paused', (cj) => ({
        ...cj,
        spec: { ...cj.spec, suspend: false },
      }));
      await ports.clock.sleep(60 * S);
    });
    // Resumed at 3:30: the most recent missed activation (minute 3) starts at once, late, then
    // minute 4 on time. Minutes 1 and 2 are never started.
    expect(w.created.map((c) => c.scheduledUs)).toEqual([minute(3), minute(4)]);
    expect(w.created[0]!.lateUs).toBeGreaterThan(29 * S);
  });

  it('after a controller-manager outage a missed activation starts late, unless past startingDeadlineSeconds', async () => {
    for (const [deadline, expected] of [
      [undefined, [minute(1), minute(3), minute(4)]],
      [20, [minute(1), minute(4)]],
    ] as const) {
      const w = world(5);
      w.sim.at(90 * S, () => w.sim.crash('controller-manager'));
      w.sim.at(200 * S, () => w.sim.restart('controller-manager'));
      await runScript(w.sim, async (api, ports) => {
        await mustCreate(
          ports,
          api,
          cronJob('outage', deadline === undefined ? {} : { startingDeadlineSeconds: deadline }, [
            'sleep',
            '1',
          ]),
        );
        await ports.clock.sleep(4 * 60 * S + 30 * S);
      });
      expect(w.created.map((c) => c.scheduledUs)).toEqual(expected);
    }
  });
});
