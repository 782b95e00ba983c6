import { describe, expect, it } from 'vitest';
import type { Scale } from '../../../core/api/autoscaling-types.ts';
import type { Deployment } from '../../../core/api/kinds/deployment.ts';
import type { Job } from '../../../core/api/kinds/job.ts';
import type { StatefulSet } from '../../../core/api/kinds/stateful-set.ts';
import { ok, withApi } from './fixtures.ts';

const podTemplate = (app: string, restartPolicy?: string) => ({
  metadata: { labels: { app } },
  spec: {
    ...(restartPolicy === undefined ? {} : { restartPolicy }),
    containers: [{ name: 'c', image: 'nginx:1.25' }],
  },
});

const deployment = (name: string, replicas: number): Deployment =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: podTemplate(name) },
  }) as Deployment;

const statefulSet = (name: string, replicas: number): StatefulSet =>
  ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: podTemplate(name),
    },
  }) as StatefulSet;

const scaleBody = (name: string, replicas: number, resourceVersion?: string) => ({
  apiVersion: 'autoscaling/v1',
  kind: 'Scale',
  metadata: { name, namespace: 'default', resourceVersion },
  spec: { replicas },
});

describe.each([
  ['deployments', deployment, 'Deployment'],
  ['statefulsets', statefulSet, 'StatefulSet'],
] as const)('%s/scale (autoscaling/v1 Scale)', (resource, make, kind) => {
  const SCALE = `/apis/apps/v1/namespaces/default/${resource}/web/scale`;

  it('GET shows the object as a Scale with its selector', async () => {
    await withApi(async (api) => {
      const obj = ok(await api.create(make('web', 2)));
      expect(ok(await api.request<Scale>('GET', SCALE))).toEqual({
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: {
          name: 'web',
          namespace: 'default',
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
          creationTimestamp: obj.metadata.creationTimestamp,
        },
        spec: { replicas: 2 },
        status: { replicas: 0, selector: 'app=web' },
      });
    });
  });

  it('PUT and PATCH change spec.replicas, bump the generation, and refuse negatives and stale versions', async () => {
    await withApi(async (api) => {
      const obj = ok(await api.create(make('web', 2)));
      const rv = obj.metadata.resourceVersion;
      expect(
        ok(await api.request<Scale>('PUT', SCALE, { body: scaleBody('web', 5, rv) })).spec.replicas,
      ).toBe(5);
      const stored = ok(await api.get(kind, 'default', 'web'));
      expect(stored.spec.replicas).toBe(5);
      expect(stored.metadata.generation).toBe(2);
      const stale = await api.request('PUT', SCALE, { body: scaleBody('web', 1, rv) });
      expect(stale.status).toBe(409);
      const negative = await api.request('PUT', SCALE, { body: scaleBody('web', -1) });
      expect(!negative.ok && negative.error.message).toBe(
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      );
      const patched = ok(
        await api.request<Scale>('PATCH', SCALE, { body: { spec: { replicas: 0 } } }),
      );
      expect(patched.spec.replicas).toBe(0);
      expect(ok(await api.get(kind, 'default', 'web')).spec.replicas).toBe(0);
    });
  });
});

describe('Jobs through the API server', () => {
  it('get a selector generated from the uid the server assigned', async () => {
    await withApi(async (api) => {
      const job = ok(
        await api.create({
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'migrate', namespace: 'default' },
          spec: { template: podTemplate('migrate', 'Never') },
        } as Job),
      );
      const uid = job.metadata.uid ?? '';
      expect(uid).not.toBe('');
      expect(job.spec.selector).toEqual({
        matchLabels: { 'batch.kubernetes.io/controller-uid': uid },
      });
      expect(job.spec.template.metadata?.labels).toMatchObject({
        'batch.kubernetes.io/controller-uid': uid,
        'controller-uid': uid,
        'job-name': 'migrate',
      });
      // A Job without labels of its own takes its template's.
      expect(job.metadata.labels).toEqual({ app: 'migrate' });
      expect(job.metadata.generation).toBe(1);
      expect(job.status).toEqual({});
    });
  });
});
