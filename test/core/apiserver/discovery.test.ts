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

describe('the API server answers non-resource paths and representations', () => {
  it('serves discovery over the API protocol, and 406 when only aggregated discovery will do', async () => {
    await withPorts(async (_api, ports) => {
      const r = await send(ports, {
        method: 'GET',
        path: '/apis',
        accept: KUBECTL_DISCOVERY_ACCEPT,
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ kind: 'APIGroupList' });
      const aggregatedOnly = await send(ports, {
        method: 'GET',
        path: '/apis',
        accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
      });
      expect(aggregatedOnly.status).toBe(406);
      expect(aggregatedOnly.body).toMatchObject({ reason: 'NotAcceptable' });
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
