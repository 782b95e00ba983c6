/**
 * PATCH through the API server with each content type (upstream's patch handler): JSON Patch,
 * JSON merge patch, strategic merge patch on the kinds' own metadata (what `kubectl patch` and
 * client-side `kubectl apply` send), and the answers for patches that do not apply.
 */
import { describe, expect, it } from 'vitest';
import type { PatchContentType } from '../../../core/api/http.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { Status } from '../../../core/api/status-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { ok, pod, send, withApi, withPorts } from './fixtures.ts';

const POD = '/api/v1/namespaces/default/pods/p';

const twoContainers = (): Pod => {
  const p = pod('p', { app: 'web' });
  return {
    ...p,
    metadata: { ...p.metadata, finalizers: ['a/x', 'a/y'] },
    spec: {
      containers: [
        { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }] },
        { name: 'side', image: 'side:1' },
      ],
      volumes: [{ name: 'v', emptyDir: {} }],
    },
  } as Pod;
};

async function patch(
  api: ApiClient,
  contentType: PatchContentType | undefined,
  body: unknown,
): Promise<{ status: number; pod?: Pod; error?: Status }> {
  const r = await api.request<Pod>('PATCH', POD, {
    body,
    ...(contentType === undefined ? {} : { contentType }),
  });
  return r.ok ? { status: r.status, pod: r.value } : { status: r.status, error: r.error };
}

interface Case {
  readonly name: string;
  readonly type: PatchContentType;
  readonly body: unknown;
  /** What the patched pod shows. */
  readonly check?: (p: Pod) => void;
  readonly status?: number;
  readonly message?: RegExp;
}

const names = (p: Pod): string[] => p.spec.containers.map((c) => c.name);

const CASES: readonly Case[] = [
  {
    name: 'json patch adds, replaces and removes',
    type: 'application/json-patch+json',
    body: [
      { op: 'add', path: '/metadata/labels/tier', value: 'front' },
      { op: 'replace', path: '/spec/containers/0/image', value: 'app:2' },
      { op: 'remove', path: '/metadata/finalizers/0' },
    ],
    check: (p) => {
      expect(p.metadata.labels).toEqual({ app: 'web', tier: 'front' });
      expect(p.spec.containers.map((c) => c.image)).toEqual(['app:2', 'side:1']);
      expect(p.metadata.finalizers).toEqual(['a/y']);
    },
  },
  {
    name: 'json patch: a failed test is a 422',
    type: 'application/json-patch+json',
    body: [{ op: 'test', path: '/metadata/name', value: 'q' }],
    status: 422,
    message: /testing value \/metadata\/name failed/,
  },
  {
    name: 'json patch: a missing path is a 422',
    type: 'application/json-patch+json',
    body: [{ op: 'replace', path: '/spec/nothing/here', value: 1 }],
    status: 422,
    message: /doc is missing path/,
  },
  {
    name: 'json patch: an object instead of a list is a 400',
    type: 'application/json-patch+json',
    body: { op: 'add' },
    status: 400,
  },
  {
    name: 'json patch: an unknown op is a 422',
    type: 'application/json-patch+json',
    body: [{ op: 'frobnicate', path: '/x' }],
    status: 422,
    message: /Unexpected kind: frobnicate/,
  },
  {
    name: 'merge patch replaces lists whole',
    type: 'application/merge-patch+json',
    body: { spec: { containers: [{ name: 'app', image: 'app:3' }] } },
    status: 422,
    // The pod's containers may not change (pod update validation), so the replaced list is refused.
    message: /spec: Forbidden: pod updates may not change fields other than/,
  },
  {
    name: 'merge patch: null deletes a label',
    type: 'application/merge-patch+json',
    body: { metadata: { labels: { app: null, x: 'y' } } },
    check: (p) => expect(p.metadata.labels).toEqual({ x: 'y' }),
  },
  {
    name: 'strategic merge merges containers by name',
    type: 'application/strategic-merge-patch+json',
    body: { spec: { containers: [{ name: 'side', image: 'side:2' }] } },
    check: (p) => {
      expect(names(p)).toEqual(['app', 'side']);
      expect(p.spec.containers[1]?.image).toBe('side:2');
      expect(p.spec.containers[0]?.env).toEqual([{ name: 'A', value: '1' }]);
    },
  },
  {
    name: 'strategic merge: $deleteFromPrimitiveList removes a finalizer',
    type: 'application/strategic-merge-patch+json',
    body: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a/x'] } },
    check: (p) => expect(p.metadata.finalizers).toEqual(['a/y']),
  },
  {
    // New items first, then by the live order where both are known (mergeSortedSlice).
    name: 'strategic merge: finalizers merge as a set, in upstream order',
    type: 'application/strategic-merge-patch+json',
    body: { metadata: { finalizers: ['a/z', 'a/x'] } },
    check: (p) => expect(p.metadata.finalizers).toEqual(['a/z', 'a/x', 'a/y']),
  },
  {
    name: 'strategic merge: $setElementOrder orders the merged list',
    type: 'application/strategic-merge-patch+json',
    body: {
      metadata: { '$setElementOrder/finalizers': ['a/y', 'a/x'] },
    },
    check: (p) => expect(p.metadata.finalizers).toEqual(['a/y', 'a/x']),
  },
  {
    name: 'strategic merge: an env list merges by name',
    type: 'application/strategic-merge-patch+json',
    body: {
      metadata: { labels: { x: '1' } },
      spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '2' }] }] },
    },
    status: 422,
    // Merged as upstream would, then refused: env is not a mutable field of a pod.
    message: /pod updates may not change fields other than/,
  },
  {
    name: 'strategic merge: an item without its merge key is a 500 as upstream',
    type: 'application/strategic-merge-patch+json',
    body: { spec: { containers: [{ image: 'x' }] } },
    status: 500,
    message: /does not contain declared merge key: name/,
  },
  {
    name: 'strategic merge: an unknown $patch is a 500',
    type: 'application/strategic-merge-patch+json',
    body: { metadata: { labels: { $patch: 'frob' } } },
    status: 500,
    message: /unknown patch type: frob/,
  },
  {
    name: 'strategic merge: $patch: replace on a map',
    type: 'application/strategic-merge-patch+json',
    body: { metadata: { labels: { $patch: 'replace', only: 'this' } } },
    check: (p) => expect(p.metadata.labels).toEqual({ only: 'this' }),
  },
  {
    name: 'strategic merge: a pinned stale resourceVersion is a 409',
    type: 'application/strategic-merge-patch+json',
    body: { metadata: { resourceVersion: '1', labels: { a: 'b' } } },
    status: 409,
  },
];

describe('PATCH content types', () => {
  it.each(CASES)('$name', async (c) => {
    await withApi(async (api) => {
      ok(await api.create(twoContainers()));
      const r = await patch(api, c.type, c.body);
      if (c.check !== undefined) {
        expect(r.error?.message).toBeUndefined();
        expect(r.status).toBe(200);
        c.check(r.pod as Pod);
      } else {
        expect(r.status).toBe(c.status);
        expect(r.error?.message).toMatch(c.message ?? /./);
      }
    });
  });

  it('without a content type is a 415 naming the accepted types', async () => {
    await withPorts(async (api, ports) => {
      ok(await api.create(twoContainers()));
      const r = await send(ports, { method: 'PATCH', path: POD, body: { metadata: {} } });
      expect(r.status).toBe(415);
      expect((r.body as Status).reason).toBe('UnsupportedMediaType');
      expect((r.body as Status).message).toBe(
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
      );
    });
  });

  it('$patch: delete removes a list item by its merge key', async () => {
    await withApi(async (api) => {
      const p = twoContainers();
      ok(
        await api.create({
          ...p,
          metadata: { ...p.metadata, ownerReferences: [owner('a'), owner('b')] },
        } as Pod),
      );
      const r = await patch(api, 'application/strategic-merge-patch+json', {
        metadata: { ownerReferences: [{ uid: 'uid-a', $patch: 'delete' }] },
      });
      expect(r.pod?.metadata.ownerReferences?.map((o) => o.name)).toEqual(['b']);
    });
  });
});

const owner = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, uid: `uid-${name}` });
