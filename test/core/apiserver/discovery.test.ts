import { describe, expect, it } from 'vitest';
import { DEFINITIONS } from '../../../core/api/kinds/index.ts';
import { nonResourceResponse, SERVER_VERSION } from '../../../core/apiserver/discovery.ts';
import { negotiate } from '../../../core/apiserver/media-types.ts';
import { ok, pod, send, withPorts } from './fixtures.ts';

/** kubectl 1.32's discovery Accept header (client-go discovery_client.go, acceptDiscoveryFormats). */
const KUBECTL_DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

interface ResourceRow {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  singularName: string;
  categories?: string[];
  group?: string;
  version?: string;
}

describe('legacy discovery', () => {
  it('lists the core version, every group, and each group version once', () => {
    expect(nonResourceResponse('/api')?.body).toMatchObject({
      kind: 'APIVersions',
      versions: ['v1'],
    });
    const groups = nonResourceResponse('/apis')?.body as {
      groups: { name: string; preferredVersion: { groupVersion: string } }[];
    };
    const expected = [...new Set(DEFINITIONS.map((d) => d.resource.group).filter((g) => g !== ''))];
    expect(groups.groups.map((g) => g.name)).toEqual(expected);
    expect(groups.groups.find((g) => g.name === 'apps')?.preferredVersion.groupVersion).toBe(
      'apps/v1',
    );
    expect(nonResourceResponse('/apis/apps')?.body).toMatchObject({
      kind: 'APIGroup',
      name: 'apps',
    });
  });

  it('reports each resource as its definition does, with subresources as their own rows', () => {
    const core = nonResourceResponse('/api/v1')?.body as {
      groupVersion: string;
      resources: ResourceRow[];
    };
    expect(core.groupVersion).toBe('v1');
    const byName = new Map(core.resources.map((r) => [r.name, r]));
    expect(byName.get('pods')).toEqual({
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
    });
    expect(byName.get('pods/status')).toMatchObject({
      kind: 'Pod',
      verbs: ['get', 'patch', 'update'],
    });
    expect(byName.get('pods/eviction')).toMatchObject({
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
    });
    expect(byName.get('nodes')).toMatchObject({ namespaced: false, shortNames: ['no'] });
    const apps = nonResourceResponse('/apis/apps/v1/')?.body as { resources: ResourceRow[] };
    expect(apps.resources.find((r) => r.name === 'deployments/scale')).toMatchObject({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
  });

  it('answers /version with a 1.32 server and the health checks with ok', () => {
    expect(nonResourceResponse('/version')?.body).toBe(SERVER_VERSION);
    expect(SERVER_VERSION.gitVersion).toMatch(/^v1\.32\./);
    for (const p of ['/healthz', '/livez', '/readyz'])
      expect(nonResourceResponse(p)?.body).toBe('ok');
    expect(nonResourceResponse('/api/v1/pods')).toBeUndefined();
  });
});

describe('content negotiation', () => {
  it('picks the first representation it serves from an Accept header', () => {
    expect(negotiate(undefined, true)).toEqual({ kind: 'json' });
    expect(negotiate(TABLE_ACCEPT, true)).toEqual({ kind: 'table', version: 'v1' });
    expect(negotiate(KUBECTL_DISCOVERY_ACCEPT, false)).toEqual({ kind: 'json' });
    expect(
      negotiate('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', true),
    ).toEqual({ kind: 'metadata', version: 'v1' });
    expect(
      negotiate('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', false),
    ).toBeUndefined();
    expect(negotiate('application/vnd.kubernetes.protobuf', false)).toBeUndefined();
    expect(negotiate('*/*', false)).toEqual({ kind: 'json' });
  });
});

describe('aggregated discovery', () => {
  interface Discovered {
    metadata: { name: string };
    versions: {
      version: string;
      freshness: string;
      resources: {
        resource: string;
        responseKind: object;
        scope: string;
        singularResource: string;
        verbs: string[];
        shortNames?: string[];
        categories?: string[];
        subresources?: { subresource: string; responseKind: object; verbs: string[] }[];
      }[];
    }[];
  }
  const items = (path: string): Discovered[] =>
    (
      nonResourceResponse(path, undefined, [], KUBECTL_DISCOVERY_ACCEPT)?.body as {
        items: Discovered[];
      }
    ).items;

  it('lists the core group under /api with every resource and its subresources nested', () => {
    const [core, ...rest] = items('/api');
    expect(rest).toEqual([]);
    expect(core?.metadata.name).toBe('');
    expect(core?.versions.map((v) => [v.version, v.freshness])).toEqual([['v1', 'Current']]);
    const pods = core?.versions[0]?.resources.find((r) => r.resource === 'pods');
    expect(pods).toMatchObject({
      responseKind: { group: '', version: 'v1', kind: 'Pod' },
      scope: 'Namespaced',
      singularResource: 'pod',
      shortNames: ['po'],
      categories: ['all'],
    });
    expect(pods?.subresources?.map((s) => s.subresource)).toEqual(
      expect.arrayContaining(['status', 'binding', 'eviction']),
    );
    expect(pods?.subresources?.find((s) => s.subresource === 'eviction')?.responseKind).toEqual({
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
    });
    const nodes = core?.versions[0]?.resources.find((r) => r.resource === 'nodes');
    expect(nodes?.scope).toBe('Cluster');
  });

  it('lists the named groups under /apis, as the legacy documents do', () => {
    const groups = items('/apis');
    const legacy = nonResourceResponse('/apis')?.body as { groups: { name: string }[] };
    expect(groups.map((g) => g.metadata.name)).toEqual(legacy.groups.map((g) => g.name));
    const deployments = groups
      .find((g) => g.metadata.name === 'apps')
      ?.versions[0]?.resources.find((r) => r.resource === 'deployments');
    expect(deployments?.subresources).toContainEqual({
      subresource: 'scale',
      responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      verbs: ['get', 'patch', 'update'],
    });
  });

  it("adds the aggregated groups to /apis from their servers' discovery, legacy until they answered", () => {
    const metrics = {
      name: 'metrics.k8s.io',
      versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }],
      preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' },
    };
    const unanswered = nonResourceResponse('/apis', undefined, [metrics], KUBECTL_DISCOVERY_ACCEPT);
    expect(unanswered?.body).toMatchObject({ kind: 'APIGroupList' });
    const remote = new Map([
      [
        'metrics.k8s.io/v1beta1',
        {
          kind: 'APIResourceList',
          groupVersion: 'metrics.k8s.io/v1beta1',
          resources: [
            {
              name: 'nodes',
              singularName: '',
              namespaced: false,
              kind: 'NodeMetrics',
              verbs: ['get', 'list'],
            },
            {
              name: 'pods',
              singularName: '',
              namespaced: true,
              kind: 'PodMetrics',
              verbs: ['get', 'list'],
            },
          ],
        },
      ],
    ]);
    const r = nonResourceResponse('/apis', undefined, [metrics], KUBECTL_DISCOVERY_ACCEPT, remote);
    const list = r?.body as { kind: string; items: Discovered[] };
    expect(list.kind).toBe('APIGroupDiscoveryList');
    expect(list.items.at(-1)).toEqual({
      metadata: { name: 'metrics.k8s.io', creationTimestamp: null },
      versions: [
        {
          version: 'v1beta1',
          freshness: 'Current',
          resources: [
            {
              resource: 'nodes',
              responseKind: { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'NodeMetrics' },
              scope: 'Cluster',
              singularResource: '',
              verbs: ['get', 'list'],
            },
            {
              resource: 'pods',
              responseKind: { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' },
              scope: 'Namespaced',
              singularResource: '',
              verbs: ['get', 'list'],
            },
          ],
        },
      ],
    });
  });
});

describe('the API server answers non-resource paths and representations', () => {
  it('serves aggregated discovery to a client that asks for it first, legacy to one that asks for JSON', async () => {
    await withPorts(async (_api, ports) => {
      const r = await send(ports, {
        method: 'GET',
        path: '/apis',
        accept: KUBECTL_DISCOVERY_ACCEPT,
      });
      expect(r.status).toBe(200);
      expect(r.headers?.['Content-Type']).toBe(
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
      );
      expect(r.body).toMatchObject({
        kind: 'APIGroupDiscoveryList',
        apiVersion: 'apidiscovery.k8s.io/v2',
      });
      const legacy = await send(ports, {
        method: 'GET',
        path: '/apis',
        accept: 'application/json',
      });
      expect(legacy.body).toMatchObject({ kind: 'APIGroupList' });
      expect(legacy.headers).toBeUndefined();
      const beta = await send(ports, {
        method: 'GET',
        path: '/api',
        accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
      });
      expect(beta.body).toMatchObject({ apiVersion: 'apidiscovery.k8s.io/v2beta1' });
      const protobufOnly = await send(ports, {
        method: 'GET',
        path: '/apis',
        accept: 'application/vnd.kubernetes.protobuf',
      });
      expect(protobufOnly.status).toBe(406);
      expect(protobufOnly.body).toMatchObject({ reason: 'NotAcceptable' });
    });
  });

  it('prints pods as a Table with the -o wide columns, ages from its clock, rows with metadata', async () => {
    await withPorts(async (api, ports) => {
      const created = ok(await api.create(pod('p1', { app: 'a' })));
      await ports.clock.sleep(90_000_000);
      const r = await send(ports, {
        method: 'GET',
        path: '/api/v1/namespaces/default/pods',
        accept: TABLE_ACCEPT,
      });
      expect(r.status).toBe(200);
      const t = r.body as {
        kind: string;
        apiVersion: string;
        metadata: { resourceVersion: string };
        columnDefinitions: { name: string; priority: number }[];
        rows: {
          cells: unknown[];
          object: { kind: string; metadata: { name: string; labels: object } };
        }[];
      };
      expect(t.kind).toBe('Table');
      expect(t.apiVersion).toBe('meta.k8s.io/v1');
      expect(t.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(t.columnDefinitions.map((c) => `${c.name}:${c.priority}`)).toEqual([
        'Name:0',
        'Ready:0',
        'Status:0',
        'Restarts:0',
        'Age:0',
        'IP:1',
        'Node:1',
        'Nominated Node:1',
        'Readiness Gates:1',
      ]);
      expect(t.rows).toHaveLength(1);
      const [name, ready, status, restarts, age, ip, node] = t.rows[0]?.cells ?? [];
      expect([name, ready, status, restarts, ip, node]).toEqual([
        'p1',
        '0/1',
        'Pending',
        '0',
        '<none>',
        '<none>',
      ]);
      expect(age).toMatch(/^9\ds$/);
      expect(t.rows[0]?.object).toEqual({
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: created.metadata,
      });
      const one = await send(ports, {
        method: 'GET',
        path: '/api/v1/namespaces/default/pods/p1',
        accept: TABLE_ACCEPT,
        query: { includeObject: 'Object' },
      });
      expect((one.body as { rows: { object: unknown }[] }).rows[0]?.object).toEqual(created);
      const bad = await send(ports, {
        method: 'GET',
        path: '/api/v1/namespaces/default/pods',
        accept: TABLE_ACCEPT,
        query: { includeObject: 'Everything' },
      });
      expect(bad.status).toBe(400);
    });
  });

  it('answers metadata-only reads as PartialObjectMetadata and PartialObjectMetadataList', async () => {
    await withPorts(async (api, ports) => {
      const created = ok(await api.create(pod('p1')));
      const list = await send(ports, {
        method: 'GET',
        path: '/api/v1/pods',
        accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
      });
      expect(list.body).toMatchObject({
        kind: 'PartialObjectMetadataList',
        items: [{ kind: 'PartialObjectMetadata', metadata: created.metadata }],
      });
      const one = await send(ports, {
        method: 'GET',
        path: '/api/v1/namespaces/default/pods/p1',
        accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io',
      });
      expect(one.body).toEqual({
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: created.metadata,
      });
      const refused = await send(ports, {
        method: 'GET',
        path: '/api/v1/pods',
        accept: 'application/yaml',
      });
      expect(refused.status).toBe(406);
    });
  });
});
