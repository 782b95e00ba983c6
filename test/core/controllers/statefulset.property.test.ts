import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { API_SERVER, CONTROLLER_MANAGER } from '../../../core/cluster/identities.ts';
import { getOrdinal } from '../../../core/controllers/statefulset/stateful-set-utils.ts';
import { isPodReady } from '../../../core/api/pod-helpers.ts';
import { DEFAULT_LINK } from '../../../sim/network.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { mustCreate, mustUpdate, waitFor } from './harness.ts';
import { OrderingMonitor, statefulSet, withSetImage } from './statefulsets.ts';
import { FakeKubelets, watchKindAsAdmin } from './workloads.ts';

/** Faults last this long from the set's creation; after that the cluster must converge. */
const FAULTS_US = 90_000_000;
/** The convergence bound once faults stop (rate-limited requeues back off to tens of seconds). */
const CONVERGE_US = 300_000_000;

/**
 * For any size, start ordinal and readiness delay, with the controller manager crashing and
 * restarting at random times and its messages to and from the API server lost at random for
 * the first 90 s (a scale-up and a template change land during the faults): under
 * OrderedReady no pod is ever created before every lower ordinal has been Running and Ready
 * (checked at each creation, in the store's order), and within 5 min of the faults stopping
 * the set has exactly its ordinals, all ready at the new template.
 */
test.prop(
  {
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    replicas: fc.integer({ min: 1, max: 4 }),
    start: fc.integer({ min: 0, max: 3 }),
    readyDelayUs: fc.integer({ min: 200_000, max: 4_000_000 }),
    lossProbability: fc.double({ min: 0, max: 0.2, noNaN: true }),
    crashes: fc.array(
      fc.record({
        atUs: fc.integer({ min: 0, max: FAULTS_US - 20_000_000 }),
        downUs: fc.integer({ min: 100_000, max: 15_000_000 }),
      }),
      { maxLength: 3 },
    ),
  },
  { numRuns: 10 },
)(
  'StatefulSet ordering holds under controller-manager crashes and message loss, and the set converges',
  async ({ seed, replicas, start, readyDelayUs, lossProbability, crashes }) => {
    const sim = controlPlane({ seed });
    startControllerManager(sim, { controllers: ['statefulset'] });
    new FakeKubelets(sim, readyDelayUs);
    const set = statefulSet('web', replicas, { ordinals: { start } });
    const monitor = new OrderingMonitor(sim, set, start);
    const sets = watchKindAsAdmin(sim, 'StatefulSet', 'watch-sets');
    const lossy = { ...DEFAULT_LINK, lossProbability };
    const target = replicas + 2;
    const converged = () => {
      const live = monitor.live();
      const ordinals = live.map(getOrdinal).sort((a, b) => a - b);
      const s = sets().get('default/web')?.status;
      return (
        monitor.pods().length === target &&
        JSON.stringify(ordinals) ===
          JSON.stringify(Array.from({ length: target }, (_, i) => start + i)) &&
        live.every((p) => isPodReady(p) && p.spec.containers[0]?.image === 'nginx:1.26') &&
        s?.readyReplicas === target &&
        s.currentRevision === s.updateRevision
      );
    };
    await runScript(
      sim,
      async (api, ports) => {
        await mustCreate(ports, api, set);
        const t0 = ports.clock.now();
        sim.network.setLink(CONTROLLER_MANAGER, API_SERVER, lossy);
        sim.network.setLink(API_SERVER, CONTROLLER_MANAGER, lossy);
        for (const c of crashes) {
          sim.at(t0 + c.atUs, () => sim.crash(CONTROLLER_MANAGER));
          sim.at(t0 + c.atUs + c.downUs, () => sim.restart(CONTROLLER_MANAGER));
        }
        sim.at(t0 + FAULTS_US, () => {
          sim.network.setLink(CONTROLLER_MANAGER, API_SERVER, DEFAULT_LINK);
          sim.network.setLink(API_SERVER, CONTROLLER_MANAGER, DEFAULT_LINK);
        });
        await ports.clock.sleep(FAULTS_US / 3);
        await mustUpdate(ports, api, 'StatefulSet', 'default', 'web', (s) => ({
          ...withSetImage(s, 'nginx:1.26'),
          spec: { ...withSetImage(s, 'nginx:1.26').spec, replicas: target },
        }));
        await ports.clock.sleep(t0 + FAULTS_US + 15_000_000 - ports.clock.now());
        await waitFor(ports, converged, CONVERGE_US, 'convergence after the faults');
      },
      { deadlineUs: FAULTS_US + CONVERGE_US + 120_000_000 },
    );
    expect(monitor.violations).toEqual([]);
    expect(converged()).toBe(true);
  },
);
