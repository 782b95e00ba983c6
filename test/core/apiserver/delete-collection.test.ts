import { describe, expect, it } from 'vitest';
import type { KList } from '../../../core/api/meta-types.ts';
import type { Node } from '../../../core/api/node-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { ok, pod, withApi } from './fixtures.ts';

const PODS = '/api/v1/namespaces/default/pods';

const node = (name: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { pool: name.startsWith('a') ? 'a' : 'b' } },
});

describe('deletecollection (upstream Store.DeleteCollection)', () => {
  it('deletes what the selectors match with the normal delete semantics and lists it', async () => {
    await withApi(async (api) => {
      ok(await api.create(pod('bound', { app: 'web' })));
      ok(await api.bind('default', 'bound', 'node-1'));
      ok(await api.create(pod('free', { app: 'web' })));
      ok(await api.create(pod('other', { app: 'db' })));
      const held = pod('held', { app: 'web' });
      ok(
        await api.create({
          ...held,
          metadata: { ...held.metadata, finalizers: ['example.com/x'] },
        }),
      );
      const r = ok(
        await api.request<KList<Pod>>('DELETE', PODS, {
          query: { labelSelector: 'app=web' },
          body: { kind: 'DeleteOptions', apiVersion: 'v1' },
        }),
      );
      expect(r.kind).toBe('PodList');
      expect(r.items.map((p) => p.metadata.name)).toEqual(['bound', 'free', 'held']);
      // Bound pods get their grace period, finalizers hold, the rest goes at once.
      const bound = ok(await api.get('Pod', 'default', 'bound'));
      expect(bound.metadata.deletionGracePeriodSeconds).toBe(30);
      expect((await api.get('Pod', 'default', 'free')).status).toBe(404);
      const stillHeld = ok(await api.get('Pod', 'default', 'held'));
      expect(stillHeld.metadata.deletionTimestamp).toBeDefined();
      expect(
        ok(await api.get('Pod', 'default', 'other')).metadata.deletionTimestamp,
      ).toBeUndefined();
    });
  });

  it('filters by field selector and passes delete options on to each delete', async () => {
    await withApi(async (api) => {
      for (const name of ['a', 'b']) {
        ok(await api.create(pod(name)));
        ok(await api.bind('default', name, name === 'a' ? 'node-1' : 'node-2'));
      }
      const r = ok(
        await api.request<KList<Pod>>('DELETE', PODS, {
          query: { fieldSelector: 'spec.nodeName=node-1', gracePeriodSeconds: '0' },
        }),
      );
      expect(r.items.map((p) => p.metadata.name)).toEqual(['a']);
      expect((await api.get('Pod', 'default', 'a')).status).toBe(404);
      expect((await api.get('Pod', 'default', 'b')).status).toBe(200);
    });
  });

  it('works on cluster-scoped resources and is refused where discovery does not list it', async () => {
    await withApi(async (api) => {
      for (const name of ['a1', 'a2', 'b1']) ok(await api.create(node(name)));
      const r = ok(
        await api.request<KList<Node>>('DELETE', '/api/v1/nodes', {
          query: { labelSelector: 'pool=a' },
        }),
      );
      expect(r.items.map((n) => n.metadata.name)).toEqual(['a1', 'a2']);
      const left = ok(await api.list('Node', undefined));
      expect(left.items.map((n) => n.metadata.name)).toEqual(['b1']);
      const ns = await api.request('DELETE', '/api/v1/namespaces');
      expect(ns.status).toBe(405);
      const bad = await api.request('DELETE', PODS, { query: { fieldSelector: 'spec.foo=x' } });
      expect(bad.status).toBe(400);
    });
  });
});
