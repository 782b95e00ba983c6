/**
 * A Job's podFailurePolicy, backoffLimitPerIndex and successPolicy on simulated kubelets: what
 * pods the controller created (and with which annotations) and how the Job ended.
 */
import { describe, expect, it } from 'vitest';
import { parseTime } from '../../../core/api/time.ts';
import {
  COMPLETION_INDEX_ANNOTATION,
  INDEX_FAILURE_COUNT_ANNOTATION,
} from '../../../core/controllers/job/indexes.ts';
import { runScript } from '../../support/cluster.ts';
import { mustCreate, waitFor } from './harness.ts';
import { condition, job, world } from './job-harness.ts';

const S = 1_000_000;

describe('Job policies', () => {
  it('podFailurePolicy FailJob: the first matching exit code fails the Job, with no retry', async () => {
    const w = world(11, 'fatal');
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5 * S);
      await mustCreate(
        ports,
        api,
        job(
          'fatal',
          {
            backoffLimit: 6,
            podFailurePolicy: {
              rules: [
                { action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } },
                { action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } },
              ],
            },
          },
          ['sh', '-c', 'sleep 1; exit 42'],
        ),
      );
      await waitFor(
        ports,
        () => condition(w.jobs().get('default/fatal'), 'Failed') !== undefined,
        120 * S,
        'Failed',
      );
      await ports.clock.sleep(30 * S);
    });
    const j = w.jobs().get('default/fatal');
    const pods = w.monitor.pods();
    expect(pods).toHaveLength(1);
    const failed = condition(j, 'Failed');
    expect(failed?.reason).toBe('PodFailurePolicy');
    expect(failed?.message).toBe(
      `Container work for pod default/${pods[0]?.metadata.name} failed with exit code 42 matching FailJob rule at index 1`,
    );
    expect(condition(j, 'FailureTarget')?.reason).toBe('PodFailurePolicy');
    expect(j?.status?.failed).toBe(1);
  });

  it('podFailurePolicy Ignore: matching failures never count toward backoffLimit', async () => {
    const w = world(12, 'ignored');
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5 * S);
      await mustCreate(
        ports,
        api,
        job(
          'ignored',
          {
            backoffLimit: 0,
            podFailurePolicy: {
              rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } }],
            },
          },
          ['sh', '-c', 'sleep 1; exit 3'],
        ),
      );
      await waitFor(ports, () => w.monitor.pods().length >= 3, 300 * S, 'three pods');
      await ports.clock.sleep(5 * S);
    });
    const j = w.jobs().get('default/ignored');
    // backoffLimit 0 would fail the Job at its first counted failure.
    expect(condition(j, 'Failed')).toBeUndefined();
    expect(j?.status?.failed ?? 0).toBe(0);
    expect(w.monitor.pods().filter((p) => p.status?.phase === 'Failed').length).toBeGreaterThan(1);
  });

  it('backoffLimitPerIndex: each index retries on its own, carrying its failure count, then the Job fails with FailedIndexes', async () => {
    const w = world(13, 'per-index');
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5 * S);
      await mustCreate(
        ports,
        api,
        job(
          'per-index',
          { completionMode: 'Indexed', completions: 2, parallelism: 2, backoffLimitPerIndex: 1 },
          ['sh', '-c', 'sleep 1; exit 1'],
        ),
      );
      await waitFor(
        ports,
        () => condition(w.jobs().get('default/per-index'), 'Failed') !== undefined,
        300 * S,
        'Failed',
      );
      await ports.clock.sleep(5 * S);
    });
    const j = w.jobs().get('default/per-index');
    expect(condition(j, 'Failed')?.reason).toBe('FailedIndexes');
    expect(j?.status?.failedIndexes).toBe('0,1');
    expect(j?.status?.failed).toBe(4);
    const pods = w.monitor.pods();
    expect(pods).toHaveLength(4);
    for (const ix of ['0', '1']) {
      const ofIndex = pods
        .filter((p) => p.metadata.annotations?.[COMPLETION_INDEX_ANNOTATION] === ix)
        .sort(
          (a, b) =>
            (parseTime(a.metadata.creationTimestamp ?? '') ?? 0) -
            (parseTime(b.metadata.creationTimestamp ?? '') ?? 0),
        );
      expect(ofIndex.map((p) => p.metadata.annotations?.[INDEX_FAILURE_COUNT_ANNOTATION])).toEqual([
        '0',
        '1',
      ]);
      // The replacement waits out the index's own 10 s backoff from the failure.
      const gapUs =
        (parseTime(ofIndex[1]?.metadata.creationTimestamp ?? '') ?? 0) -
        (parseTime(ofIndex[0]?.metadata.creationTimestamp ?? '') ?? 0);
      expect(gapUs).toBeGreaterThanOrEqual(11 * S);
      expect(gapUs).toBeLessThan(20 * S);
    }
  });

  it('maxFailedIndexes 0 with a FailIndex rule: the first failed index fails the Job', async () => {
    const w = world(14, 'fail-index');
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5 * S);
      await mustCreate(
        ports,
        api,
        job(
          'fail-index',
          {
            completionMode: 'Indexed',
            completions: 3,
            parallelism: 1,
            backoffLimitPerIndex: 5,
            maxFailedIndexes: 0,
            podFailurePolicy: {
              rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [7] } }],
            },
          },
          ['sh', '-c', 'sleep 1; exit 7'],
        ),
      );
      await waitFor(
        ports,
        () => condition(w.jobs().get('default/fail-index'), 'Failed') !== undefined,
        120 * S,
        'Failed',
      );
    });
    const j = w.jobs().get('default/fail-index');
    expect(condition(j, 'Failed')?.reason).toBe('MaxFailedIndexesExceeded');
    expect(j?.status?.failedIndexes).toBe('0');
    expect(w.monitor.pods()).toHaveLength(1);
  });

  it('successPolicy: succeededCount 2 of 5 completes the Job early, as SuccessPolicy', async () => {
    const w = world(15, 'early');
    await runScript(w.sim, async (api, ports) => {
      await ports.clock.sleep(5 * S);
      await mustCreate(
        ports,
        api,
        job(
          'early',
          {
            completionMode: 'Indexed',
            completions: 5,
            parallelism: 1,
            successPolicy: { rules: [{ succeededIndexes: '3-4' }, { succeededCount: 2 }] },
          },
          ['sh', '-c', 'sleep 2'],
        ),
      );
      await waitFor(
        ports,
        () => condition(w.jobs().get('default/early'), 'Complete') !== undefined,
        300 * S,
        'Complete',
      );
      await ports.clock.sleep(10 * S);
    });
    const j = w.jobs().get('default/early');
    expect(condition(j, 'SuccessCriteriaMet')).toMatchObject({
      reason: 'SuccessPolicy',
      message: 'Matched rules at index 1',
    });
    expect(condition(j, 'Complete')).toMatchObject({
      reason: 'SuccessPolicy',
      message: 'Matched rules at index 1',
    });
    expect(j?.status?.completedIndexes).toBe('0,1');
    expect(w.monitor.pods()).toHaveLength(2);
  });
});
