import { describe, expect, it } from 'vitest';
import type { Namespace } from '../../../core/api/cluster-types.ts';
import { ok, withApi } from './fixtures.ts';

const NS = '/api/v1/namespaces/team';

const namespace = (finalizers?: string[], resourceVersion?: string): Namespace => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'team', ...(resourceVersion === undefined ? {} : { resourceVersion }) },
  ...(finalizers === undefined ? {} : { spec: { finalizers } }),
});

describe('namespaces/finalize (upstream namespace FinalizeREST)', () => {
  it('PUT finalize sets spec.finalizers; the main path and /status cannot', async () => {
    await withApi(async (api) => {
      ok(await api.create(namespace()));
      const finalized = ok(
        await api.request<Namespace>('PUT', `${NS}/finalize`, {
          body: { ...namespace(['kubernetes']), status: { phase: 'Terminating' } },
        }),
      );
      expect(finalized.spec?.finalizers).toEqual(['kubernetes']);
      expect(finalized.status?.phase).toBe('Active');
      const main = ok(await api.update<Namespace>({ ...finalized, spec: { finalizers: [] } }));
      expect(main.spec?.finalizers).toEqual(['kubernetes']);
      const status = ok(await api.updateStatus<Namespace>({ ...main, spec: { finalizers: [] } }));
      expect(status.spec?.finalizers).toEqual(['kubernetes']);
      expect((await api.request('GET', `${NS}/finalize`)).status).toBe(405);
    });
  });

  it('a namespace held by spec.finalizers turns Terminating and goes when they are removed', async () => {
    await withApi(async (api) => {
      ok(await api.create(namespace(['kubernetes'])));
      const created = ok(await api.get('Namespace', undefined, 'team'));
      expect(created.spec?.finalizers ?? []).toEqual(['kubernetes']);
      const deleted = ok(await api.delete('Namespace', undefined, 'team'));
      expect(deleted.metadata.deletionTimestamp).toBeDefined();
      expect(deleted.status?.phase).toBe('Terminating');
      const again = ok(await api.delete('Namespace', undefined, 'team'));
      expect(again.metadata.resourceVersion).toBe(deleted.metadata.resourceVersion);
      const held = ok(await api.get('Namespace', undefined, 'team'));
      const r = await api.request('PUT', `${NS}/finalize`, {
        body: { ...held, spec: { finalizers: [] } },
      });
      expect(r.status).toBe(200);
      expect((await api.get('Namespace', undefined, 'team')).status).toBe(404);
    });
  });

  it('a new namespace is held by the kubernetes finalizer: without a namespace controller it stays Terminating', async () => {
    await withApi(async (api) => {
      const created = ok(await api.create(namespace(['example.com/x'])));
      expect(created.spec?.finalizers).toEqual(['example.com/x', 'kubernetes']);
      ok(await api.create({ ...namespace(), metadata: { name: 'other' } }));
      ok(await api.delete('Namespace', undefined, 'other'));
      const held = ok(await api.get('Namespace', undefined, 'other'));
      expect(held.spec?.finalizers).toEqual(['kubernetes']);
      expect(held.status?.phase).toBe('Terminating');
    });
  });
});
