import { describe, expect, it } from 'vitest';
import type { Namespace } from '../../../core/api/cluster-types.ts';
import type { ConfigMap } from '../../../core/api/kinds/config-map.ts';
import type { KObject } from '../../../core/api/types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { namespacedDeletableResources } from '../../../core/controllers/namespace/namespaced-resources-deleter.ts';
import { parseTraceRecord, type TraceRecord } from '../../../core/trace/index.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { replicaSet, waitFor } from './harness.ts';

const NS_USER = 'system:serviceaccount:kube-system:namespace-controller';

async function mustCreate<T extends KObject>(api: ApiClient, obj: T): Promise<T> {
  const r = await api.create(obj);
  if (!r.ok) throw new Error(`create ${obj.kind} ${obj.metadata?.name}: ${r.error.message}`);
  return r.value;
}

const cm = (name: string, finalizers?: string[]): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'team', ...(finalizers === undefined ? {} : { finalizers }) },
});

describe('namespace controller', () => {
  it('serves a resource list without events views or bindings, with every namespaced kind', () => {
    const resources = namespacedDeletableResources().map((d) => d.resource.resource);
    expect(resources).toContain('pods');
    expect(resources).toContain('replicasets');
    expect(resources).toContain('roles');
    expect(resources).not.toContain('bindings');
    expect(resources).not.toContain('namespaces');
    expect(resources.filter((r) => r === 'events')).toHaveLength(1);
  });

  it('empties a deleted namespace, waits for finalizers, then finalizes it', async () => {
    const sim = controlPlane({ secure: true });
    const records: TraceRecord[] = [];
    sim.trace.addSink((line) => records.push(parseTraceRecord(line)));
    startControllerManager(sim, { controllers: ['namespace'] });
    await runScript(sim, async (api, ports) => {
      const ns = await mustCreate<Namespace>(api, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'team' },
      });
      expect(ns.spec?.finalizers).toEqual(['kubernetes']);
      await mustCreate(api, cm('a'));
      await mustCreate(api, cm('held', ['example.com/hold']));
      await mustCreate(api, {
        ...replicaSet('web', 2),
        metadata: { name: 'web', namespace: 'team' },
      });
      await mustCreate(api, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', namespace: 'team' },
        stringData: { k: 'v' },
      });
      await mustCreate(api, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'team' },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      });
      const del = await api.delete('Namespace', undefined, 'team');
      expect(del.ok && del.value.status?.phase).toBe('Terminating');
      // NamespaceLifecycle: nothing new in a terminating namespace.
      const late = await api.create(cm('late'));
      expect(late.status).toBe(403);
      await waitFor(
        ports,
        () =>
          records.some((r) => r.k === 'api.request' && r.verb === 'DELETE' && r.user === NS_USER),
        10_000_000,
        'the controller to delete content',
      );
      await ports.clock.sleep(5_000_000);
      for (const kind of ['Pod', 'ReplicaSet', 'Secret'] as const) {
        const left = await api.list(kind, 'team');
        expect(left.ok && left.value.items).toEqual([]);
      }
      const held = await api.list('ConfigMap', 'team');
      expect(held.ok && held.value.items.map((o) => o.metadata.name)).toEqual(['held']);
      expect((await api.get('Namespace', undefined, 'team')).ok).toBe(true);
      // The finalizer runs: the namespace goes at the controller's next look.
      const got = await api.get('ConfigMap', 'team', 'held');
      if (!got.ok) throw new Error('held is gone');
      const freed = await api.update({
        ...got.value,
        metadata: { ...got.value.metadata, finalizers: [] },
      });
      expect(freed.ok).toBe(true);
      await waitFor(
        ports,
        () => records.some((r) => r.k === 'namespace.finalized' && r.namespace === 'team'),
        60_000_000,
        'the namespace to be finalized',
      );
      expect((await api.get('Namespace', undefined, 'team')).status).toBe(404);
    });
  });
});
