import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import type { PersistentVolumeClaim } from '../../../../core/api/kinds/persistent-volume-claim.ts';
import { findMatchingVolume } from '../../../../core/api/volume-binding.ts';
import { ApiClient } from '../../../../core/client/api-client.ts';
import { Informer } from '../../../../core/client/informer.ts';
import { API_SERVER, CONTROLLER_MANAGER } from '../../../../core/cluster/identities.ts';
import { DEFAULT_LINK } from '../../../../sim/network.ts';
import {
  adminClient,
  controlPlane,
  runScript,
  startControllerManager,
} from '../../../support/cluster.ts';
import { mustCreate, waitFor } from '../harness.ts';
import { claim, volume } from './volumes.ts';

/** Faults last this long from the first object; after that the binder must converge. */
const FAULTS_US = 60_000_000;
/** Convergence bound once faults stop: rate-limited requeues, then the 15 s resync. */
const CONVERGE_US = 120_000_000;

const SIZES = ['1Gi', '2Gi', '4Gi', '8Gi'];
const shape = fc.record({
  size: fc.constantFrom(...SIZES),
  cls: fc.constantFrom('', 'fast'),
  rwx: fc.boolean(),
});

/**
 * For any set of volumes and claims (sizes, classes, access modes), created while the
 * controller manager crashes and restarts and loses messages to and from the API server: no
 * two claims are ever Bound to one volume (checked at every claim state the watch shows), and
 * once faults stop, every claim ends Bound to a volume whose claimRef names it, or no free
 * volume would match it.
 */
test.prop(
  {
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    volumes: fc.array(shape, { minLength: 1, maxLength: 6 }),
    claims: fc.array(shape, { minLength: 1, maxLength: 6 }),
    lossProbability: fc.double({ min: 0, max: 0.2, noNaN: true }),
    crashes: fc.array(
      fc.record({
        atUs: fc.integer({ min: 0, max: FAULTS_US - 15_000_000 }),
        downUs: fc.integer({ min: 100_000, max: 10_000_000 }),
      }),
      { maxLength: 3 },
    ),
  },
  { numRuns: 25 },
)(
  'the PV binder never binds a volume twice and binds every claim a free volume matches',
  async ({ seed, volumes, claims, lossProbability, crashes }) => {
    const sim = controlPlane({ seed });
    startControllerManager(sim, { controllers: ['persistentvolume-binder'] });
    const violations: string[] = [];
    let claimInf: Informer<'PersistentVolumeClaim'> | undefined;
    let volumeInf: Informer<'PersistentVolume'> | undefined;
    sim.spawnProcess('monitor', (p) => {
      const api: ApiClient = adminClient(p);
      claimInf = new Informer(p, api, 'PersistentVolumeClaim');
      volumeInf = new Informer(p, api, 'PersistentVolume');
      const check = (): void => {
        const owners = new Map<string, string>();
        for (const c of claimInf?.list() ?? []) {
          const v = c.spec?.volumeName;
          if (c.status?.phase !== 'Bound' || !v) continue;
          const other = owners.get(v);
          if (other !== undefined) violations.push(`${v} bound to ${other} and ${c.metadata.name}`);
          owners.set(v, c.metadata.name ?? '');
        }
      };
      claimInf.addEventHandler({ onAdd: check, onUpdate: check });
      claimInf.start();
      volumeInf.start();
    });
    const lossy = { ...DEFAULT_LINK, lossProbability };
    const modes = (rwx: boolean) => (rwx ? ['ReadWriteMany'] : ['ReadWriteOnce']);
    await runScript(
      sim,
      async (api, ports) => {
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
        for (const [i, v] of volumes.entries()) {
          const m = v.rwx ? ['ReadWriteOnce', 'ReadWriteMany'] : ['ReadWriteOnce'];
          await mustCreate(ports, api, volume(`pv-${i}`, v.size, { cls: v.cls, modes: m }));
        }
        for (const [i, c] of claims.entries()) {
          await mustCreate(
            ports,
            api,
            claim(`c-${i}`, c.size, { cls: c.cls, modes: modes(c.rwx) }),
          );
          await ports.clock.sleep(2_000_000);
        }
        await ports.clock.sleep(Math.max(0, t0 + FAULTS_US - ports.clock.now()));
        await waitFor(ports, () => settled(), CONVERGE_US, 'every matchable claim bound');
      },
      { deadlineUs: FAULTS_US + CONVERGE_US + 120_000_000 },
    );

    function settled(): boolean {
      const all = volumeInf?.list() ?? [];
      const cs = claimInf?.list() ?? [];
      if (cs.length !== claims.length || all.length !== volumes.length) return false;
      const free = all.filter((v) => !v.spec?.claimRef);
      return cs.every((c: PersistentVolumeClaim) => {
        if (c.status?.phase !== 'Bound')
          return findMatchingVolume(c, free, undefined, false) === undefined;
        const v = all.find((x) => x.metadata.name === c.spec?.volumeName);
        return v?.spec?.claimRef?.uid === c.metadata.uid && v?.status?.phase === 'Bound';
      });
    }

    expect(violations).toEqual([]);
    expect(settled()).toBe(true);
  },
);
