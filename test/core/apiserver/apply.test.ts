/**
 * Server-side apply through the API server: managedFields per manager, conflicts as 409s that
 * name the managers and fields as upstream's (`conflict with "alice": .data.a`), force, fields
 * an applier stops applying, and Update managers (a write naming a fieldManager).
 */
import { describe, expect, it } from 'vitest';
import type { ConfigMap } from 'kubernetes-types/core/v1.d.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import type { ApiClient, ApiResult } from '../../../core/client/api-client.ts';
import { ok, replicaSet, withApi } from './fixtures.ts';

const CM = '/api/v1/namespaces/default/configmaps/cm';
const RS = '/apis/apps/v1/namespaces/default/replicasets/web';

const config = (data: Record<string, string>, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cm', ...(labels === undefined ? {} : { labels }) },
  data,
});

function applyAs<T = ConfigMap>(
  api: ApiClient,
  manager: string,
  body: unknown,
  opts: { force?: boolean; path?: string } = {},
): Promise<ApiResult<T>> {
  return api.request<T>('PATCH', opts.path ?? CM, {
    body,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: manager, ...(opts.force ? { force: 'true' } : {}) },
  });
}

const managers = (obj: {
  metadata?: { managedFields?: readonly { manager?: string; operation?: string }[] };
}) => (obj.metadata?.managedFields ?? []).map((m) => `${m.manager}/${m.operation}`);

describe('server-side apply', () => {
  it('creates the object (201) and records the applier with its fields', async () => {
    await withApi(async (api) => {
      const r = await applyAs(api, 'alice', config({ a: '1' }, { app: 'x' }));
      expect(r.status).toBe(201);
      const cm = ok(r);
      expect(cm.data).toEqual({ a: '1' });
      expect(cm.metadata?.managedFields).toEqual([
        {
          manager: 'alice',
          operation: 'Apply',
          apiVersion: 'v1',
          time: '2026-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
        },
      ]);
    });
  });

  it('accepts the configuration as YAML text', async () => {
    await withApi(async (api) => {
      const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: v\n';
      expect(ok(await applyAs(api, 'alice', yaml)).data).toEqual({ k: 'v' });
    });
  });

  it('a field another applier owns is a 409 naming the manager and the field', async () => {
    await withApi(async (api) => {
      ok(await applyAs(api, 'alice', config({ a: '1', b: '2' })));
      const r = await applyAs(api, 'bob', config({ a: 'bob', c: '3' }));
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.status).toBe(409);
      expect(r.error.reason).toBe('Conflict');
      expect(r.error.message).toBe('Apply failed with 1 conflict: conflict with "alice": .data.a');
      expect(r.error.details?.causes).toEqual([
        { reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.data.a' },
      ]);
      // Nothing was written.
      expect(ok(await api.request<ConfigMap>('GET', CM)).data).toEqual({ a: '1', b: '2' });
    });
  });

  it('an apply that agrees with the owner shares the field instead of conflicting', async () => {
    await withApi(async (api) => {
      ok(await applyAs(api, 'alice', config({ a: '1' })));
      const cm = ok(await applyAs(api, 'bob', config({ a: '1' })));
      expect(managers(cm)).toEqual(['alice/Apply', 'bob/Apply']);
    });
  });

  it('force takes the field from its owner', async () => {
    await withApi(async (api) => {
      ok(await applyAs(api, 'alice', config({ a: '1', b: '2' })));
      const cm = ok(await applyAs(api, 'bob', config({ a: 'bob' }), { force: true }));
      expect(cm.data).toEqual({ a: 'bob', b: '2' });
      const alice = cm.metadata?.managedFields?.find((m) => m.manager === 'alice');
      expect(alice?.fieldsV1).toEqual({ 'f:data': { 'f:b': {} } });
    });
  });

  it('a field the applier stops applying is removed unless someone else owns it', async () => {
    await withApi(async (api) => {
      ok(await applyAs(api, 'alice', config({ a: '1', b: '2', c: '3' })));
      ok(await applyAs(api, 'bob', config({ c: '3' })));
      const cm = ok(await applyAs(api, 'alice', config({ a: '1' })));
      expect(cm.data).toEqual({ a: '1', c: '3' });
    });
  });

  it('an Update manager (a write naming a fieldManager) conflicts as "name" using its version', async () => {
    await withApi(async (api) => {
      ok(await applyAs(api, 'alice', replicaSet('web', 2), { path: RS }));
      const patched = await api.request<ReplicaSet>('PATCH', RS, {
        body: { spec: { replicas: 5 } },
        query: { fieldManager: 'scaler' },
      });
      expect(managers(ok(patched))).toEqual(['alice/Apply', 'scaler/Update']);
      const r = await applyAs(api, 'alice', replicaSet('web', 3), { path: RS });
      expect(r.ok ? 0 : r.error.message).toBe(
        'Apply failed with 1 conflict: conflict with "scaler" using apps/v1: .spec.replicas',
      );
      // Applying the live value again is no conflict; omitting the field gives it up.
      const { replicas: _, ...spec } = replicaSet('web').spec;
      const rs = ok(
        await applyAs<ReplicaSet>(api, 'alice', { ...replicaSet('web'), spec }, { path: RS }),
      );
      expect(rs.spec.replicas).toBe(5);
    });
  });

  it('list items merge by key, each owned by its applier', async () => {
    await withApi(async (api) => {
      const rs = replicaSet('web');
      ok(await applyAs(api, 'alice', rs, { path: RS }));
      const sidecar = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web' },
        spec: {
          template: { spec: { containers: [{ name: 'side', image: 'side:1' }] } },
        },
      };
      const merged = ok(await applyAs<ReplicaSet>(api, 'bob', sidecar, { path: RS }));
      expect(merged.spec.template?.spec?.containers.map((c) => c.name)).toEqual(['c', 'side']);
      const bob = merged.metadata.managedFields?.find((m) => m.manager === 'bob');
      expect(JSON.stringify(bob?.fieldsV1)).toContain('"k:{\\"name\\":\\"side\\"}"');
    });
  });

  it('needs a fieldManager, and only apply may force', async () => {
    await withApi(async (api) => {
      const noManager = await api.request('PATCH', CM, {
        body: config({ a: '1' }),
        contentType: 'application/apply-patch+yaml',
      });
      expect(noManager.ok ? 0 : noManager.error.message).toBe(
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
      ok(await api.create(config({ a: '1' }) as never));
      const forced = await api.request('PATCH', CM, {
        body: { data: { a: '2' } },
        query: { force: 'true' },
      });
      expect(forced.ok ? 0 : forced.error.message).toBe(
        'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
      );
    });
  });
});
