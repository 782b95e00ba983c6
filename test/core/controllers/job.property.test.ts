import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { JOB_NAME_LABEL, type Job } from '../../../core/api/kinds/job.ts';
import {
  controlPlane,
  runScript,
  spawnNode,
  startControllerManager,
  startScheduler,
} from '../../support/cluster.ts';
import { mustCreate, waitFor } from './harness.ts';
import { RolloutMonitor, watchKindAsAdmin } from './workloads.ts';

/**
 * For any completions, parallelism, completion mode and pod run time, a Job never has more
 * active pods than parallelism or the completions it still needs, makes exactly `completions`
 * pods when none fails, and completes.
 */
test.prop(
  {
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    completions: fc.integer({ min: 1, max: 10 }),
    parallelism: fc.integer({ min: 1, max: 5 }),
    indexed: fc.boolean(),
    seconds: fc.integer({ min: 1, max: 5 }),
  },
  { numRuns: 8 },
)('Jobs stay within parallelism and completions', async (p) => {
  const sim = controlPlane({ seed: p.seed });
  startScheduler(sim);
  startControllerManager(sim, { controllers: ['job'] });
  spawnNode(sim);
  const monitor = new RolloutMonitor(sim, 'work', JOB_NAME_LABEL);
  const jobs = watchKindAsAdmin(sim, 'Job', 'watch-jobs');
  const manifest: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'work', namespace: 'default' },
    spec: {
      completions: p.completions,
      parallelism: p.parallelism,
      completionMode: p.indexed ? 'Indexed' : 'NonIndexed',
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'w', image: 'busybox:1.36', command: ['sleep', String(p.seconds)] }],
        },
      },
    },
  };
  await runScript(sim, async (api, ports) => {
    await ports.clock.sleep(5_000_000);
    monitor.watching = true;
    await mustCreate(ports, api, manifest);
    await waitFor(
      ports,
      () =>
        jobs()
          .get('default/work')
          ?.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') === true,
      600_000_000,
      'Complete',
    );
  });
  expect(monitor.maxActive).toBeLessThanOrEqual(Math.min(p.parallelism, p.completions));
  expect(monitor.pods()).toHaveLength(p.completions);
  expect(jobs().get('default/work')?.status?.succeeded).toBe(p.completions);
});
