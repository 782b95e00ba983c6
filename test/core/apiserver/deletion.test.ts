import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { parseTime } from '../../../core/api/time.ts';
import { ok, pod, withApi } from './fixtures.ts';

const seconds = (ts: string | undefined): number => (parseTime(ts ?? '') ?? NaN) / 1_000_000;

describe('deletion rules (upstream rest.BeforeDelete and the pod strategy)', () => {
  it('a repeated delete may only shorten a pending grace period', async () => {
    await withApi(async (api) => {
      ok(await api.create(pod('p')));
      ok(await api.bind('default', 'p', 'node-1'));
      const first = ok(await api.delete('Pod', 'default', 'p'));
      expect(first.metadata.deletionGracePeriodSeconds).toBe(30);
      const start = seconds(first.metadata.deletionTimestamp) - 30;
      const longer = ok(await api.delete('Pod', 'default', 'p', { gracePeriodSeconds: 60 }));
      expect(longer.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      const shorter = ok(await api.delete('Pod', 'default', 'p', { gracePeriodSeconds: 10 }));
      expect(shorter.metadata.deletionGracePeriodSeconds).toBe(10);
      // The deadline moves back by the difference: it still counts from the first delete.
      expect(seconds(shorter.metadata.deletionTimestamp)).toBe(start + 10);
      ok(await api.delete('Pod', 'default', 'p', { gracePeriodSeconds: 0 }));
      expect((await api.get('Pod', 'default', 'p')).status).toBe(404);
    });
  });

  it('finalizers hold a deleted object until an update removes the last one', async () => {
    await withApi(async (api) => {
      const held = pod('p');
      ok(
        await api.create({
          ...held,
          metadata: { ...held.metadata, finalizers: ['example.com/a'] },
        }),
      );
      const marked = ok(await api.delete('Pod', 'default', 'p'));
      expect(marked.metadata.deletionTimestamp).toBeDefined();
      expect(marked.metadata.deletionGracePeriodSeconds).toBe(0);
      const released = await api.update<Pod>({
        ...marked,
        metadata: { ...marked.metadata, finalizers: [] },
      });
      expect(released.status).toBe(200);
      expect((await api.get('Pod', 'default', 'p')).status).toBe(404);
    });
  });

  it('delete preconditions on uid and resourceVersion answer 409', async () => {
    await withApi(async (api) => {
      const created = ok(await api.create(pod('p')));
      const uid = await api.delete('Pod', 'default', 'p', { preconditions: { uid: 'other' } });
      expect(uid.status).toBe(409);
      const rv = await api.delete('Pod', 'default', 'p', {
        preconditions: { resourceVersion: '1' },
      });
      expect(!rv.ok && rv.error.message).toContain('Precondition failed: ResourceVersion');
      ok(
        await api.delete('Pod', 'default', 'p', {
          preconditions: {
            uid: created.metadata.uid,
            resourceVersion: created.metadata.resourceVersion,
          },
        }),
      );
    });
  });

  it('a namespace that is being deleted takes no new objects', async () => {
    await withApi(async (api) => {
      ok(
        await api.create({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'team' },
          spec: { finalizers: ['kubernetes'] },
        }),
      );
      ok(await api.delete('Namespace', undefined, 'team'));
      const r = await api.create(pod('p', {}, 'team'));
      expect(r.status).toBe(403);
      expect(!r.ok && r.error.message).toBe(
        'pods "p" is forbidden: unable to create new content in namespace team because it is being terminated',
      );
    });
  });
});
