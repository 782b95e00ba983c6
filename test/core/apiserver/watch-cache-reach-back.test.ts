/**
 * A watch from a version older than its resource's watch cache: the cache starts with the first
 * watch of its resource, so a client that listed (from the store) before another client's watch
 * started the cache holds a version the cache never had. Upstream's cache, started with the
 * server, has it; so must ksim's, or that client gets 410 Gone for no change it missed. That
 * is what failed test/real/http/concurrent-clients.test.ts under load: its 100 watchers listed
 * configmaps before the controller manager's first configmaps watch and watched after it, and
 * every one of them got 410 and nothing else.
 */
import { describe, expect, it } from 'vitest';
import type { Status } from '../../../core/api/status-types.ts';
import type { KObject } from '../../../core/api/types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { API_SERVER } from '../../../core/cluster/identities.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';

const configMap = (name: string): KObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data: { n: name },
});

interface Watched {
  /** `TYPE name rv`, or `ERROR code` for a Status. */
  readonly frames: string[];
  closed: boolean;
}

function watchConfigMaps(api: ApiClient, resourceVersion?: string): Watched {
  const w: Watched = { frames: [], closed: false };
  api.watch('ConfigMap', 'default', resourceVersion === undefined ? {} : { resourceVersion }, {
    onFrame: (f) => {
      if (f.type === 'ERROR') w.frames.push(`ERROR ${(f.object as Status).code ?? ''}`);
      else {
        const meta = (f.object as KObject).metadata;
        w.frames.push(`${f.type} ${meta?.name ?? ''} ${meta?.resourceVersion ?? ''}`);
      }
    },
    onClose: () => (w.closed = true),
  });
  return w;
}

async function create(api: ApiClient, name: string): Promise<string> {
  const r = await api.create(configMap(name));
  if (!r.ok) throw new Error(`create ${name}: ${r.status}`);
  return `ADDED ${name} ${r.value.metadata?.resourceVersion ?? ''}`;
}

async function listedVersion(api: ApiClient): Promise<string> {
  const list = await api.list('ConfigMap', 'default');
  if (!list.ok) throw new Error(`list: ${list.status}`);
  return list.value.metadata.resourceVersion ?? '';
}

async function run(
  script: (api: ApiClient, ports: ProcessPorts) => Promise<void>,
  apiServer: { compactionIntervalUs?: number; watchCacheCapacity?: number } = {},
): Promise<void> {
  await runScript(controlPlane({ apiServer }), script);
}

describe('watch cache: a watch from before the cache started', () => {
  it('gets every change since its version, and the watchers already there get nothing twice', async () => {
    await run(async (api, ports) => {
      // Listed before anyone watches configmaps: the cache is not running yet.
      const listed = await listedVersion(api);
      const early = [await create(api, 'a'), await create(api, 'b')];
      // Another client's watch starts the cache at the newest version, past `listed`.
      const first = watchConfigMaps(api);
      await ports.clock.sleep(10_000);
      expect(first.frames.map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual([
        'ADDED a',
        'ADDED b',
      ]);
      // The clients that listed watch now, all at once, from what they listed.
      const late = Array.from({ length: 20 }, () => watchConfigMaps(api, listed));
      await ports.clock.sleep(10_000);
      const after = [await create(api, 'c'), await create(api, 'd')];
      await ports.clock.sleep(10_000);
      for (const w of late) {
        expect(w.frames).toEqual([...early, ...after]);
        expect(w.closed).toBe(false);
      }
      // The cache began again from `listed` and replayed a and b: the first watcher had them.
      expect(first.frames.slice(2)).toEqual(after);
      expect(first.closed).toBe(false);
      // A watch from the newest version still starts there.
      const newest = watchConfigMaps(api, after[1]?.split(' ')[2]);
      const last = await create(api, 'e');
      await ports.clock.sleep(10_000);
      expect(newest.frames).toEqual([last]);
      for (const w of [first, ...late]) expect(w.frames.at(-1)).toBe(last);
    });
  });

  it('reaches back no further than the store has history: a compacted version gets 410', async () => {
    await run(
      async (api, ports) => {
        const listed = await listedVersion(api);
        await create(api, 'a');
        // Two compaction intervals: the first records the revision, the second compacts to it.
        await ports.clock.sleep(2_500_000);
        const first = watchConfigMaps(api);
        await ports.clock.sleep(10_000);
        const late = watchConfigMaps(api, listed);
        await ports.clock.sleep(10_000);
        expect(late.frames).toEqual(['ERROR 410']);
        expect(late.closed).toBe(true);
        const b = await create(api, 'b');
        await ports.clock.sleep(10_000);
        // The cache did not begin again: the first watcher saw a once.
        expect(first.frames.map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual([
          'ADDED a',
          'ADDED b',
        ]);
        expect(first.frames.at(-1)).toBe(b);
      },
      { compactionIntervalUs: 1_000_000 },
    );
  });

  it('reaches back no further than the start of the server: an older version gets 410', async () => {
    const sim = controlPlane();
    await runScript(sim, async (api, ports) => {
      const listed = await listedVersion(api);
      await create(api, 'a');
      // A new server: its caches begin at the store's version now, as upstream's list when the
      // server starts, so a version from before it is older than any of them.
      sim.crash(API_SERVER);
      sim.restart(API_SERVER);
      await ports.clock.sleep(2_000_000);
      const b = await create(api, 'b');
      const first = watchConfigMaps(api);
      await ports.clock.sleep(10_000);
      const late = watchConfigMaps(api, listed);
      await ports.clock.sleep(10_000);
      expect(late.frames).toEqual(['ERROR 410']);
      expect(first.frames.map((f) => f.split(' ')[1])).toEqual(['a', 'b']);
      expect(first.frames.at(-1)).toBe(b);
    });
  });

  it('reaches back no further than its window once that dropped a change: 410', async () => {
    await run(
      async (api, ports) => {
        const listed = await listedVersion(api);
        await create(api, 'a');
        const first = watchConfigMaps(api);
        await ports.clock.sleep(10_000);
        // More changes than the 2-change window holds.
        for (const name of ['b', 'c', 'd']) await create(api, name);
        await ports.clock.sleep(10_000);
        const late = watchConfigMaps(api, listed);
        await ports.clock.sleep(10_000);
        expect(late.frames).toEqual(['ERROR 410']);
        expect(first.frames.map((f) => f.split(' ')[1])).toEqual(['a', 'b', 'c', 'd']);
      },
      { watchCacheCapacity: 2 },
    );
  });
});
