import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { Status } from '../../../core/api/status-types.ts';
import type { WatchFrame } from '../../../core/api/http.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import type { ApiServer } from '../../../core/apiserver/server.ts';
import { controlPlane } from '../../support/cluster.ts';

const pod = (name: string, labels: Record<string, string> = {}): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: {
      containers: [{ name: 'c', image: 'nginx:1.25', resources: { requests: { cpu: '100m' } } }],
    },
  }) as Pod;

/** A store, an API server and one client process running `script` once the server is up. */
async function cluster(
  script: (api: ApiClient, ports: ProcessPorts, sim: Simulation) => Promise<void>,
  compactionIntervalUs?: number,
  watchCacheCapacity?: number,
) {
  const sim = controlPlane({ seed: 1, apiServer: { compactionIntervalUs, watchCacheCapacity } });
  let done = false;
  sim.spawnProcess('client', (p) =>
    p.spawn(async () => {
      await p.clock.sleep(100_000);
      await script(new ApiClient(p.transport, 'apiserver'), p, sim);
      done = true;
    }),
  );
  await sim.run({ untilUs: 60_000_000, stopWhen: () => done });
  expect(done).toBe(true);
  return sim;
}

describe('API server', () => {
  it('creates, reads, lists and defaults objects', async () => {
    await cluster(async (api) => {
      const created = await api.create(pod('a', { app: 'web' }));
      expect(created.ok && created.status).toBe(201);
      if (!created.ok) return;
      expect(created.value.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.value.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(created.value.spec.restartPolicy).toBe('Always');
      expect(created.value.spec.schedulerName).toBe('default-scheduler');
      expect(created.value.status?.phase).toBe('Pending');
      await api.create(pod('b', { app: 'db' }));
      const got = await api.get('Pod', 'default', 'a');
      expect(got.ok && got.value.metadata.name).toBe('a');
      const list = await api.list('Pod', 'default', { labelSelector: 'app=web' });
      expect(list.ok && list.value.items.map((p) => p.metadata.name)).toEqual(['a']);
      const all = await api.list('Pod', undefined);
      expect(all.ok && all.value.items.length).toBe(2);
    });
  });

  it('refuses a stale resourceVersion with 409 Conflict and a bad object with 422 naming the field', async () => {
    await cluster(async (api) => {
      const created = await api.create(pod('a'));
      if (!created.ok) throw new Error('create failed');
      const first = await api.update({
        ...created.value,
        metadata: { ...created.value.metadata, labels: { v: '1' } },
      });
      expect(first.ok).toBe(true);
      const stale = await api.update({
        ...created.value,
        metadata: { ...created.value.metadata, labels: { v: '2' } },
      });
      expect(stale.ok).toBe(false);
      if (stale.ok) return;
      expect(stale.status).toBe(409);
      expect(stale.error.reason).toBe('Conflict');
      expect(stale.error.message).toContain('the object has been modified');
      const bad = await api.create({
        ...pod('Bad_Name'),
        spec: { containers: [{ name: 'c', image: '' }] },
      } as Pod);
      expect(bad.ok).toBe(false);
      if (bad.ok) return;
      expect(bad.status).toBe(422);
      expect(bad.error.message).toContain('metadata.name: Invalid value: "Bad_Name"');
      expect(bad.error.message).toContain('spec.containers[0].image: Required value');
      const dup = await api.create(pod('a'));
      expect(!dup.ok && dup.error.reason).toBe('AlreadyExists');
      const missingNs = await api.create({
        ...pod('x'),
        metadata: { name: 'x', namespace: 'nope' },
      } as Pod);
      expect(!missingNs.ok && missingNs.error.message).toBe('namespaces "nope" not found');
    });
  });

  it('binds a pod once and refuses a second binding', async () => {
    await cluster(async (api) => {
      await api.create(pod('a'));
      const b1 = await api.bind('default', 'a', 'node-1');
      expect(b1.status).toBe(201);
      const b2 = await api.bind('default', 'a', 'node-2');
      expect(!b2.ok && b2.error.message).toContain('pod a is already assigned to node "node-1"');
      const got = await api.get('Pod', 'default', 'a');
      expect(got.ok && got.value.spec.nodeName).toBe('node-1');
      expect(
        got.ok && got.value.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status,
      ).toBe('True');
    });
  });

  it('deletes bound pods gracefully and unbound pods at once', async () => {
    await cluster(async (api) => {
      await api.create(pod('bound'));
      await api.bind('default', 'bound', 'node-1');
      await api.create(pod('free'));
      const d1 = await api.delete('Pod', 'default', 'bound');
      expect(d1.ok && d1.value.metadata.deletionTimestamp).toBeDefined();
      expect(d1.ok && d1.value.metadata.deletionGracePeriodSeconds).toBe(30);
      expect((await api.get('Pod', 'default', 'bound')).ok).toBe(true);
      await api.delete('Pod', 'default', 'free');
      expect((await api.get('Pod', 'default', 'free')).status).toBe(404);
      const final = await api.delete('Pod', 'default', 'bound', { gracePeriodSeconds: 0 });
      expect(final.ok).toBe(true);
      expect((await api.get('Pod', 'default', 'bound')).status).toBe(404);
    });
  });

  it('streams watch events from a resourceVersion, filtered by field selector', async () => {
    await cluster(async (api, ports) => {
      const created = await api.create(pod('a'));
      if (!created.ok) throw new Error('create failed');
      const frames: WatchFrame[] = [];
      api.watch(
        'Pod',
        undefined,
        {
          resourceVersion: created.value.metadata.resourceVersion,
          fieldSelector: 'spec.nodeName=node-1',
        },
        {
          onFrame: (f) => frames.push(f),
          onClose: () => {},
        },
      );
      await ports.clock.sleep(10_000);
      await api.create(pod('b'));
      await api.bind('default', 'b', 'node-1');
      await api.bind('default', 'a', 'node-2');
      await api.delete('Pod', 'default', 'b', { gracePeriodSeconds: 0 });
      await ports.clock.sleep(10_000);
      expect(frames.map((f) => `${f.type} ${(f.object as Pod).metadata.name}`)).toEqual([
        'ADDED b',
        'DELETED b',
      ]);
    });
  });

  it('unregisters a watch the server ends (timeoutSeconds), so re-watching does not pile up watchers', async () => {
    const registered: number[] = [];
    let closes = 0;
    let events = 0;
    await cluster(async (api, ports, sim) => {
      const server = sim.process('apiserver').instance as ApiServer;
      const pods = (): number => server.registeredWatchers().get('v1|pods') ?? 0;
      // An informer's loop: watch with a timeout, and watch again when the server ends it.
      for (let round = 0; round < 5; round++) {
        let ended = false;
        api.watch(
          'Pod',
          undefined,
          { timeoutSeconds: 2 },
          { onFrame: () => events++, onClose: () => ((ended = true), closes++) },
        );
        await ports.clock.sleep(1_000_000);
        registered.push(pods());
        await api.create(pod(`p${round}`));
        while (!ended) await ports.clock.sleep(100_000);
      }
      await ports.clock.sleep(100_000);
      registered.push(pods());
    });
    expect(closes).toBe(5);
    // Each watch sees the pods created before it (ADDED, as a watch without a version does)
    // and its own round's create: 1 + 2 + 3 + 4 + 5.
    expect(events).toBe(15);
    expect(registered).toEqual([1, 1, 1, 1, 1, 0]);
  });

  it('sends bookmarks as upstream: about every minute and 2 s before the deadline, only when allowed', async () => {
    const sim = controlPlane({ seed: 1 });
    const bookmarks: Array<{ atS: number; rv: string }> = [];
    let others = 0;
    let plain = 0;
    let latestRv = '';
    let started = 0;
    sim.spawnProcess('client', (p) =>
      p.spawn(async () => {
        await p.clock.sleep(100_000);
        const api = new ApiClient(p.transport, 'apiserver');
        started = p.clock.now();
        api.watch(
          'Pod',
          undefined,
          { allowWatchBookmarks: true, timeoutSeconds: 150 },
          {
            onFrame: (f) => {
              if (f.type !== 'BOOKMARK') return void others++;
              const rv = (f.object as Pod).metadata.resourceVersion ?? '';
              bookmarks.push({ atS: (p.clock.now() - started) / 1_000_000, rv });
            },
            onClose: () => {},
          },
        );
        api.watch(
          'Pod',
          undefined,
          { timeoutSeconds: 150 },
          { onFrame: () => plain++, onClose: () => {} },
        );
        for (let i = 0; i < 10; i++) {
          const created = await api.create(pod(`p${i}`));
          if (created.ok) latestRv = created.value.metadata.resourceVersion ?? '';
          await p.clock.sleep(10_000_000);
        }
      }),
    );
    await sim.run({ untilUs: 200_000_000 });
    // Due at 60 s and 120 s (in one-second buckets), then 2 s before the 150 s deadline.
    expect(bookmarks.map((b) => Math.ceil(b.atS))).toEqual([61, 121, 149]);
    expect(bookmarks.at(-1)?.rv).toBe(latestRv);
    expect(others).toBe(10);
    expect(plain).toBe(10);
  });

  it("sends a watcher's bookmarks about once a minute and 2 s before its deadline, not on every store progress notification", async () => {
    const sim = controlPlane({ seed: 1 });
    const bookmarks: { atUs: number; rv: number }[] = [];
    let otherFrames = 0;
    let createdRv = 0;
    let startUs = 0;
    let closedUs: number | undefined;
    sim.spawnProcess('client', (p) =>
      p.spawn(async () => {
        await p.clock.sleep(100_000);
        const api = new ApiClient(p.transport, 'apiserver');
        startUs = p.clock.now();
        api.watch(
          'Pod',
          undefined,
          { allowWatchBookmarks: true, timeoutSeconds: 70 },
          {
            onFrame: (f) => {
              if (f.type !== 'BOOKMARK') return void otherFrames++;
              const rv = Number((f.object as Pod).metadata.resourceVersion);
              bookmarks.push({ atUs: p.clock.now() - startUs, rv });
            },
            onClose: () => (closedUs = p.clock.now() - startUs),
          },
        );
        // A watcher without bookmarks alongside, which must get none.
        api.watch(
          'Pod',
          undefined,
          { timeoutSeconds: 70 },
          { onFrame: (f) => expect(f.type).not.toBe('BOOKMARK'), onClose: () => {} },
        );
        await p.clock.sleep(30_000_000);
        const created = await api.create(pod('a'));
        if (created.ok) createdRv = Number(created.value.metadata.resourceVersion);
      }),
    );
    await sim.run({ untilUs: 75_000_000 });
    expect(otherFrames).toBe(1);
    expect(closedUs).toBeGreaterThanOrEqual(70_000_000);
    // Bookmarks come at 60 s and at 68 s (each within the second its time falls in), each at a
    // version past the write.
    const seconds = bookmarks.map((b) => Math.round(b.atUs / 1_000_000));
    expect(seconds).toHaveLength(2);
    expect(seconds[0]).toBeGreaterThanOrEqual(59);
    expect(seconds[0]).toBeLessThanOrEqual(61);
    expect(seconds[1]).toBeGreaterThanOrEqual(67);
    expect(seconds[1]).toBeLessThanOrEqual(69);
    for (const b of bookmarks) expect(b.rv).toBeGreaterThanOrEqual(createdRv);
  }, 300_000);

  it('compacts history and answers 410 Expired for a watch from a compacted resourceVersion', async () => {
    await cluster(async (api, ports) => {
      const created = await api.create(pod('a'));
      if (!created.ok) throw new Error('create failed');
      const oldRv = created.value.metadata.resourceVersion;
      await api.create(pod('b'));
      // Two compaction intervals: the first records the revision, the second compacts to it.
      await ports.clock.sleep(2_500_000);
      const status = await new Promise<Status>((resolve) =>
        api.watch(
          'Pod',
          undefined,
          { resourceVersion: oldRv },
          {
            onFrame: (f) => {
              if (f.type === 'ERROR') resolve(f.object as Status);
            },
            onClose: () => {},
          },
        ),
      );
      expect(status.code).toBe(410);
      expect(status.reason).toBe('Expired');
      const fresh = await api.list('Pod', undefined);
      expect(fresh.ok && fresh.value.items.length).toBe(2);
    }, 1_000_000);
  });

  it('resumes watches from the watch cache window and expires versions older than it', async () => {
    await cluster(
      async (api, ports) => {
        const first = await api.create(pod('p0'));
        if (!first.ok) throw new Error('create failed');
        const rv0 = first.value.metadata.resourceVersion as string;
        // Start the cache, then make more changes than the 3-event window holds.
        const live: string[] = [];
        api.watch(
          'Pod',
          'default',
          {},
          {
            onFrame: (f) => live.push(`${f.type} ${(f.object as Pod).metadata.name}`),
            onClose: () => {},
          },
        );
        await ports.clock.sleep(10_000);
        const rvs: string[] = [];
        for (const name of ['p1', 'p2', 'p3', 'p4']) {
          const r = await api.create(pod(name));
          if (r.ok) rvs.push(r.value.metadata.resourceVersion as string);
        }
        await ports.clock.sleep(10_000);
        expect(live).toEqual(['ADDED p0', 'ADDED p1', 'ADDED p2', 'ADDED p3', 'ADDED p4']);
        const resumed: string[] = [];
        api.watch(
          'Pod',
          'default',
          { resourceVersion: rvs[1] },
          {
            onFrame: (f) => resumed.push(`${f.type} ${(f.object as Pod).metadata.name}`),
            onClose: () => {},
          },
        );
        const expired: string[] = [];
        api.watch(
          'Pod',
          'default',
          { resourceVersion: rv0 },
          {
            onFrame: (f) => expired.push(`${f.type} ${(f.object as Status).code ?? ''}`),
            onClose: () => {},
          },
        );
        await ports.clock.sleep(10_000);
        expect(resumed).toEqual(['ADDED p3', 'ADDED p4']);
        expect(expired).toEqual(['ERROR 410']);
      },
      0,
      3,
    );
  });

  it('delivers pod changes to node-pinned watchers of that node only', async () => {
    await cluster(async (api, ports) => {
      const seen = new Map<string, string[]>();
      for (const node of ['n1', 'n2']) {
        const log: string[] = [];
        seen.set(node, log);
        api.watch(
          'Pod',
          undefined,
          { fieldSelector: `spec.nodeName=${node}` },
          {
            onFrame: (f) => log.push(`${f.type} ${(f.object as Pod).metadata.name}`),
            onClose: () => {},
          },
        );
      }
      await ports.clock.sleep(10_000);
      await api.create(pod('a'));
      await api.bind('default', 'a', 'n1');
      await api.create(pod('b'));
      await api.bind('default', 'b', 'n2');
      await api.delete('Pod', 'default', 'a', { gracePeriodSeconds: 0 });
      await ports.clock.sleep(10_000);
      expect(seen.get('n1')).toEqual(['ADDED a', 'DELETED a']);
      expect(seen.get('n2')).toEqual(['ADDED b']);
    });
  });
});
