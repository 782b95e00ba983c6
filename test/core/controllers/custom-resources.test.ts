import { describe, expect, it } from 'vitest';
import type { Namespace } from '../../../core/api/cluster-types.ts';
import type { ConfigMap } from '../../../core/api/kinds/config-map.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { establish, widgetCrd } from '../apiserver/custom-resource-fixtures.ts';

const widgets = (ns: string) => `/apis/example.com/v1/namespaces/${ns}/widgets`;

async function must<T>(p: Promise<{ ok: boolean; value?: T; error?: { message?: string } }>) {
  const r = await p;
  if (!r.ok) throw new Error(r.error?.message);
  return r.value as T;
}

const widget = (name: string, namespace: string, owner?: ConfigMap) => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: {
    name,
    namespace,
    ...(owner === undefined
      ? {}
      : {
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              name: owner.metadata.name ?? '',
              uid: owner.metadata.uid ?? '',
            },
          ],
        }),
  },
  spec: { size: 1 },
});

async function exists(api: ApiClient, ns: string, name: string): Promise<boolean> {
  const r = await api.request('GET', `${widgets(ns)}/${name}`);
  if (!r.ok && r.status !== 404) throw new Error(r.error.message);
  return r.ok;
}

describe('controllers and custom resources', () => {
  it('namespace deletion deletes the custom resources of the namespace', async () => {
    const sim = controlPlane({ secure: true });
    startControllerManager(sim, { controllers: ['namespace'] });
    await runScript(sim, async (api, ports) => {
      await establish(api, widgetCrd());
      await must(
        api.create<Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }),
      );
      await must(api.request('POST', widgets('team'), { body: widget('w', 'team') }));
      await must(api.request('POST', widgets('default'), { body: widget('keep', 'default') }));
      await must(api.delete('Namespace', undefined, 'team'));
      await ports.clock.sleep(10_000_000);
      expect(await exists(api, 'team', 'w')).toBe(false);
      expect((await api.get('Namespace', undefined, 'team')).status).toBe(404);
      expect(await exists(api, 'default', 'keep')).toBe(true);
    });
  });

  it("the garbage collector deletes custom resources whose owner is gone, and custom owners' dependents", async () => {
    const sim = controlPlane({ secure: true });
    startControllerManager(sim, { controllers: ['garbagecollector'] });
    await runScript(sim, async (api, ports) => {
      await establish(api, widgetCrd());
      const owner = await must<ConfigMap>(
        api.create<ConfigMap>({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'owner', namespace: 'default' },
        }),
      );
      await must(
        api.request('POST', widgets('default'), { body: widget('dep', 'default', owner) }),
      );
      await must(api.request('POST', widgets('default'), { body: widget('free', 'default') }));
      const wOwner = await must<{ metadata: { uid: string } }>(
        api.request('GET', `${widgets('default')}/free`),
      );
      await must(
        api.create<ConfigMap>({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'cm-dep',
            namespace: 'default',
            ownerReferences: [
              {
                apiVersion: 'example.com/v1',
                kind: 'Widget',
                name: 'free',
                uid: wOwner.metadata.uid,
              },
            ],
          },
        }),
      );
      // Discovery of custom resources is resynced every 30 s, as upstream's.
      await ports.clock.sleep(35_000_000);
      await must(api.delete('ConfigMap', 'default', 'owner'));
      await must(api.request('DELETE', `${widgets('default')}/free`));
      await ports.clock.sleep(10_000_000);
      expect(await exists(api, 'default', 'dep')).toBe(false);
      expect((await api.get('ConfigMap', 'default', 'cm-dep')).status).toBe(404);
    });
  });
});
