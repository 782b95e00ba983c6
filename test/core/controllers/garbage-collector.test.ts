import { describe, expect, it } from 'vitest';
import type { OwnerReference, PropagationPolicy } from '../../../core/api/meta-types.ts';
import type { ConfigMap } from '../../../core/api/kinds/config-map.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { parseTraceRecord, type TraceRecord } from '../../../core/trace/index.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { replicaSet, waitFor, watchKind } from './harness.ts';

const GC_USER = 'system:serviceaccount:kube-system:generic-garbage-collector';

function configMap(name: string, owners: OwnerReference[] = [], namespace = 'default'): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, ...(owners.length > 0 ? { ownerReferences: owners } : {}) },
    data: { k: name },
  };
}

function ownerRef(cm: ConfigMap, blockOwnerDeletion = true): OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: cm.metadata.name ?? '',
    uid: cm.metadata.uid ?? '',
    blockOwnerDeletion,
  };
}

async function create(api: ApiClient, cm: ConfigMap): Promise<ConfigMap> {
  const r = await api.create(cm);
  if (!r.ok) throw new Error(`create ${cm.metadata.name}: ${r.error.message}`);
  return r.value;
}

async function exists(api: ApiClient, name: string, namespace = 'default'): Promise<boolean> {
  const r = await api.get('ConfigMap', namespace, name);
  if (!r.ok && r.status !== 404) throw new Error(`get ${name}: ${r.error.message}`);
  return r.ok;
}

async function deleteWith(
  api: ApiClient,
  name: string,
  propagationPolicy?: PropagationPolicy,
): Promise<void> {
  const r = await api.delete('ConfigMap', 'default', name, {
    ...(propagationPolicy === undefined ? {} : { propagationPolicy }),
  });
  if (!r.ok) throw new Error(`delete ${name}: ${r.error.message}`);
}

/** A secure cluster (Node,RBAC) with only the garbage collector running. */
function gcCluster(seed = 1): { sim: Simulation; records: TraceRecord[] } {
  const sim = controlPlane({ seed, secure: true });
  const records: TraceRecord[] = [];
  sim.trace.addSink((line) => records.push(parseTraceRecord(line)));
  startControllerManager(sim, { controllers: ['garbagecollector'] });
  return { sim, records };
}

/** The paths the garbage collector deleted, in order, as the API server answered them. */
function gcDeletes(records: readonly TraceRecord[]): string[] {
  return records.flatMap((r) =>
    r.k === 'api.request' && r.verb === 'DELETE' && r.user === GC_USER && r.code === 200
      ? [r.path]
      : [],
  );
}

const cmPath = (name: string, namespace = 'default') =>
  `/api/v1/namespaces/${namespace}/configmaps/${name}`;

describe('garbage collector', () => {
  it('background: the owner goes at once, then its dependents, deleted as the collector', async () => {
    const { sim, records } = gcCluster();
    await runScript(sim, async (api, ports) => {
      const owner = await create(api, configMap('owner'));
      await create(api, configMap('a', [ownerRef(owner)]));
      await create(api, configMap('b', [ownerRef(owner, false)]));
      const kept = await create(api, configMap('other'));
      await create(api, configMap('c', [ownerRef(owner), ownerRef(kept)]));
      await ports.clock.sleep(2_000_000);
      await deleteWith(api, 'owner');
      expect(await exists(api, 'owner')).toBe(false);
      await waitFor(ports, () => gcDeletes(records).length >= 2, 30_000_000, 'two deletes');
      await ports.clock.sleep(2_000_000);
      expect(await exists(api, 'a')).toBe(false);
      expect(await exists(api, 'b')).toBe(false);
      // c still has a live owner: only the dangling reference goes.
      const c = await api.get('ConfigMap', 'default', 'c');
      expect(c.ok && c.value.metadata.ownerReferences?.map((r) => r.name)).toEqual(['other']);
    });
    expect(gcDeletes(records).sort()).toEqual([cmPath('a'), cmPath('b')]);
    const deletes = records.filter((r) => r.k === 'gc.delete');
    expect(deletes.map((r) => r.k === 'gc.delete' && [r.object, r.propagationPolicy])).toEqual(
      expect.arrayContaining([
        ['ConfigMap default/a', 'Background'],
        ['ConfigMap default/b', 'Background'],
      ]),
    );
  });

  it('foreground: the owner stays, marked, until its blocking dependents are gone', async () => {
    const { sim, records } = gcCluster();
    await runScript(sim, async (api, ports) => {
      const owner = await create(api, configMap('owner'));
      const mid = await create(api, configMap('mid', [ownerRef(owner)]));
      await create(api, configMap('leaf', [ownerRef(mid)]));
      await create(api, configMap('loose', [ownerRef(owner, false)]));
      await ports.clock.sleep(2_000_000);
      await deleteWith(api, 'owner', 'Foreground');
      const marked = await api.get('ConfigMap', 'default', 'owner');
      expect(marked.ok && marked.value.metadata.finalizers).toEqual(['foregroundDeletion']);
      expect(marked.ok && marked.value.metadata.deletionTimestamp).toBeDefined();
      await waitFor(
        ports,
        () => records.some((r) => r.k === 'gc.foreground-done' && r.object.endsWith('/owner')),
        60_000_000,
        'the owner to be finalized',
      );
      await ports.clock.sleep(2_000_000);
      for (const name of ['owner', 'mid', 'leaf', 'loose'])
        expect(await exists(api, name)).toBe(false);
    });
    // mid has a dependent of its own, so it is deleted in the foreground too: leaf goes first.
    const deletes = gcDeletes(records);
    expect(deletes.indexOf(cmPath('leaf'))).toBeGreaterThan(deletes.indexOf(cmPath('mid')));
    const midDelete = records.find(
      (r) => r.k === 'gc.delete' && r.object === 'ConfigMap default/mid',
    );
    expect(midDelete?.k === 'gc.delete' && midDelete.propagationPolicy).toBe('Foreground');
    // The owner is finalized only after its blocking dependent mid is gone from the store.
    const finalizeAt = records.findIndex(
      (r) => r.k === 'gc.foreground-done' && r.object === 'ConfigMap default/owner',
    );
    const midDoneAt = records.findIndex(
      (r) => r.k === 'gc.foreground-done' && r.object === 'ConfigMap default/mid',
    );
    expect(midDoneAt).toBeGreaterThanOrEqual(0);
    expect(finalizeAt).toBeGreaterThan(midDoneAt);
  });

  it('orphan: the dependents stay, without the reference, and the owner goes', async () => {
    const { sim, records } = gcCluster();
    await runScript(sim, async (api, ports) => {
      const owner = await create(api, configMap('owner'));
      await create(api, configMap('a', [ownerRef(owner)]));
      await create(api, configMap('b', [ownerRef(owner, false)]));
      await ports.clock.sleep(2_000_000);
      await deleteWith(api, 'owner', 'Orphan');
      await waitFor(
        ports,
        () => records.some((r) => r.k === 'gc.orphan'),
        30_000_000,
        'the orphaning',
      );
      await ports.clock.sleep(1_000_000);
      expect(await exists(api, 'owner')).toBe(false);
      for (const name of ['a', 'b']) {
        const got = await api.get('ConfigMap', 'default', name);
        expect(got.ok && (got.value.metadata.ownerReferences ?? []).length).toBe(0);
      }
    });
    expect(gcDeletes(records)).toEqual([]);
    const orphan = records.find((r) => r.k === 'gc.orphan');
    expect(orphan?.k === 'gc.orphan' && orphan.dependents).toBe(2);
  });

  it('deletes a dependent whose owner never existed, and keeps one whose owner appears', async () => {
    const { sim, records } = gcCluster();
    await runScript(sim, async (api, ports) => {
      await create(
        api,
        configMap('stray', [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: 'no-such-uid' },
        ]),
      );
      const owner = await create(api, configMap('owner'));
      await create(api, configMap('child', [ownerRef(owner)]));
      await waitFor(ports, () => gcDeletes(records).length > 0, 30_000_000, 'the stray delete');
      await ports.clock.sleep(5_000_000);
      expect(await exists(api, 'stray')).toBe(false);
      expect(await exists(api, 'child')).toBe(true);
    });
    expect(gcDeletes(records)).toEqual([cmPath('stray')]);
  });

  it('a namespaced owner in another namespace is absent: the dependent goes, and the trace says why', async () => {
    const { sim, records } = gcCluster();
    await runScript(sim, async (api, ports) => {
      const ns = await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } });
      expect(ns.ok).toBe(true);
      const owner = await create(api, configMap('owner'));
      await ports.clock.sleep(2_000_000);
      await create(api, configMap('elsewhere', [ownerRef(owner)], 'b'));
      await waitFor(ports, () => gcDeletes(records).length > 0, 30_000_000, 'the delete');
      expect(await exists(api, 'owner')).toBe(true);
      expect(await exists(api, 'elsewhere', 'b')).toBe(false);
    });
    expect(gcDeletes(records)).toEqual([cmPath('elsewhere', 'b')]);
    expect(records.find((r) => r.k === 'gc.invalid-owner-ref')).toMatchObject({
      object: 'ConfigMap b/elsewhere',
    });
  });

  it('a cluster-scoped object naming a namespaced owner is left alone', async () => {
    const { sim, records } = gcCluster();
    await runScript(sim, async (api, ports) => {
      const owner = await create(api, configMap('owner'));
      const r = await api.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'odd', ownerReferences: [ownerRef(owner)] },
      });
      expect(r.ok).toBe(true);
      await ports.clock.sleep(10_000_000);
      expect((await api.get('Namespace', undefined, 'odd')).ok).toBe(true);
    });
    expect(gcDeletes(records)).toEqual([]);
  });

  it('with the ReplicaSet controller: deleting a ReplicaSet deletes its pods', async () => {
    // Not secure: the test's pod watcher is anonymous.
    const sim = controlPlane({ seed: 3 });
    startControllerManager(sim, { controllers: ['replicaset', 'garbagecollector'] });
    const pods = watchKind(sim, 'Pod', 'pod-watch');
    await runScript(sim, async (api, ports) => {
      const rs = await api.create(replicaSet('web', 3));
      expect(rs.ok).toBe(true);
      await waitFor(ports, () => pods().list().length === 3, 30_000_000, '3 pods');
      const del = await api.delete('ReplicaSet', 'default', 'web', {
        propagationPolicy: 'Foreground',
      });
      expect(del.ok).toBe(true);
      await waitFor(ports, () => pods().list().length === 0, 60_000_000, 'no pods');
      await ports.clock.sleep(5_000_000);
      expect((await api.get('ReplicaSet', 'default', 'web')).status).toBe(404);
    });
  });
});
