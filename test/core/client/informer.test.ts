import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import { Informer } from '../../../core/client/informer.ts';
import { controlPlane } from '../../support/cluster.ts';

const pod = (name: string): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
  }) as Pod;

describe('Informer', () => {
  it('mirrors the API through watch breaks, API server restarts and a compaction-forced relist', async () => {
    const sim = controlPlane({
      seed: 3,
      apiServer: { compactionIntervalUs: 2_000_000, watchCacheCapacity: 1 },
    });
    const events: string[] = [];
    let informer: Informer<'Pod'> | undefined;
    sim.spawnProcess('watcher', (p) => {
      informer = new Informer(p, new ApiClient(p.transport, 'apiserver'), 'Pod');
      informer.addEventHandler({
        onAdd: (o) => events.push(`add ${o.metadata.name}`),
        onUpdate: (_a, b) => events.push(`update ${b.metadata.name}`),
        onDelete: (o) => events.push(`delete ${o.metadata.name}`),
      });
      informer.start();
    });
    let done = false;
    sim.spawnProcess('writer', (p) =>
      p.spawn(async () => {
        const api = new ApiClient(p.transport, 'apiserver');
        await p.clock.sleep(200_000);
        await api.create(pod('a'));
        await api.create(pod('b'));
        await p.clock.sleep(100_000);
        await api.patch('Pod', 'default', 'a', { metadata: { labels: { x: '1' } } });
        // Cut the watcher off long enough for compaction to pass its resourceVersion.
        sim.network.partition([['watcher'], ['apiserver', 'etcd-0', 'writer']]);
        await api.delete('Pod', 'default', 'b');
        await api.create(pod('c'));
        await p.clock.sleep(6_000_000);
        sim.network.heal();
        await p.clock.sleep(60_000_000);
        sim.crash('apiserver');
        sim.restart('apiserver');
        await p.clock.sleep(1_000_000);
        await api.create(pod('d'));
        await p.clock.sleep(60_000_000);
        done = true;
      }),
    );
    await sim.run({ untilUs: 200_000_000, stopWhen: () => done });
    expect(done).toBe(true);
    expect(
      informer
        ?.list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['a', 'c', 'd']);
    // The changes made while the watcher was cut off reach it through a relist (its version fell
    // out of the one-event watch cache window: 410), which reports what was listed before what
    // vanished.
    expect(events).toEqual(['add a', 'add b', 'update a', 'add c', 'delete b', 'add d']);
  });
});
