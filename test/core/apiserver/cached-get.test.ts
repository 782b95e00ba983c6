/**
 * A get with resourceVersion "0" is answered from the watch cache when the resource's cache
 * runs (upstream Cacher.Get), without a store request, and by the store while it does not.
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { Informer } from '../../../core/client/informer.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';
import { ok, pod } from './fixtures.ts';

/** Requests the store received from the API server. */
function storeRequests(lines: readonly string[]): number {
  return lines.filter((l) => l.includes('"k":"net.request","from":"apiserver","msg":"kv"')).length;
}

describe('get with resourceVersion "0"', () => {
  it('reads the store until the cache runs, then the cache: no store request, its 404', async () => {
    const sim = controlPlane({ traceLevel: 'debug' });
    const lines: string[] = [];
    sim.trace.addSink((l) => lines.push(l));
    await runScript(sim, async (api, ports) => {
      const created = ok(await api.create(pod('p')));
      const anyVersion = { resourceVersion: '0' };

      // No watch on pods yet, so no cache: the store answers.
      let before = storeRequests(lines);
      expect(ok(await api.get('Pod', 'default', 'p', anyVersion)).metadata.uid).toBe(
        created.metadata.uid,
      );
      expect(storeRequests(lines) - before).toBe(1);

      new Informer(ports, api, 'Pod').start();
      await ports.clock.sleep(1_000_000);
      const updated = ok(
        await api.update<Pod>({
          ...created,
          metadata: { ...created.metadata, labels: { a: 'b' } },
        }),
      );
      await ports.clock.sleep(100_000);

      before = storeRequests(lines);
      const cached = ok(await api.get('Pod', 'default', 'p', anyVersion));
      expect(cached.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);
      expect(cached.metadata.labels).toEqual({ a: 'b' });
      const missing = await api.get('Pod', 'default', 'nope', anyVersion);
      expect(missing.ok).toBe(false);
      expect(missing.ok ? 0 : missing.status).toBe(404);
      expect(missing.ok ? '' : missing.error.reason).toBe('NotFound');
      expect(storeRequests(lines) - before).toBe(0);

      // Without a version the read is the newest, through the store, as before.
      ok(await api.get('Pod', 'default', 'p'));
      expect(storeRequests(lines) - before).toBe(1);
      const bad = await api.get('Pod', 'default', 'p', { resourceVersion: 'x' });
      expect(bad.ok ? 0 : bad.status).toBe(400);
    });
  });
});
