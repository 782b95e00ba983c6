import { describe, expect, it } from 'vitest';
import {
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_PROVISIONED_BY,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
} from '../../../../core/api/volume-binding.ts';
import { API_SERVER, CONTROLLER_MANAGER } from '../../../../core/cluster/identities.ts';
import { runScript } from '../../../support/cluster.ts';
import { mustCreate, mustUpdate, retry, waitFor } from '../harness.ts';
import {
  boundTo,
  claim,
  claimOf,
  eventReasons,
  storageClass,
  volume,
  volumeOf,
  volumeWorld,
} from './volumes.ts';

const MINUTE_US = 60_000_000;

describe('PersistentVolume binder', () => {
  it('binds a claim to the smallest sufficient volume of its class with the fewest access modes, both sides annotated and Bound', async () => {
    const w = volumeWorld();
    await runScript(w.sim, async (api, ports) => {
      for (const v of [
        volume('pv-1g', '1Gi'),
        volume('pv-10g', '10Gi'),
        volume('pv-5g-rwx', '5Gi', { modes: ['ReadWriteOnce', 'ReadWriteMany'] }),
        volume('pv-6g', '6Gi'),
        volume('pv-4g-fast', '4Gi', { cls: 'fast' }),
      ])
        await mustCreate(ports, api, v);
      await waitFor(
        ports,
        () => volumeOf(w, 'pv-6g')?.status?.phase === 'Available',
        MINUTE_US,
        'Available',
      );
      await mustCreate(ports, api, claim('data', '3Gi'));
      await waitFor(ports, () => boundTo(w, 'data') !== undefined, MINUTE_US, 'bound');
      await waitFor(
        ports,
        () => volumeOf(w, 'pv-6g')?.status?.phase === 'Bound',
        MINUTE_US,
        'PV Bound',
      );
    });
    const c = claimOf(w, 'data');
    expect(c?.spec?.volumeName).toBe('pv-6g');
    expect(c?.metadata.annotations?.[ANN_BIND_COMPLETED]).toBe('yes');
    expect(c?.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER]).toBe('yes');
    expect(c?.status?.capacity?.storage).toBe('6Gi');
    expect(c?.status?.accessModes).toEqual(['ReadWriteOnce']);
    const v = volumeOf(w, 'pv-6g');
    expect(v?.spec?.claimRef).toMatchObject({
      namespace: 'default',
      name: 'data',
      uid: c?.metadata.uid,
    });
    expect(v?.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER]).toBe('yes');
    for (const other of ['pv-1g', 'pv-10g', 'pv-5g-rwx', 'pv-4g-fast'])
      expect(volumeOf(w, other)?.status?.phase).toBe('Available');
    expect(w.records.filter((r) => r.k === 'pv.bind')).toMatchObject([
      { claim: 'default/data', volume: 'pv-6g' },
    ]);
  });

  it('honours a label selector, a class, a volume named by the claim and a claim named by the volume', async () => {
    const w = volumeWorld();
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, volume('plain', '1Gi'));
      await mustCreate(ports, api, volume('gold', '8Gi', { labels: { tier: 'gold' } }));
      await mustCreate(ports, api, volume('fast', '8Gi', { cls: 'fast' }));
      await mustCreate(ports, api, volume('named', '2Gi'));
      await mustCreate(
        ports,
        api,
        volume('reserved', '1Gi', { claimRef: { namespace: 'default', name: 'wants-reserved' } }),
      );
      await mustCreate(ports, api, claim('wants-gold', '1Gi', { selector: { tier: 'gold' } }));
      await mustCreate(ports, api, claim('wants-fast', '1Gi', { cls: 'fast' }));
      await mustCreate(ports, api, claim('wants-named', '1Gi', { volumeName: 'named' }));
      await mustCreate(ports, api, claim('wants-reserved', '1Gi'));
      await mustCreate(ports, api, claim('too-big', '50Gi'));
      const names = ['wants-gold', 'wants-fast', 'wants-named', 'wants-reserved'];
      await waitFor(
        ports,
        () => names.every((n) => boundTo(w, n) !== undefined),
        MINUTE_US,
        'bound',
      );
      await ports.clock.sleep(20_000_000);
    });
    expect(boundTo(w, 'wants-gold')).toBe('gold');
    expect(boundTo(w, 'wants-fast')).toBe('fast');
    expect(boundTo(w, 'wants-named')).toBe('named');
    expect(boundTo(w, 'wants-reserved')).toBe('reserved');
    // A user's binding is not marked as the controller's.
    expect(
      volumeOf(w, 'reserved')?.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER],
    ).toBeUndefined();
    expect(
      claimOf(w, 'wants-named')?.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER],
    ).toBeUndefined();
    expect(claimOf(w, 'too-big')?.status?.phase).toBe('Pending');
    expect(volumeOf(w, 'plain')?.status?.phase).toBe('Available');
    expect(eventReasons(w, 'too-big')).toEqual(['FailedBinding']);
  });

  it('reclaims released volumes by policy: Retain keeps them Released, Delete deletes them, Recycle fails them', async () => {
    const w = volumeWorld();
    const policies = ['Retain', 'Delete', 'Recycle'] as const;
    await runScript(w.sim, async (api, ports) => {
      for (const p of policies) {
        await mustCreate(
          ports,
          api,
          volume(`pv-${p.toLowerCase()}`, '1Gi', {
            policy: p,
            claimRef: { namespace: 'default', name: `c-${p.toLowerCase()}` },
          }),
        );
        await mustCreate(ports, api, claim(`c-${p.toLowerCase()}`, '1Gi'));
      }
      await waitFor(
        ports,
        () => policies.every((p) => boundTo(w, `c-${p.toLowerCase()}`) !== undefined),
        MINUTE_US,
        'bound',
      );
      for (const p of policies)
        await retry(ports, () =>
          api.delete('PersistentVolumeClaim', 'default', `c-${p.toLowerCase()}`),
        );
      await waitFor(
        ports,
        () =>
          volumeOf(w, 'pv-retain')?.status?.phase === 'Released' &&
          volumeOf(w, 'pv-delete') === undefined &&
          volumeOf(w, 'pv-recycle')?.status?.phase === 'Failed',
        MINUTE_US,
        'reclaimed',
      );
    });
    expect(volumeOf(w, 'pv-recycle')?.status?.message).toBe(
      'No recycler plugin found for the volume!',
    );
    expect(eventReasons(w, 'pv-recycle')).toEqual(['VolumeFailedRecycle']);
    expect(volumeOf(w, 'pv-retain')?.spec?.claimRef?.name).toBe('c-retain');
    const reclaims = w.records.filter((r) => r.k === 'pv.reclaim');
    expect(
      reclaims.map((r) => r.k === 'pv.reclaim' && `${r.volume} ${r.policy} ${r.outcome}`).sort(),
    ).toEqual([
      'pv-delete Delete deleted',
      'pv-recycle Recycle failed',
      'pv-retain Retain retained',
    ]);
  });

  it("provisions an Immediate claim with ksim's simulated provisioner and deletes the volume with the claim", async () => {
    const w = volumeWorld();
    let uid = '';
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, storageClass('sim'));
      uid =
        (
          await mustCreate(
            ports,
            api,
            claim('data', '3Gi', { cls: 'sim', modes: ['ReadWriteMany'] }),
          )
        ).metadata.uid ?? '';
      await waitFor(ports, () => boundTo(w, 'data') !== undefined, MINUTE_US, 'bound');
      const v = volumeOf(w, `pvc-${uid}`);
      expect(v?.spec?.capacity?.storage).toBe('3Gi');
      expect(v?.spec?.accessModes).toEqual(['ReadWriteMany']);
      expect(v?.spec?.persistentVolumeReclaimPolicy).toBe('Delete');
      expect(v?.spec?.storageClassName).toBe('sim');
      expect(v?.spec?.nodeAffinity).toBeUndefined();
      expect(v?.metadata.annotations?.[ANN_PROVISIONED_BY]).toBe('ksim.io/simulated');
      expect(claimOf(w, 'data')?.metadata.annotations?.[ANN_STORAGE_PROVISIONER]).toBe(
        'ksim.io/simulated',
      );
      await retry(ports, () => api.delete('PersistentVolumeClaim', 'default', 'data'));
      await waitFor(ports, () => w.volumes().list().length === 0, MINUTE_US, 'volume deleted');
    });
    expect(boundTo(w, 'data')).toBeUndefined();
    // The claim's finalizer goes (no pod uses it), the volume is reclaimed, then its own goes.
    expect(w.records.map((r) => r.k)).toEqual([
      'pv.provision',
      'pv.bind',
      'pv-protection.remove-finalizer',
      'pv.reclaim',
      'pv-protection.remove-finalizer',
    ]);
    expect(w.records[0]).toMatchObject({
      claim: 'default/data',
      volume: `pvc-${uid}`,
      storageClass: 'sim',
      node: '',
    });
    expect(eventReasons(w, 'data')).toEqual(['ProvisioningSucceeded']);
  });

  it('records a volume whose create reply was lost as provisioned once, when the volume shows up', async () => {
    const w = volumeWorld();
    // The API server's 201 for the volume's create never reaches the controller manager (the
    // link is cut one way as the reply leaves, for 2 s): its create times out, and the volume
    // it made reaches it through its informer.
    let cut = false;
    w.sim.trace.observe((r) => {
      if (cut || r.k !== 'api.request' || r.verb !== 'POST') return;
      if (r.path !== '/api/v1/persistentvolumes' || r.code !== 201) return;
      cut = true;
      w.sim.network.block(API_SERVER, CONTROLLER_MANAGER);
      w.sim.at(w.sim.now + 2_000_000, () => w.sim.network.heal());
    });
    let uid = '';
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, storageClass('sim'));
      uid = (await mustCreate(ports, api, claim('data', '3Gi', { cls: 'sim' }))).metadata.uid ?? '';
      await waitFor(ports, () => boundTo(w, 'data') !== undefined, 2 * MINUTE_US, 'bound');
    });
    expect(cut).toBe(true);
    expect(w.records.filter((r) => r.k === 'pv.provision')).toMatchObject([
      { claim: 'default/data', volume: `pvc-${uid}`, storageClass: 'sim' },
    ]);
    expect(w.records.filter((r) => r.k === 'pv.bind')).toHaveLength(1);
  });

  it('WaitForFirstConsumer: waits for the selected node, then provisions a volume with node affinity to it', async () => {
    const w = volumeWorld();
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, storageClass('local', { mode: 'WaitForFirstConsumer' }));
      await mustCreate(ports, api, volume('static', '5Gi', { cls: 'local' }));
      await mustCreate(ports, api, claim('data', '1Gi', { cls: 'local' }));
      await ports.clock.sleep(30_000_000);
      // The binder leaves an unbound WaitForFirstConsumer claim to the scheduler.
      expect(claimOf(w, 'data')?.status?.phase).toBe('Pending');
      expect(volumeOf(w, 'static')?.spec?.claimRef).toBeUndefined();
      expect(eventReasons(w, 'data')).toEqual(['WaitForFirstConsumer']);
      await mustUpdate(ports, api, 'PersistentVolumeClaim', 'default', 'data', (c) => ({
        ...c,
        metadata: {
          ...c.metadata,
          annotations: { ...c.metadata.annotations, [ANN_SELECTED_NODE]: 'node-7' },
        },
      }));
      await waitFor(ports, () => boundTo(w, 'data') !== undefined, MINUTE_US, 'bound');
    });
    const v = volumeOf(w, boundTo(w, 'data') ?? '');
    expect(v?.metadata.name).toMatch(/^pvc-/);
    expect(v?.spec?.nodeAffinity?.required?.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-7'] }] },
    ]);
    expect(w.records.find((r) => r.k === 'pv.provision')).toMatchObject({ node: 'node-7' });
  });

  it('leaves claims of an external provisioner to it, annotated, and fails a class without a provisioner', async () => {
    const w = volumeWorld();
    await runScript(w.sim, async (api, ports) => {
      await mustCreate(ports, api, storageClass('ebs', { provisioner: 'ebs.csi.aws.com' }));
      await mustCreate(
        ports,
        api,
        storageClass('none', { provisioner: 'kubernetes.io/no-provisioner' }),
      );
      await mustCreate(ports, api, claim('ext', '1Gi', { cls: 'ebs' }));
      await mustCreate(ports, api, claim('manual', '1Gi', { cls: 'none' }));
      await mustCreate(ports, api, claim('ghost', '1Gi', { cls: 'missing' }));
      await ports.clock.sleep(40_000_000);
    });
    expect(claimOf(w, 'ext')?.metadata.annotations?.[ANN_STORAGE_PROVISIONER]).toBe(
      'ebs.csi.aws.com',
    );
    expect(eventReasons(w, 'ext')).toEqual(['ExternalProvisioning']);
    expect(eventReasons(w, 'manual')).toEqual(['ProvisioningFailed']);
    expect(eventReasons(w, 'ghost')).toEqual(['ProvisioningFailed']);
    expect(w.volumes().list()).toEqual([]);
    for (const n of ['ext', 'manual', 'ghost'])
      expect(claimOf(w, n)?.status?.phase).toBe('Pending');
  });

  it('finishes a binding whose claim side a controller-manager crash cut short', async () => {
    const w = volumeWorld(5, []);
    await runScript(w.sim, async (api, ports) => {
      const c = await mustCreate(ports, api, claim('data', '1Gi'));
      // The volume side as the binder writes it first; then the binder starts.
      const v = volume('pv', '2Gi');
      await mustCreate(ports, api, {
        ...v,
        metadata: { ...v.metadata, annotations: { [ANN_BOUND_BY_CONTROLLER]: 'yes' } },
        spec: {
          ...v.spec,
          claimRef: { namespace: 'default', name: 'data', uid: c.metadata.uid ?? '' },
        },
      });
    });
    const { startControllerManager } = await import('../../../support/cluster.ts');
    startControllerManager(w.sim, { controllers: ['persistentvolume-binder'] }, 'kcm-2');
    await runScript(
      w.sim,
      async (_api, ports) => {
        await waitFor(ports, () => boundTo(w, 'data') === 'pv', MINUTE_US, 'bound');
      },
      { name: 'script-2' },
    );
    expect(volumeOf(w, 'pv')?.status?.phase).toBe('Bound');
  });
});
