import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { intOrPercentValue } from '../../../core/api/int-or-string.ts';
import { resolveFenceposts } from '../../../core/controllers/deployment/replica-math.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { mustCreate, mustUpdate, waitFor } from './harness.ts';
import { deployment, FakeKubelets, RolloutMonitor, withImage } from './workloads.ts';

const intOrPercent = fc.oneof(
  fc.integer({ min: 0, max: 4 }),
  fc.integer({ min: 0, max: 100 }).map((n) => `${n}%`),
);

/**
 * For any size and rolling-update budget, a rollout never has more than replicas + maxSurge
 * pods nor fewer than replicas - maxUnavailable available ones, counted at every pod event a
 * watcher sees, and it finishes. Pods become ready after a random delay (0.5-5 s).
 */
test.prop(
  {
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    replicas: fc.integer({ min: 1, max: 12 }),
    maxSurge: intOrPercent,
    maxUnavailable: intOrPercent,
    readyDelayUs: fc.integer({ min: 500_000, max: 5_000_000 }),
  },
  { numRuns: 12 },
)(
  'rolling updates stay within maxSurge and maxUnavailable',
  async ({ seed, replicas, maxSurge, maxUnavailable, readyDelayUs }) => {
    // Validation refuses both at zero.
    fc.pre(intOrPercentValue(maxSurge) !== 0 || intOrPercentValue(maxUnavailable) !== 0);
    const sim = controlPlane({ seed });
    startControllerManager(sim, { controllers: ['replicaset', 'deployment'] });
    new FakeKubelets(sim, readyDelayUs);
    const monitor = new RolloutMonitor(sim, 'web');
    const budget = resolveFenceposts(maxSurge, maxUnavailable, replicas);
    const rolledOut = (image: string) =>
      monitor.available() === replicas &&
      monitor.active().length === replicas &&
      monitor.active().every((p) => p.spec.containers[0]?.image === image);
    await runScript(sim, async (api, ports) => {
      await mustCreate(
        ports,
        api,
        deployment('web', replicas, {
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } },
        }),
      );
      await waitFor(ports, () => rolledOut('nginx:1.25'), 300_000_000, 'first rollout');
      monitor.watching = true;
      await mustUpdate(ports, api, 'Deployment', 'default', 'web', (d) =>
        withImage(d, 'nginx:1.26'),
      );
      await waitFor(ports, () => rolledOut('nginx:1.26'), 600_000_000, 'update');
    });
    expect(monitor.maxActive).toBeLessThanOrEqual(replicas + budget.surge);
    expect(monitor.minAvailable).toBeGreaterThanOrEqual(
      replicas - Math.min(budget.unavailable, replicas),
    );
  },
);
