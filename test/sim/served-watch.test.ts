/**
 * The world `ksim serve` serves, with outside clients admitted at chosen virtual times: what
 * test/real/http/concurrent-clients.test.ts does over HTTP, where the wall clock decides the
 * times. Its watchers list configmaps and then watch from the list's version. Under load the
 * list was answered before the controller manager's first configmaps watch (which starts the
 * API server's watch cache for configmaps, at a later version) and the watches came after it:
 * each got 410 Gone and nothing else. Here those times are fixed.
 */
import { describe, expect, it } from 'vitest';
import { issueClientCredential } from '../../core/apiserver/authn/client-credential.ts';
import type { ApiRequest, ApiResponse, WatchFrame } from '../../core/api/http.ts';
import type { KObject } from '../../core/api/types.ts';
import { ADMIN_IDENTITY } from '../../core/cluster/identities.ts';
import { SIM_HOST } from '../../sim/cluster.ts';
import { loadScenario } from '../../sim/cli/run-command.ts';
import { startServedWorld } from '../../sim/cli/serve-command.ts';

const PATH = '/api/v1/namespaces/default/configmaps';

describe('ksim serve: a watch from a version listed before the cache started', () => {
  it('gets every create after it, though the controller manager started the configmaps cache in between', async () => {
    const traced: string[] = [];
    const { world, outside } = startServedWorld(loadScenario('scenarios/quickstart.yaml'), {
      seed: 1,
      traceSink: (line) => traced.push(line),
    });
    const { sim } = world;
    const authorization = `Bearer ${issueClientCredential(SIM_HOST.signer, ADMIN_IDENTITY)}`;
    const request = async (req: Omit<ApiRequest, 'kind' | 'authorization'>) => {
      const answer = outside.request({ kind: 'http', authorization, ...req });
      outside.admit();
      let reply: ApiResponse | undefined;
      void answer.then((r) => (reply = r.kind === 'reply' ? r.body : undefined));
      await sim.run({ untilUs: sim.now + 30_000_000, stopWhen: () => reply !== undefined });
      if (reply === undefined) throw new Error(`no answer to ${req.method} ${req.path}`);
      return reply;
    };

    // Listed at once, as the test's watchers do the moment `ksim serve` prints its URL.
    const list = await request({ method: 'GET', path: PATH });
    expect(list.status).toBe(200);
    const listed = (list.body as { metadata: { resourceVersion: string } }).metadata
      .resourceVersion;
    // The controller manager's configmaps informer watches later, from a newer version.
    await sim.run({ untilUs: sim.now + 5_000_000 });
    const managerWatches = traced
      .map((l) => JSON.parse(l) as { k: string; path?: string; resourceVersion?: string })
      .filter((r) => r.k === 'api.watch' && r.path === '/api/v1/configmaps');
    expect(managerWatches.length).toBeGreaterThan(0);
    expect(Number(managerWatches[0]?.resourceVersion)).toBeGreaterThan(Number(listed));

    const watchers = Array.from({ length: 10 }, () => {
      const frames: string[] = [];
      outside.watch(
        {
          kind: 'http',
          method: 'GET',
          path: PATH,
          authorization,
          query: { watch: 'true', resourceVersion: listed },
        },
        {
          onMessage: (f: WatchFrame) => {
            const o = f.object as KObject & { code?: number };
            frames.push(
              f.type === 'ERROR' ? `ERROR ${o.code ?? ''}` : `${f.type} ${o.metadata?.name ?? ''}`,
            );
          },
          onClose: () => frames.push('closed'),
        },
      );
      return frames;
    });
    outside.admit();
    await sim.run({ untilUs: sim.now + 1_000_000 });
    for (const name of ['a', 'b']) {
      const created = await request({
        method: 'POST',
        path: PATH,
        contentType: 'application/json',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
      });
      expect(created.status).toBe(201);
    }
    await sim.run({ untilUs: sim.now + 1_000_000 });
    for (const frames of watchers) expect(frames).toEqual(['ADDED a', 'ADDED b']);
  });
});
