import { describe, expect, it } from 'vitest';
import type { Namespace } from '../../../core/api/cluster-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { SYSTEM_NAMESPACES } from '../../../core/apiserver/namespaces.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';

async function defaultExists(api: ApiClient, namespace: string): Promise<boolean> {
  return (await api.get('ServiceAccount', namespace, 'default')).ok;
}

describe('ServiceAccounts controller', () => {
  it('gives every active namespace a default ServiceAccount, again after a delete', async () => {
    const sim = controlPlane({ secure: true });
    startControllerManager(sim, { controllers: ['serviceaccount'] });
    await runScript(sim, async (api, ports) => {
      const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } };
      expect((await api.create(ns)).ok).toBe(true);
      await ports.clock.sleep(2_000_000);
      for (const name of [...SYSTEM_NAMESPACES, 'team'])
        expect(await defaultExists(api, name)).toBe(true);
      const first = await api.get('ServiceAccount', 'team', 'default');
      expect((await api.delete('ServiceAccount', 'team', 'default')).ok).toBe(true);
      await ports.clock.sleep(2_000_000);
      const second = await api.get('ServiceAccount', 'team', 'default');
      expect(second.ok).toBe(true);
      expect(second.ok && first.ok && second.value.metadata.uid).not.toBe(
        first.ok && first.value.metadata.uid,
      );
      // A terminating namespace gets none (the namespace controller is not running, so it stays).
      expect((await api.delete('Namespace', undefined, 'team')).ok).toBe(true);
      expect((await api.delete('ServiceAccount', 'team', 'default')).ok).toBe(true);
      await ports.clock.sleep(5_000_000);
      expect(await defaultExists(api, 'team')).toBe(false);
    });
  });
});
