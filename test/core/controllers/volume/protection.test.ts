import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../../core/api/pod-types.ts';
import {
  PV_PROTECTION_FINALIZER,
  PVC_PROTECTION_FINALIZER,
} from '../../../../core/api/volume-binding.ts';
import { runScript } from '../../../support/cluster.ts';
import { mustCreate, retry, waitFor } from '../harness.ts';
import { boundTo, claim, claimOf, volume, volumeOf, volumeWorld } from './volumes.ts';

const MINUTE_US = 60_000_000;

function podUsing(name: string, claimName: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'c', image: 'busybox' }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }],
    },
  };
}

describe('StorageObjectInUseProtection and the PVC / PV protection controllers', () => {
  it('adds the finalizers on create; a deleted claim stays until the last pod using it is gone', async () => {
    const w = volumeWorld();
    const log: string[] = [];
    w.sim.trace.addSink((line) => {
      if (line.includes('"pv-protection.remove-finalizer"')) log.push('finalizer removed');
    });
    await runScript(w.sim, async (api, ports) => {
      const c = await mustCreate(ports, api, claim('data', '1Gi'));
      const v = await mustCreate(ports, api, volume('pv', '1Gi'));
      expect(c.metadata.finalizers).toEqual([PVC_PROTECTION_FINALIZER]);
      expect(v.metadata.finalizers).toEqual([PV_PROTECTION_FINALIZER]);
      await waitFor(ports, () => boundTo(w, 'data') === 'pv', MINUTE_US, 'bound');
      await mustCreate(ports, api, podUsing('a', 'data'));
      await mustCreate(ports, api, podUsing('b', 'data'));
      // A bound volume outlives its deletion while bound.
      await retry(ports, () => api.delete('PersistentVolume', undefined, 'pv'));
      await retry(ports, () => api.delete('PersistentVolumeClaim', 'default', 'data'));
      await ports.clock.sleep(20_000_000);
      expect(claimOf(w, 'data')?.metadata.deletionTimestamp).toBeDefined();
      expect(volumeOf(w, 'pv')?.metadata.deletionTimestamp).toBeDefined();
      await retry(ports, () => api.delete('Pod', 'default', 'a', { gracePeriodSeconds: 0 }));
      await ports.clock.sleep(20_000_000);
      expect(claimOf(w, 'data')).toBeDefined();
      log.push('last pod deleted');
      await retry(ports, () => api.delete('Pod', 'default', 'b', { gracePeriodSeconds: 0 }));
      await waitFor(ports, () => claimOf(w, 'data') === undefined, MINUTE_US, 'claim gone');
      // Released (Retain) is not Bound: the volume may go too.
      await waitFor(ports, () => volumeOf(w, 'pv') === undefined, MINUTE_US, 'volume gone');
    });
    expect(log).toEqual(['last pod deleted', 'finalizer removed', 'finalizer removed']);
  });

  it('a terminated pod does not hold its claim', async () => {
    const w = volumeWorld();
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, claim('data', '1Gi'));
      const p = await mustCreate(ports, api, podUsing('done', 'data'));
      await retry(ports, () => api.updateStatus<Pod>({ ...p, status: { phase: 'Succeeded' } }));
      await retry(ports, () => api.delete('PersistentVolumeClaim', 'default', 'data'));
      await waitFor(ports, () => claimOf(w, 'data') === undefined, MINUTE_US, 'claim gone');
    });
  });
});
