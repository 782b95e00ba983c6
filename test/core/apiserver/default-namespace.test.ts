import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import { ok, pod, replicaSet, withApi } from './fixtures.ts';

/** A manifest as users write it: no metadata.namespace. */
function withoutNamespace<T extends { metadata: { namespace?: string } }>(obj: T): T {
  const { namespace: _ns, ...metadata } = obj.metadata;
  return { ...obj, metadata } as T;
}

describe('objects created without metadata.namespace', () => {
  it('a pod lands in the default namespace and its binding and status updates work', async () => {
    await withApi(async (api) => {
      const created = ok(await api.create(withoutNamespace(pod('p'))));
      expect(created.metadata.namespace).toBe('default');
      expect(ok(await api.bind('default', 'p', 'node-1')).status).toBe('Success');
      const bound = ok(await api.get('Pod', 'default', 'p'));
      expect(bound.spec.nodeName).toBe('node-1');
      const running = ok(
        await api.updateStatus<Pod>({ ...bound, status: { ...bound.status, phase: 'Running' } }),
      );
      expect(running.status?.phase).toBe('Running');
      const listed = ok(await api.list('Pod', undefined));
      expect(listed.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
        'default/p',
      ]);
    });
  });

  it('a replica set lands in the default namespace and its status updates work', async () => {
    await withApi(async (api) => {
      const created = ok(await api.create(withoutNamespace(replicaSet('web'))));
      expect(created.metadata.namespace).toBe('default');
      const updated = ok(
        await api.updateStatus<ReplicaSet>({ ...created, status: { replicas: 2 } }),
      );
      expect(updated.status?.replicas).toBe(2);
      // A client that leaves the namespace out of a named request means its default namespace.
      const got = ok(await api.get('ReplicaSet', undefined, 'web'));
      expect(got.status?.replicas).toBe(2);
    });
  });

  it('the server refuses a create without a namespace in the path, as kube-apiserver does', async () => {
    await withApi(async (api) => {
      const r = await api.request('POST', '/api/v1/pods', { body: withoutNamespace(pod('p')) });
      expect(r.status).toBe(405);
      expect(!r.ok && r.error.reason).toBe('MethodNotAllowed');
      const named = await api.request('GET', '/api/v1/pods/p');
      expect(named.status).toBe(404);
      expect(ok(await api.list('Pod', undefined)).items).toEqual([]);
    });
  });
});
