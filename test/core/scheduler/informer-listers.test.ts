/**
 * InformerListers.defaultSelectors against a simulated API server: helper.DefaultSelector's
 * inputs (plugins/helper/spread.go) are the Services selecting the pod and its controller.
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { KindOf } from '../../../core/api/types.ts';
import { InformerListers } from '../../../core/scheduler/informer-listers.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';

const service = (name: string, selector?: Record<string, string>): KindOf<'Service'> => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { ports: [{ port: 80 }], ...(selector ? { selector } : {}) },
});

describe('InformerListers.defaultSelectors', () => {
  // spread_test.go TestGetPodServices and TestDefaultSelector ("service + replicaset" style
  // cases): matching Services, then the owning ReplicaSet; others are ignored.
  it('names the matching Services and the controlling ReplicaSet, nothing else', async () => {
    const sim = controlPlane();
    await runScript(sim, async (api, ports) => {
      for (const s of [
        service('web', { app: 'web' }),
        service('tier', { tier: 'front' }),
        service('other', { app: 'db' }),
        service('headless'),
      ])
        expect((await api.create(s)).ok).toBe(true);
      const rs = (name: string) => ({
        apiVersion: 'apps/v1' as const,
        kind: 'ReplicaSet' as const,
        metadata: { name, namespace: 'default' },
        spec: {
          selector: { matchLabels: { app: 'web', rs: name } },
          template: {
            metadata: { labels: { app: 'web', rs: name } },
            spec: { containers: [{ name: 'c', image: 'busybox' }] },
          },
        },
      });
      const owner = await api.create(rs('owner'));
      if (!owner.ok) throw new Error('create failed');
      expect((await api.create(rs('bystander'))).ok).toBe(true);
      const listers = new InformerListers(ports, api);
      while (!listers.hasSynced) await ports.clock.sleep(10_000);
      const p: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'p',
          namespace: 'default',
          labels: { app: 'web', tier: 'front', rs: 'owner' },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: 'owner',
              uid: (owner.value as KindOf<'ReplicaSet'>).metadata.uid ?? '',
              controller: true,
            },
          ],
        },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      };
      expect(listers.defaultSelectors(p)).toEqual([
        { matchLabels: { tier: 'front' } },
        { matchLabels: { app: 'web' } },
        { matchLabels: { app: 'web', rs: 'owner' } },
      ]);
      const orphan = { ...p, metadata: { ...p.metadata, ownerReferences: [] } };
      expect(listers.defaultSelectors(orphan)).toHaveLength(2);
      listers.stop();
    });
  });
});
