import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import { ok, pod, replicaSet, withApi } from './fixtures.ts';

const RS_PATH = '/apis/apps/v1/namespaces/default/replicasets/web';
const POD_PATH = '/api/v1/namespaces/default/pods/p';

describe('status/spec split (upstream PrepareForUpdate of the main and the status strategies)', () => {
  it('a PATCH to the main resource changes spec and metadata but never status', async () => {
    await withApi(async (api) => {
      ok(await api.create(replicaSet('web')));
      const patched = ok(
        await api.request<ReplicaSet>('PATCH', RS_PATH, {
          body: {
            metadata: { labels: { tier: 'front' } },
            spec: { replicas: 3 },
            status: { replicas: 7, readyReplicas: 7 },
          },
        }),
      );
      expect(patched.spec.replicas).toBe(3);
      expect(patched.metadata.labels).toEqual({ tier: 'front' });
      expect(patched.status).toEqual({ replicas: 0 });
      expect(patched.metadata.generation).toBe(2);
      const stored = ok(await api.get('ReplicaSet', 'default', 'web'));
      expect(stored.status).toEqual({ replicas: 0 });
    });
  });

  it('a PATCH to /status changes status and metadata but never spec', async () => {
    await withApi(async (api) => {
      ok(await api.create(replicaSet('web')));
      const patched = ok(
        await api.request<ReplicaSet>('PATCH', `${RS_PATH}/status`, {
          body: {
            metadata: { labels: { tier: 'front' } },
            spec: { replicas: 9 },
            status: { replicas: 2, readyReplicas: 1 },
          },
        }),
      );
      expect(patched.spec.replicas).toBe(2);
      expect(patched.status).toEqual({ replicas: 2, readyReplicas: 1 });
      // apps/v1 rsStatusStrategy copies only spec: labels may change through /status.
      expect(patched.metadata.labels).toEqual({ tier: 'front' });
      expect(patched.metadata.generation).toBe(1);
    });
  });

  it('a PUT to /status of a pod keeps spec and ownerReferences (podStatusStrategy)', async () => {
    await withApi(async (api) => {
      const created = ok(await api.create(pod('p')));
      const owner = { apiVersion: 'v1', kind: 'Thing', name: 'x', uid: 'u-1' };
      const put = ok(
        await api.updateStatus<Pod>({
          ...created,
          metadata: { ...created.metadata, ownerReferences: [owner], annotations: { a: 'b' } },
          spec: { ...created.spec, nodeName: 'node-9' },
          status: { ...created.status, phase: 'Running' },
        }),
      );
      expect(put.status?.phase).toBe('Running');
      expect(put.spec.nodeName).toBeUndefined();
      expect(put.metadata.ownerReferences).toBeUndefined();
      expect(put.metadata.annotations).toEqual({ a: 'b' });
      const patched = ok(
        await api.request<Pod>('PATCH', `${POD_PATH}/status`, {
          body: { spec: { nodeName: 'node-9' }, status: { phase: 'Succeeded' } },
        }),
      );
      expect(patched.spec.nodeName).toBeUndefined();
      expect(patched.status?.phase).toBe('Succeeded');
    });
  });

  it('a PUT to the main resource keeps status', async () => {
    await withApi(async (api) => {
      const created = ok(await api.create(pod('p')));
      const put = ok(
        await api.update<Pod>({
          ...created,
          metadata: { ...created.metadata, labels: { v: '2' } },
          status: { phase: 'Running' },
        }),
      );
      expect(put.metadata.labels).toEqual({ v: '2' });
      expect(put.status?.phase).toBe('Pending');
    });
  });
});
