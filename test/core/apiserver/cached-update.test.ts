/**
 * Read-modify-writes start from the watch cache's copy (upstream Cacher.GuaranteedUpdate), and
 * answer failures only from the live object: a stale copy never turns into a wrong 409.
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { Informer } from '../../../core/client/informer.ts';
import { DEFAULT_NETWORK } from '../../../sim/network.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';
import { ok, pod } from './fixtures.ts';

/** Requests the store received from the API server. */
function storeRequests(lines: readonly string[]): number {
  return lines.filter((l) => l.includes('"k":"net.request","from":"apiserver","msg":"kv"')).length;
}

describe('read-modify-write from the watch cache', () => {
  it('saves the store read when the cache is current, and stays right when it is not', async () => {
    const sim = controlPlane({ traceLevel: 'debug' });
    const lines: string[] = [];
    sim.trace.addSink((l) => lines.push(l));
    await runScript(sim, async (api, ports) => {
      let current = ok(await api.create(pod('p')));
      // A watch starts the pods' watch cache.
      new Informer(ports, api, 'Pod').start();
      await ports.clock.sleep(1_000_000);
      const before = storeRequests(lines);
      for (let i = 0; i < 5; i++) {
        current = ok(
          await api.update<Pod>({
            ...current,
            metadata: { ...current.metadata, labels: { step: String(i) } },
          }),
        );
        await ports.clock.sleep(100_000);
      }
      // One txn per update: no read before it.
      expect(storeRequests(lines) - before).toBe(5);
      // Pinned to the version just written, sent before the cache can have seen that write:
      // the cached copy is older than the pin, so the server reads the store and succeeds.
      const [a, b] = await Promise.all([
        api.update<Pod>({ ...current, metadata: { ...current.metadata, labels: { x: 'a' } } }),
        api.update<Pod>({ ...current, metadata: { ...current.metadata, labels: { x: 'b' } } }),
      ]);
      // Exactly one of two writers pinned to the same version wins; the other gets its 409.
      expect([a.ok, b.ok].filter(Boolean)).toHaveLength(1);
      const winner = ok(a.ok ? a : b);
      const next = ok(
        await api.update<Pod>({ ...winner, metadata: { ...winner.metadata, labels: { y: '1' } } }),
      );
      expect(next.metadata.labels).toEqual({ y: '1' });
      // Unpinned concurrent patches from stale copies: none is lost.
      const patches = await Promise.all(
        ['l0', 'l1', 'l2', 'l3'].map((k) =>
          api.patch('Pod', 'default', 'p', { metadata: { labels: { [k]: 'v' } } }),
        ),
      );
      expect(patches.every((r) => r.ok)).toBe(true);
      const final = ok(await api.get('Pod', 'default', 'p'));
      expect(final.metadata.labels).toEqual({ y: '1', l0: 'v', l1: 'v', l2: 'v', l3: 'v' });
    });
  });

  it('an update pinned to the version just written succeeds though the cache lags behind', async () => {
    // Jittery links: a write's watch event often reaches the API server after its response
    // went back and the client's next update arrived, so the cached copy is older than the pin.
    const sim = controlPlane({
      network: {
        ...DEFAULT_NETWORK,
        link: { ...DEFAULT_NETWORK.link, latency: { kind: 'uniform', minUs: 100, maxUs: 40_000 } },
      },
    });
    await runScript(sim, async (api, ports) => {
      let current = ok(await api.create(pod('p')));
      new Informer(ports, api, 'Pod').start();
      await ports.clock.sleep(1_000_000);
      for (let i = 0; i < 30; i++) {
        current = ok(
          await api.update<Pod>({
            ...current,
            metadata: { ...current.metadata, labels: { step: String(i) } },
          }),
        );
      }
      expect(current.metadata.labels).toEqual({ step: '29' });
    });
  });

  it('a write that loses to a newer version retries from what its txn read back, not a new read', async () => {
    // Jittery links, so the cache often still holds the version before the last patch.
    const sim = controlPlane({
      traceLevel: 'debug',
      network: {
        ...DEFAULT_NETWORK,
        link: { ...DEFAULT_NETWORK.link, latency: { kind: 'uniform', minUs: 100, maxUs: 40_000 } },
      },
    });
    const lines: string[] = [];
    sim.trace.addSink((l) => lines.push(l));
    const costs: number[] = [];
    await runScript(sim, async (api, ports) => {
      ok(await api.create(pod('p')));
      new Informer(ports, api, 'Pod').start();
      await ports.clock.sleep(1_000_000);
      for (let i = 0; i < 30; i++) {
        const before = storeRequests(lines);
        ok(await api.patch('Pod', 'default', 'p', { metadata: { labels: { step: String(i) } } }));
        costs.push(storeRequests(lines) - before);
      }
      const final = ok(await api.get('Pod', 'default', 'p'));
      expect(final.metadata.labels).toEqual({ step: '29' });
    });
    // One txn from a current cached copy; from a stale one a failed txn, then one from the
    // object it read back: never a read in between.
    expect(costs.every((c) => c === 1 || c === 2)).toBe(true);
    expect(costs.filter((c) => c === 2).length).toBeGreaterThan(0);
  });
});
