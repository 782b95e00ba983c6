import { describe, expect, it } from 'vitest';
import type { Scale } from '../../../core/api/autoscaling-types.ts';
import { ok, replicaSet, withApi } from './fixtures.ts';

const SCALE = '/apis/apps/v1/namespaces/default/replicasets/web/scale';

describe('replicasets/scale (autoscaling/v1 Scale, upstream replicaset ScaleREST)', () => {
  it('GET shows the replica set as a Scale', async () => {
    await withApi(async (api) => {
      const rs = ok(await api.create(replicaSet('web', 2)));
      const scale = ok(await api.request<Scale>('GET', SCALE));
      expect(scale).toEqual({
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: {
          name: 'web',
          namespace: 'default',
          uid: rs.metadata.uid,
          resourceVersion: rs.metadata.resourceVersion,
          creationTimestamp: rs.metadata.creationTimestamp,
        },
        spec: { replicas: 2 },
        status: { replicas: 0, selector: 'app=web' },
      });
      const missing = await api.request('GET', SCALE.replace('/web/', '/nope/'));
      expect(missing.status).toBe(404);
    });
  });

  it('PUT changes spec.replicas through the main strategy and answers 409 for a stale version', async () => {
    await withApi(async (api) => {
      const rs = ok(await api.create(replicaSet('web', 2)));
      const body = (replicas: number, resourceVersion?: string) => ({
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: 'web', namespace: 'default', resourceVersion },
        spec: { replicas },
      });
      const scaled = ok(
        await api.request<Scale>('PUT', SCALE, { body: body(5, rs.metadata.resourceVersion) }),
      );
      expect(scaled.spec.replicas).toBe(5);
      const stored = ok(await api.get('ReplicaSet', 'default', 'web'));
      expect(stored.spec.replicas).toBe(5);
      expect(stored.metadata.generation).toBe(2);
      expect(scaled.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);

      const stale = await api.request('PUT', SCALE, {
        body: body(1, rs.metadata.resourceVersion),
      });
      expect(stale.status).toBe(409);
      expect(!stale.ok && stale.error.reason).toBe('Conflict');

      const negative = await api.request('PUT', SCALE, { body: body(-1) });
      expect(negative.status).toBe(422);
      expect(!negative.ok && negative.error.message).toBe(
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      );
      expect(ok(await api.get('ReplicaSet', 'default', 'web')).spec.replicas).toBe(5);
    });
  });

  it('PATCH merges into the Scale and keeps status', async () => {
    await withApi(async (api) => {
      ok(await api.create(replicaSet('web', 2)));
      const patched = ok(
        await api.request<Scale>('PATCH', SCALE, {
          body: { spec: { replicas: 4 }, status: { replicas: 9 } },
        }),
      );
      expect(patched.spec.replicas).toBe(4);
      expect(patched.status.replicas).toBe(0);
      expect(ok(await api.get('ReplicaSet', 'default', 'web')).spec.replicas).toBe(4);
      const pinned = await api.request('PATCH', SCALE, {
        body: { metadata: { resourceVersion: '1' }, spec: { replicas: 1 } },
      });
      expect(pinned.status).toBe(409);
    });
  });

  it('resources without a scale subresource answer 404', async () => {
    await withApi(async (api) => {
      const r = await api.request('GET', '/api/v1/namespaces/default/pods/p/scale');
      expect(r.status).toBe(404);
    });
  });
});
