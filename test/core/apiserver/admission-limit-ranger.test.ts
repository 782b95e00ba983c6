import { describe, expect, it } from 'vitest';
import type { LimitRange } from '../../../core/api/kinds/limit-range.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { ok, withApi } from './fixtures.ts';

const pod = (
  name: string,
  resources?: NonNullable<Pod['spec']['containers'][number]['resources']>,
): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: {
    containers: [
      { name: 'app', image: 'nginx:1.25', ...(resources === undefined ? {} : { resources }) },
    ],
  },
});

const limitRange = (
  name: string,
  limits: NonNullable<LimitRange['spec']>['limits'],
): LimitRange => ({
  apiVersion: 'v1',
  kind: 'LimitRange',
  metadata: { name, namespace: 'default' },
  spec: { limits },
});

describe('LimitRanger admission', () => {
  it('fills in container defaults and notes them in an annotation', async () => {
    await withApi(async (api) => {
      ok(
        await api.create(
          limitRange('defaults', [
            {
              type: 'Container',
              default: { cpu: '500m', memory: '256Mi' },
              defaultRequest: { cpu: '250m' },
            },
          ]),
        ),
      );
      const bare = ok(await api.create(pod('bare')));
      expect(bare.spec.containers[0]?.resources).toEqual({
        limits: { cpu: '500m', memory: '256Mi' },
        requests: { cpu: '250m' },
      });
      expect(bare.metadata.annotations?.['kubernetes.io/limit-ranger']).toBe(
        'LimitRanger plugin set: cpu request for container app; cpu, memory limit for container app',
      );
      const own = ok(
        await api.create(pod('own', { requests: { cpu: '100m' }, limits: { cpu: '1' } })),
      );
      expect(own.spec.containers[0]?.resources).toEqual({
        limits: { cpu: '1', memory: '256Mi' },
        requests: { cpu: '100m' },
      });
      expect(own.metadata.annotations?.['kubernetes.io/limit-ranger']).toBe(
        'LimitRanger plugin set: memory limit for container app',
      );
    });
  });

  it('refuses containers and pods outside min and max, with upstream messages', async () => {
    await withApi(async (api) => {
      ok(
        await api.create(
          limitRange('bounds', [
            { type: 'Container', min: { cpu: '100m' }, max: { cpu: '1' } },
            { type: 'Pod', max: { memory: '1Gi' } },
          ]),
        ),
      );
      const small = await api.create(
        pod('small', {
          requests: { cpu: '50m', memory: '1Mi' },
          limits: { cpu: '500m', memory: '1Mi' },
        }),
      );
      expect(!small.ok && small.error).toMatchObject({
        code: 403,
        message:
          'pods "small" is forbidden: minimum cpu usage per Container is 100m, but request is 50m',
      });
      const several = await api.create(
        pod('several', { requests: { cpu: '200m' }, limits: { cpu: '2', memory: '2Gi' } }),
      );
      expect(!several.ok && several.error.message).toBe(
        'pods "several" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Pod is 1Gi, but limit is 2Gi]',
      );
      const none = await api.create(pod('none'));
      expect(!none.ok && none.error.message).toBe(
        'pods "none" is forbidden: [minimum cpu usage per Container is 100m.  No request is specified, maximum cpu usage per Container is 1.  No limit is specified, maximum memory usage per Pod is 1Gi.  No limit is specified]',
      );
      ok(
        await api.create(
          pod('fits', { requests: { cpu: '200m' }, limits: { cpu: '1', memory: '512Mi' } }),
        ),
      );
    });
  });

  it('refuses a limit too far above the request (maxLimitRequestRatio), per container and pod', async () => {
    await withApi(async (api) => {
      ok(
        await api.create(
          limitRange('ratio', [
            { type: 'Container', maxLimitRequestRatio: { cpu: '2' } },
            { type: 'Pod', maxLimitRequestRatio: { memory: '1500m' } },
          ]),
        ),
      );
      const wide = await api.create(
        pod('wide', {
          requests: { cpu: '300m', memory: '1Gi' },
          limits: { cpu: '1', memory: '1Gi' },
        }),
      );
      expect(!wide.ok && wide.error.message).toBe(
        'pods "wide" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 3.333333',
      );
      const noRequest = await api.create(pod('no-request', { limits: { cpu: '1' } }));
      expect(!noRequest.ok && noRequest.error.message).toBe(
        // The cpu request defaults to the limit (ratio 1); memory has neither.
        'pods "no-request" is forbidden: memory max limit to request ratio per Pod is 1500m, but no request is specified or request is 0',
      );
      const memory = await api.create(
        pod('memory', {
          requests: { cpu: '500m', memory: '1Gi' },
          limits: { cpu: '1', memory: '2Gi' },
        }),
      );
      expect(!memory.ok && memory.error.message).toBe(
        'pods "memory" is forbidden: memory max limit to request ratio per Pod is 1500m, but provided ratio is 2.000000',
      );
      ok(
        await api.create(
          pod('fits', {
            requests: { cpu: '500m', memory: '1Gi' },
            limits: { cpu: '1', memory: '1536Mi' },
          }),
        ),
      );
    });
  });

  it("checks a claim's storage request against PersistentVolumeClaim min and max", async () => {
    await withApi(async (api) => {
      ok(
        await api.create(
          limitRange('storage', [
            { type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } },
          ]),
        ),
      );
      const claim = (name: string, storage: string) =>
        ({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name, namespace: 'default' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
        }) as const;
      const tiny = await api.create(claim('tiny', '100Mi'));
      expect(!tiny.ok && tiny.error.message).toBe(
        'persistentvolumeclaims "tiny" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 100Mi',
      );
      const huge = await api.create(claim('huge', '20Gi'));
      expect(!huge.ok && huge.error.message).toBe(
        'persistentvolumeclaims "huge" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi',
      );
      ok(await api.create(claim('fits', '5Gi')));
    });
  });
});
