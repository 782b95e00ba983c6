import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { TOKEN_MOUNT_PATH } from '../../../core/apiserver/admission/plugins/service-account.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';

const pod = (name: string, extra: Partial<Pod['spec']> = {}, namespace = 'default'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: {
    containers: [{ name: 'c', image: 'nginx:1.25' }],
    initContainers: [{ name: 'init', image: 'busybox' }],
    ...extra,
  },
});

async function createServiceAccount(api: ApiClient, name: string, extra = {}): Promise<void> {
  const r = await api.create({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: 'default' },
    ...extra,
  });
  expect(r.ok).toBe(true);
}

const withServiceAccountAdmission = () =>
  controlPlane({ apiServer: { admission: { serviceAccount: true } } });

describe('ServiceAccount admission', () => {
  it('refuses a pod whose service account does not exist, after looking for the default one a while', async () => {
    const sim = withServiceAccountAdmission();
    await runScript(sim, async (api, ports) => {
      const start = ports.clock.now();
      const r = await api.create(pod('p'));
      expect(!r.ok && r.error).toMatchObject({
        code: 403,
        message:
          'pods "p" is forbidden: error looking up service account default/default: serviceaccount "default" not found',
      });
      // Ten looks 150 ms apart.
      expect(ports.clock.now() - start).toBeGreaterThanOrEqual(9 * 150_000);
      const named = await api.create(pod('q', { serviceAccountName: 'robot' }));
      expect(!named.ok && named.error.message).toBe(
        'pods "q" is forbidden: error looking up service account default/robot: serviceaccount "robot" not found',
      );
    });
  });

  it('sets the default service account and projects its token into every container', async () => {
    const sim = withServiceAccountAdmission();
    await runScript(sim, async (api) => {
      await createServiceAccount(api, 'default', { imagePullSecrets: [{ name: 'registry' }] });
      await createServiceAccount(api, 'quiet', { automountServiceAccountToken: false });
      const r = await api.create(pod('p'));
      if (!r.ok) throw new Error(r.error.message);
      const spec = r.value.spec;
      expect(spec.serviceAccountName).toBe('default');
      expect(spec.imagePullSecrets).toEqual([{ name: 'registry' }]);
      const volume = spec.volumes?.[0];
      expect(volume?.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(volume?.projected?.sources?.map((s) => Object.keys(s)[0])).toEqual([
        'serviceAccountToken',
        'configMap',
        'downwardAPI',
      ]);
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        expect(c.volumeMounts).toEqual([
          { name: volume?.name, readOnly: true, mountPath: TOKEN_MOUNT_PATH },
        ]);
      }
      const optedOut = await api.create(pod('o', { automountServiceAccountToken: false }));
      expect(optedOut.ok && optedOut.value.spec.volumes).toBeUndefined();
      const quiet = await api.create(pod('s', { serviceAccountName: 'quiet' }));
      expect(quiet.ok && quiet.value.spec.volumes).toBeUndefined();
    });
  });

  it('with the ServiceAccounts controller, pods in a new namespace are admitted', async () => {
    const sim = withServiceAccountAdmission();
    startControllerManager(sim, { controllers: ['serviceaccount'] });
    await runScript(sim, async (api) => {
      expect(
        (await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } })).ok,
      ).toBe(true);
      const r = await api.create(pod('p', {}, 'team'));
      expect(r.ok && r.value.spec.serviceAccountName).toBe('default');
    });
  });
});
