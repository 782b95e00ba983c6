import { describe, expect, it } from 'vitest';
import type { PersistentVolumeClaim } from '../../../core/api/kinds/persistent-volume-claim.ts';
import type { StorageClass } from '../../../core/api/kinds/storage-class.ts';
import { runScript, controlPlane } from '../../support/cluster.ts';

const claim = (name: string, storageClassName?: string): PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'default' },
  spec: {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '1Gi' } },
    ...(storageClassName === undefined ? {} : { storageClassName }),
  },
});

const storageClass = (name: string, isDefault: boolean, beta = false): StorageClass => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: {
    name,
    ...(isDefault
      ? {
          annotations: {
            [beta
              ? 'storageclass.beta.kubernetes.io/is-default-class'
              : 'storageclass.kubernetes.io/is-default-class']: 'true',
          },
        }
      : {}),
  },
  provisioner: 'example.com/disk',
});

describe('DefaultStorageClass admission', () => {
  it('gives a claim without a class the newest default class, then the first by name', async () => {
    await runScript(controlPlane(), async (api, ports) => {
      const className = async (name: string, cls?: string) => {
        const r = await api.create(claim(name, cls));
        if (!r.ok) throw new Error(r.error.message);
        return r.value.spec?.storageClassName;
      };
      expect(await className('none')).toBeUndefined();
      expect((await api.create(storageClass('plain', false))).ok).toBe(true);
      expect((await api.create(storageClass('slow', true, true))).ok).toBe(true);
      expect((await api.create(storageClass('fast', true))).ok).toBe(true);
      // Same second: by name.
      expect(await className('a')).toBe('fast');
      await ports.clock.sleep(2_000_000);
      expect((await api.create(storageClass('newest', true))).ok).toBe(true);
      expect(await className('b')).toBe('newest');
      // A class named, or "" (no class), stays.
      expect(await className('c', 'plain')).toBe('plain');
      expect(await className('d', '')).toBe('');
    });
  });
});
