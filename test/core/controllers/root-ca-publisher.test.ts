import { describe, expect, it } from 'vitest';
import type { ConfigMap } from '../../../core/api/kinds/config-map.ts';
import {
  DESCRIPTION_ANNOTATION,
  ROOT_CA_CONFIG_MAP,
  ROOT_CA_DESCRIPTION,
} from '../../../core/controllers/rootcacertpublisher/publisher.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { mustCreate, waitFor } from './harness.ts';
import { watchKindAsAdmin } from './workloads.ts';

const S = 1_000_000;
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('root CA certificate publisher', () => {
  it('puts the CA bundle in every namespace and puts it back when changed or deleted', async () => {
    const sim = controlPlane({ seed: 4, secure: true });
    startControllerManager(sim, { controllers: ['root-ca-cert-publisher'], rootCA: PEM });
    const configMaps = watchKindAsAdmin(sim, 'ConfigMap', 'watch-configmaps');
    const published = (ns: string): ConfigMap | undefined =>
      configMaps().get(`${ns}/${ROOT_CA_CONFIG_MAP}`);
    await runScript(sim, async (api, ports) => {
      // The namespaces that exist at start, then one made later.
      for (const ns of ['default', 'kube-system', 'kube-public']) {
        await waitFor(ports, () => published(ns) !== undefined, 30 * S, `${ns} bundle`);
      }
      await mustCreate(ports, api, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'team' },
      } as never);
      await waitFor(ports, () => published('team') !== undefined, 30 * S, 'team bundle');
      expect(published('team')?.data).toEqual({ 'ca.crt': PEM });
      expect(published('team')?.metadata.annotations).toEqual({
        [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION,
      });
      const current = published('team');
      if (current === undefined) throw new Error('gone');
      expect((await api.update({ ...current, data: { 'ca.crt': 'tampered' } })).ok).toBe(true);
      await waitFor(ports, () => published('team')?.data?.['ca.crt'] === PEM, 30 * S, 'restored');
      expect((await api.delete('ConfigMap', 'team', ROOT_CA_CONFIG_MAP)).ok).toBe(true);
      await ports.clock.sleep(100_000);
      await waitFor(ports, () => published('team')?.data?.['ca.crt'] === PEM, 30 * S, 'recreated');
    });
  });

  it('does not run without a CA bundle', async () => {
    const sim = controlPlane({ seed: 4, secure: true });
    startControllerManager(sim, { controllers: ['root-ca-cert-publisher', 'serviceaccount'] });
    const configMaps = watchKindAsAdmin(sim, 'ConfigMap', 'watch-configmaps');
    const accounts = watchKindAsAdmin(sim, 'ServiceAccount', 'watch-accounts');
    await runScript(sim, async (_api, ports) => {
      await waitFor(ports, () => accounts().get('default/default') !== undefined, 30 * S, 'sa');
      await ports.clock.sleep(5 * S);
      expect(
        configMaps()
          .list()
          .map((c) => c.metadata.name),
      ).not.toContain(ROOT_CA_CONFIG_MAP);
    });
  });
});
