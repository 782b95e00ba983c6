/**
 * The query options of the verbs as upstream honours them: dryRun, fieldValidation (with the
 * `Warning` headers of Warn), generateName, generation, list paging and resourceVersion
 * semantics, propagationPolicy and preconditions on delete.
 */
import { describe, expect, it } from 'vitest';
import type { ConfigMap } from 'kubernetes-types/core/v1.d.ts';
import type { KList } from '../../../core/api/meta-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import type { Status } from '../../../core/api/status-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';
import { ok, pod, replicaSet, send, withApi, withPorts } from './fixtures.ts';

const PODS = '/api/v1/namespaces/default/pods';
const CMS = '/api/v1/namespaces/default/configmaps';
const RS = '/apis/apps/v1/namespaces/default/replicasets/web';

const cm = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data: { k: name },
});

const message = (r: { ok: boolean; error?: Status }): string | undefined =>
  r.ok ? undefined : r.error?.message;

describe('dryRun=All', () => {
  it('answers a create with the object it would store, and stores nothing', async () => {
    await withApi(async (api) => {
      const r = await api.request<Pod>('POST', PODS, {
        body: pod('p'),
        query: { dryRun: 'All' },
      });
      expect(r.status).toBe(201);
      const p = ok(r);
      expect(p.metadata.uid).toBeDefined();
      expect(p.spec.restartPolicy).toBe('Always');
      expect((await api.get('Pod', 'default', 'p')).status).toBe(404);
    });
  });

  it('still reports that the object exists', async () => {
    await withApi(async (api) => {
      ok(await api.create(pod('p')));
      const r = await api.request('POST', PODS, { body: pod('p'), query: { dryRun: 'All' } });
      expect(r.status).toBe(409);
    });
  });

  it('leaves the store alone on update, patch and delete', async () => {
    await withApi(async (api) => {
      const created = ok(await api.create(pod('p')));
      const patched = ok(
        await api.request<Pod>('PATCH', `${PODS}/p`, {
          body: { metadata: { labels: { x: '1' } } },
          query: { dryRun: 'All' },
        }),
      );
      expect(patched.metadata.labels).toEqual({ x: '1' });
      ok(
        await api.request('PUT', `${PODS}/p`, {
          body: { ...created, metadata: { ...created.metadata, labels: { y: '2' } } },
          query: { dryRun: 'All' },
        }),
      );
      ok(await api.request('DELETE', `${PODS}/p`, { query: { dryRun: 'All' } }));
      const stored = ok(await api.get('Pod', 'default', 'p'));
      expect(stored.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
      expect(stored.metadata.labels).toEqual({});
    });
  });

  it('refuses any other value', async () => {
    await withApi(async (api) => {
      const r = await api.request('POST', PODS, { body: pod('p'), query: { dryRun: 'Some' } });
      expect(message(r)).toBe(
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: supported values: "All"',
      );
    });
  });
});

describe('fieldValidation', () => {
  const withUnknown = { ...cm('c'), spec: { x: 1 }, metadata: { name: 'c', bogus: true } };

  it('Strict refuses unknown fields with upstream wording', async () => {
    await withApi(async (api) => {
      const r = await api.request('POST', CMS, {
        body: withUnknown,
        query: { fieldValidation: 'Strict' },
      });
      expect(r.status).toBe(400);
      expect(message(r)).toBe(
        'strict decoding error: unknown field "metadata.bogus", unknown field "spec"',
      );
    });
  });

  it('Warn drops them with one warning each', async () => {
    await withApi(async (api) => {
      const r = await api.request<ConfigMap>('POST', CMS, {
        body: withUnknown,
        query: { fieldValidation: 'Warn' },
      });
      expect(r.ok && r.warnings).toEqual([
        'unknown field "metadata.bogus"',
        'unknown field "spec"',
      ]);
      const stored = ok(await api.request<ConfigMap & { spec?: unknown }>('GET', `${CMS}/c`));
      expect(stored.spec).toBeUndefined();
    });
  });

  it('Ignore, and a request without the parameter, neither warn nor look', async () => {
    await withApi(async (api) => {
      const r = await api.request('POST', CMS, {
        body: withUnknown,
        query: { fieldValidation: 'Ignore' },
      });
      expect(r.ok && r.warnings).toBeUndefined();
      const plain = await api.request('POST', CMS, {
        body: { ...withUnknown, metadata: { name: 'd' } },
      });
      expect(plain.ok && plain.warnings).toBeUndefined();
    });
  });

  it('duplicate fields show in the raw body an HTTP front passes on', async () => {
    await withPorts(async (_api, ports) => {
      const raw = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","name":"d"}}';
      const strict = await send(ports, {
        method: 'POST',
        path: CMS,
        query: { fieldValidation: 'Strict' },
        body: JSON.parse(raw),
        rawBody: raw,
      });
      expect((strict.body as Status).message).toBe(
        'strict decoding error: duplicate field "metadata.name"',
      );
      const warn = await send(ports, {
        method: 'POST',
        path: CMS,
        query: { fieldValidation: 'Warn' },
        body: JSON.parse(raw),
        rawBody: raw,
      });
      expect(warn.status).toBe(201);
      expect(warn.warnings).toEqual(['duplicate field "metadata.name"']);
    });
  });

  it('applies to the result of a patch', async () => {
    await withApi(async (api) => {
      ok(await api.create(cm('c') as never));
      const r = await api.request('PATCH', `${CMS}/c`, {
        body: { extra: 1 },
        query: { fieldValidation: 'Strict' },
      });
      expect(message(r)).toBe('strict decoding error: unknown field "extra"');
    });
  });
});

describe('generateName and generation', () => {
  it('generateName gives distinct names with the prefix', async () => {
    await withApi(async (api) => {
      const body = { ...pod(''), metadata: { generateName: 'web-', namespace: 'default' } };
      const a = ok(await api.request<Pod>('POST', PODS, { body }));
      const b = ok(await api.request<Pod>('POST', PODS, { body }));
      expect(a.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(b.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(a.metadata.name).not.toBe(b.metadata.name);
    });
  });

  it('generation grows with spec changes and the first deletion mark, not metadata', async () => {
    await withApi(async (api) => {
      const rs = {
        ...replicaSet('web'),
        metadata: { name: 'web', namespace: 'default', finalizers: ['x/y'] },
      };
      ok(await api.create(rs as ReplicaSet));
      const labelled = ok(
        await api.request<ReplicaSet>('PATCH', RS, { body: { metadata: { labels: { a: 'b' } } } }),
      );
      expect(labelled.metadata.generation).toBe(1);
      const scaled = ok(
        await api.request<ReplicaSet>('PATCH', RS, { body: { spec: { replicas: 4 } } }),
      );
      expect(scaled.metadata.generation).toBe(2);
      const deleting = ok(await api.delete('ReplicaSet', 'default', 'web'));
      expect(deleting.metadata.generation).toBe(3);
      const again = ok(await api.delete('ReplicaSet', 'default', 'web'));
      expect(again.metadata.generation).toBe(3);
    });
  });
});

async function fill(api: ApiClient, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    ok(await api.create(cm(`c${i}`, { even: String(i % 2 === 0) }) as never));
  }
}

const listCms = (api: ApiClient, query: Record<string, string>) =>
  api.request<KList<ConfigMap>>('GET', CMS, { query });

const itemNames = (l: KList<ConfigMap>) => l.items.map((i) => i.metadata?.name);

describe('list paging and resourceVersion', () => {
  it('limit and continue walk one snapshot in pages', async () => {
    await withApi(async (api) => {
      await fill(api, 5);
      const first = ok(await listCms(api, { limit: '2' }));
      expect(itemNames(first)).toEqual(['c0', 'c1']);
      expect(first.metadata.remainingItemCount).toBe(3);
      // A write between pages does not show: the token reads the first page's snapshot.
      ok(await api.create(cm('c9') as never));
      const second = ok(
        await listCms(api, { limit: '2', continue: first.metadata.continue ?? '' }),
      );
      expect(itemNames(second)).toEqual(['c2', 'c3']);
      expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      const last = ok(await listCms(api, { limit: '2', continue: second.metadata.continue ?? '' }));
      expect(itemNames(last)).toEqual(['c4']);
      expect(last.metadata.continue).toBeUndefined();
    });
  });

  it('selectors filter inside the pages, reading on until a page is full', async () => {
    await withApi(async (api) => {
      await fill(api, 6);
      const page = ok(await listCms(api, { limit: '2', labelSelector: 'even=true' }));
      expect(itemNames(page)).toEqual(['c0', 'c2']);
      expect(page.metadata.remainingItemCount).toBeUndefined();
      const rest = ok(
        await listCms(api, {
          limit: '2',
          labelSelector: 'even=true',
          continue: page.metadata.continue ?? '',
        }),
      );
      expect(itemNames(rest)).toEqual(['c4']);
    });
  });

  it('a bad continue token is a 400; a compacted one a 410 Expired', async () => {
    const sim = controlPlane({ apiServer: { compactionIntervalUs: 1_000_000 } });
    await runScript(sim, async (api, ports) => {
      expect(message(await listCms(api, { continue: 'garbage!' }))).toBe(
        'continue key is not valid: illegal base64 data',
      );
      await fill(api, 3);
      const first = ok(await listCms(api, { limit: '1' }));
      ok(await api.create(cm('later') as never));
      await ports.clock.sleep(3_000_000);
      const r = await listCms(api, { limit: '1', continue: first.metadata.continue ?? '' });
      expect(r.status).toBe(410);
      expect(r.ok ? '' : r.error.reason).toBe('Expired');
      expect(message(r)).toMatch(/^The provided continue parameter is too old/);
    });
  });

  it('resourceVersionMatch=Exact reads the past; a version not reached yet is a 504', async () => {
    await withApi(async (api) => {
      await fill(api, 1);
      const before = ok(await listCms(api, {})).metadata.resourceVersion ?? '';
      ok(await api.create(cm('c1') as never));
      const past = ok(
        await listCms(api, { resourceVersion: before, resourceVersionMatch: 'Exact' }),
      );
      expect(itemNames(past)).toEqual(['c0']);
      expect(past.metadata.resourceVersion).toBe(before);
      const future = await listCms(api, {
        resourceVersion: '999999',
        resourceVersionMatch: 'NotOlderThan',
      });
      expect(future.status).toBe(504);
      expect(message(future)).toMatch(/^Too large resource version: 999999, current: \d+$/);
      const get = await api.request('GET', `${CMS}/c0`, { query: { resourceVersion: '999999' } });
      expect(get.status).toBe(504);
      const bad = await listCms(api, { resourceVersionMatch: 'Exact' });
      expect(message(bad)).toBe(
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
      );
    });
  });
});

describe('delete options', () => {
  it.each([
    ['Foreground', ['foregroundDeletion']],
    ['Orphan', ['orphan']],
  ])('propagationPolicy=%s records its finalizer and holds the object', async (policy, want) => {
    await withApi(async (api) => {
      ok(await api.create(replicaSet('web')));
      const r = ok(
        await api.request<ReplicaSet>('DELETE', RS, { query: { propagationPolicy: policy } }),
      );
      expect(r.metadata.finalizers).toEqual(want);
      expect(r.metadata.deletionTimestamp).toBeDefined();
      expect(ok(await api.get('ReplicaSet', 'default', 'web')).metadata.finalizers).toEqual(want);
    });
  });

  it('Background deletes at once; a later policy replaces the earlier finalizer', async () => {
    await withApi(async (api) => {
      ok(await api.create(replicaSet('web')));
      ok(await api.request('DELETE', RS, { query: { propagationPolicy: 'Orphan' } }));
      const switched = ok(
        await api.request<ReplicaSet>('DELETE', RS, { query: { propagationPolicy: 'Foreground' } }),
      );
      expect(switched.metadata.finalizers).toEqual(['foregroundDeletion']);
      ok(await api.create({ ...replicaSet('other') }));
      ok(
        await api.request('DELETE', '/apis/apps/v1/namespaces/default/replicasets/other', {
          query: { propagationPolicy: 'Background' },
        }),
      );
      expect((await api.get('ReplicaSet', 'default', 'other')).status).toBe(404);
    });
  });

  it('refuses orphanDependents together with a policy, and unknown policies', async () => {
    await withApi(async (api) => {
      ok(await api.create(replicaSet('web')));
      const both = await api.request('DELETE', RS, {
        query: { propagationPolicy: 'Orphan', orphanDependents: 'true' },
      });
      expect(both.status).toBe(422);
      const unknown = await api.request('DELETE', RS, { query: { propagationPolicy: 'Later' } });
      expect(message(unknown)).toBe(
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Later": supported values: "Foreground", "Background", "Orphan", "nil"',
      );
    });
  });

  it('preconditions on uid and resourceVersion are 409s with upstream wording', async () => {
    await withApi(async (api) => {
      const rs = ok(await api.create(replicaSet('web')));
      const uid = await api.delete('ReplicaSet', 'default', 'web', {
        preconditions: { uid: 'nope' },
      });
      expect(message(uid)).toBe(
        `Operation cannot be fulfilled on replicasets.apps "web": Precondition failed: UID in precondition: nope, UID in object meta: ${rs.metadata.uid ?? ''}`,
      );
      const rv = await api.delete('ReplicaSet', 'default', 'web', {
        preconditions: { resourceVersion: '1' },
      });
      expect(rv.status).toBe(409);
      ok(
        await api.delete('ReplicaSet', 'default', 'web', {
          preconditions: {
            uid: rs.metadata.uid ?? '',
            resourceVersion: rs.metadata.resourceVersion ?? '',
          },
        }),
      );
    });
  });
});
