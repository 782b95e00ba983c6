import { describe, expect, it } from 'vitest';
import { parseTime } from '../../../core/api/time.ts';
import { JOB_TRACKING_FINALIZER } from '../../../core/controllers/job/job-pods.ts';
import { runScript } from '../../support/cluster.ts';
import { mustCreate, mustUpdate, waitFor } from './harness.ts';
import { condition, job, world } from './job-harness.ts';

describe('Job controller', () => {
  it('runs completions pods, never more than parallelism at once, and completes', async () => {
    const w = world(1, 'batch');
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5_000_000);
      w.monitor.watching = true;
      await mustCreate(
        ports,
        api,
        job('batch', { completions: 6, parallelism: 2 }, ['sleep', '3']),
      );
      await waitFor(
        ports,
        () => condition(w.jobs().get('default/batch'), 'Complete') !== undefined,
        300_000_000,
        'Complete',
      );
      await ports.clock.sleep(5_000_000);
    });
    const j = w.jobs().get('default/batch');
    expect(j?.status?.succeeded).toBe(6);
    expect(j?.status?.failed ?? 0).toBe(0);
    expect(j?.status?.active).toBe(0);
    expect(j?.status?.uncountedTerminatedPods).toEqual({ succeeded: [], failed: [] });
    expect(condition(j, 'SuccessCriteriaMet')).toBeDefined();
    expect(j?.status?.completionTime).toBeDefined();
    expect(w.monitor.maxActive).toBe(2);
    const pods = w.monitor.pods();
    expect(pods).toHaveLength(6);
    expect(pods.every((p) => p.status?.phase === 'Succeeded')).toBe(true);
    expect(pods.some((p) => p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER))).toBe(false);
  });

  it('fails past backoffLimit, waiting 10 s then 20 s before replacing failed pods', async () => {
    const w = world(2, 'flaky');
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5_000_000);
      await mustCreate(
        ports,
        api,
        job('flaky', { backoffLimit: 2 }, ['sh', '-c', 'sleep 1; exit 1']),
      );
      await waitFor(
        ports,
        () => condition(w.jobs().get('default/flaky'), 'Failed') !== undefined,
        300_000_000,
        'Failed',
      );
      await ports.clock.sleep(5_000_000);
    });
    const j = w.jobs().get('default/flaky');
    expect(condition(j, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(condition(j, 'FailureTarget')).toBeDefined();
    expect(j?.status?.failed).toBe(3);
    const created = w.monitor
      .pods()
      .map((p) => parseTime(p.metadata.creationTimestamp ?? '') ?? 0)
      .sort((a, b) => a - b);
    expect(created).toHaveLength(3);
    const gaps = [created[1]! - created[0]!, created[2]! - created[1]!];
    expect(gaps[0]).toBeGreaterThanOrEqual(10_000_000);
    expect(gaps[0]).toBeLessThan(20_000_000);
    expect(gaps[1]).toBeGreaterThanOrEqual(20_000_000);
    expect(gaps[1]).toBeLessThan(30_000_000);
  });

  it('fails at activeDeadlineSeconds and deletes its running pods', async () => {
    const w = world(3, 'slow');
    let failedAfterUs = 0;
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5_000_000);
      await mustCreate(
        ports,
        api,
        job('slow', { parallelism: 2, completions: 4, activeDeadlineSeconds: 20 }, [
          'sleep',
          '600',
        ]),
      );
      failedAfterUs = await waitFor(
        ports,
        () => condition(w.jobs().get('default/slow'), 'FailureTarget') !== undefined,
        300_000_000,
        'FailureTarget',
      );
      // Failed comes once the deleted pods are gone.
      await waitFor(
        ports,
        () => condition(w.jobs().get('default/slow'), 'Failed') !== undefined,
        120_000_000,
        'Failed',
      );
      expect(w.monitor.pods()).toHaveLength(0);
    });
    expect(condition(w.jobs().get('default/slow'), 'Failed')?.reason).toBe('DeadlineExceeded');
    expect(failedAfterUs).toBeGreaterThanOrEqual(20_000_000);
    expect(failedAfterUs).toBeLessThan(23_000_000);
    // Pods the controller removed do not count as failures.
    expect(w.jobs().get('default/slow')?.status?.failed ?? 0).toBe(0);
  });

  it('Indexed: one pod per index, with the index in an annotation, the hostname and the env', async () => {
    const w = world(4, 'indexed');
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5_000_000);
      w.monitor.watching = true;
      await mustCreate(
        ports,
        api,
        job('indexed', { completions: 5, parallelism: 3, completionMode: 'Indexed' }, [
          'sleep',
          '2',
        ]),
      );
      await waitFor(
        ports,
        () => condition(w.jobs().get('default/indexed'), 'Complete') !== undefined,
        300_000_000,
        'Complete',
      );
    });
    const j = w.jobs().get('default/indexed');
    expect(j?.status?.completedIndexes).toBe('0-4');
    expect(j?.status?.succeeded).toBe(5);
    expect(w.monitor.maxActive).toBe(3);
    const pods = w.monitor.pods();
    const indexes = pods
      .map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'])
      .sort();
    expect(indexes).toEqual(['0', '1', '2', '3', '4']);
    for (const p of pods) {
      const ix = p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
      expect(p.metadata.name).toMatch(new RegExp(`^indexed-${ix}-[a-z0-9]{5}$`));
      expect(p.spec.hostname).toBe(`indexed-${ix}`);
      expect(p.spec.containers[0]?.env?.map((e) => e.name)).toEqual(['JOB_COMPLETION_INDEX']);
    }
  });

  it('suspend deletes active pods without counting them; resume starts over', async () => {
    const w = world(5, 'pausable');
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5_000_000);
      await mustCreate(
        ports,
        api,
        job('pausable', { completions: 2, parallelism: 2, suspend: true }, ['sleep', '5']),
      );
      await waitFor(
        ports,
        () => condition(w.jobs().get('default/pausable'), 'Suspended') !== undefined,
        60_000_000,
        'Suspended',
      );
      expect(w.monitor.pods()).toHaveLength(0);
      const resume = (suspend: boolean) =>
        mustUpdate(ports, api, 'Job', 'default', 'pausable', (j) => ({
          ...j,
          spec: { ...j.spec, suspend },
        }));
      await resume(false);
      await waitFor(ports, () => w.monitor.active().length === 2, 60_000_000, 'running');
      await resume(true);
      await waitFor(ports, () => w.monitor.pods().length === 0, 120_000_000, 'pods gone');
      await resume(false);
      await waitFor(
        ports,
        () => condition(w.jobs().get('default/pausable'), 'Complete') !== undefined,
        120_000_000,
        'Complete',
      );
    });
    const j = w.jobs().get('default/pausable');
    expect(j?.status?.failed ?? 0).toBe(0);
    expect(j?.status?.succeeded).toBe(2);
    expect(j?.status?.conditions?.find((c) => c.type === 'Suspended')?.reason).toBe('JobResumed');
  });

  it('ttlSecondsAfterFinished: the finished Job is deleted, foreground, once the TTL runs out', async () => {
    const w = world(6, 'short');
    let completeAtUs = 0;
    let deletingAtUs = 0;
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5_000_000);
      await mustCreate(ports, api, job('short', { ttlSecondsAfterFinished: 10 }, ['sleep', '1']));
      await waitFor(
        ports,
        () => condition(w.jobs().get('default/short'), 'Complete') !== undefined,
        120_000_000,
        'Complete',
      );
      completeAtUs = ports.clock.now();
      await waitFor(
        ports,
        () => w.jobs().get('default/short')?.metadata.deletionTimestamp !== undefined,
        60_000_000,
        'deleting',
      );
      deletingAtUs = ports.clock.now();
    });
    // The condition's time has whole seconds: up to a second early, never later than a poll.
    expect(deletingAtUs - completeAtUs).toBeGreaterThanOrEqual(9_000_000);
    expect(deletingAtUs - completeAtUs).toBeLessThanOrEqual(11_000_000);
    expect(w.jobs().get('default/short')?.metadata.finalizers).toContain('foregroundDeletion');
  });
});
