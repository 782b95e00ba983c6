/**
 * @kubernetes/client-node (the JavaScript client library) against `ksim serve
 * scenarios/quickstart.yaml`, authenticated by the client certificate of the kubeconfig serve
 * wrote: list, create, patch, delete, watch, an informer that relists after a 410, and a
 * user's controller written with it, run as its own process, reconciling ConfigMaps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServedCluster } from './serve-process.ts';

let cluster: ServedCluster;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

/** Polls `probe` every 100 ms until it returns a value (at most `tries` times). */
async function eventually<T>(probe: () => Promise<T | undefined>, tries = 150): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met');
}

const codeOf = async (p: Promise<unknown>): Promise<number | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => (e as { code?: number }).code,
  );

describe('@kubernetes/client-node against ksim serve', () => {
  beforeAll(async () => {
    cluster = await serve('scenarios/quickstart.yaml', ['--speed', '10']);
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'lib' } } });
  });

  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('lists namespaces and nodes', async () => {
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'lib']),
    );
    const nodes = await core.listNode();
    expect(nodes.items.map((n) => n.metadata?.name).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    expect(nodes.metadata?.resourceVersion).toMatch(/^\d+$/);
  });

  it('creates, patches and deletes a ConfigMap', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'lib',
      body: { metadata: { name: 'cfg' }, data: { a: '1' } },
    });
    expect(created.metadata?.uid).toBeTruthy();
    const patched = await core.patchNamespacedConfigMap(
      { name: 'cfg', namespace: 'lib', body: { data: { b: '2' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.data).toEqual({ a: '1', b: '2' });
    const jsonPatched = await core.patchNamespacedConfigMap({
      name: 'cfg',
      namespace: 'lib',
      body: [{ op: 'remove', path: '/data/a' }],
    });
    expect(jsonPatched.data).toEqual({ b: '2' });
    expect(await codeOf(core.createNamespacedConfigMap({ namespace: 'lib', body: created }))).toBe(
      409,
    );
    await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: 'lib' });
    expect(await codeOf(core.readNamespacedConfigMap({ name: 'cfg', namespace: 'lib' }))).toBe(404);
  });

  it('watches: an ADDED event for a ConfigMap created after the watch began', async () => {
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const request = await watch.watch(
      '/api/v1/namespaces/lib/configmaps',
      {},
      (type, obj: k8s.V1ConfigMap) => seen.push(`${type} ${obj.metadata?.name}`),
      () => {},
    );
    await core.createNamespacedConfigMap({
      namespace: 'lib',
      body: { metadata: { name: 'watched' } },
    });
    await eventually(async () => (seen.includes('ADDED watched') ? true : undefined));
    request.abort();
  });

  it('relists an informer whose watch gets 410 Gone', async () => {
    let lists = 0;
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/lib/configmaps', async () => {
      lists++;
      const list = await core.listNamespacedConfigMap({ namespace: 'lib' });
      // The first list claims a resourceVersion long compacted away: the watch from it gets
      // 410 Expired, and the informer must list again.
      return lists === 1 ? { ...list, metadata: { ...list.metadata, resourceVersion: '1' } } : list;
    });
    const added: string[] = [];
    informer.on('add', (cm) => added.push(cm.metadata?.name ?? ''));
    await informer.start();
    await eventually(async () => (lists >= 2 ? true : undefined));
    await core.createNamespacedConfigMap({
      namespace: 'lib',
      body: { metadata: { name: 'after-relist' } },
    });
    await eventually(async () => (added.includes('after-relist') ? true : undefined));
    expect(added).toContain('watched');
    await informer.stop();
  });

  it('runs a controller written with it, out of process, that reconciles ConfigMaps', async () => {
    await core.createNamespace({ body: { metadata: { name: 'mirrored' } } });
    const controller: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        './sim/cli/register.mjs',
        'test/real/http/mirror-controller.ts',
        cluster.kubeconfig,
        'mirrored',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    controller.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    controller.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await eventually(async () => (output.includes('started') ? true : undefined), 300);
      await core.createNamespacedConfigMap({
        namespace: 'mirrored',
        body: { metadata: { name: 'app', labels: { mirror: 'true' } }, data: { level: 'info' } },
      });
      await core.createNamespacedConfigMap({
        namespace: 'mirrored',
        body: { metadata: { name: 'unlabelled' }, data: { x: '1' } },
      });
      const mirror = await eventually(() =>
        core.readNamespacedConfigMap({ name: 'app-mirror', namespace: 'mirrored' }),
      );
      expect(mirror.data).toEqual({ level: 'info' });
      expect(mirror.metadata?.ownerReferences?.[0]?.name).toBe('app');
      await core.patchNamespacedConfigMap(
        { name: 'app', namespace: 'mirrored', body: { data: { level: 'debug' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await eventually(async () => {
        const m = await core.readNamespacedConfigMap({ name: 'app-mirror', namespace: 'mirrored' });
        return m.data?.level === 'debug' ? true : undefined;
      });
      expect(
        await codeOf(
          core.readNamespacedConfigMap({ name: 'unlabelled-mirror', namespace: 'mirrored' }),
        ),
      ).toBe(404);
      expect(output).toContain('created app-mirror\nupdated app-mirror\n');
    } finally {
      controller.kill('SIGTERM');
    }
  });
});
