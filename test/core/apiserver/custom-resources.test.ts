import { describe, expect, it } from 'vitest';
import type { CustomResourceDefinition } from '../../../core/api/kinds/custom-resource-definition.ts';
import type { KList } from '../../../core/api/meta-types.ts';
import { ok, send, withApi, withPorts } from './fixtures.ts';
import { CRDS, establish, widgetCrd } from './custom-resource-fixtures.ts';
import type { WatchFrame } from '../../../core/api/http.ts';
import { API_PROTOCOL } from '../../../core/api/http-codec.ts';
import { API_SERVER } from '../../../core/cluster/identities.ts';

const WIDGETS = '/apis/example.com/v1/namespaces/default/widgets';

const widget = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name },
  spec,
});

interface Widget {
  metadata: { name: string; generation?: number; resourceVersion?: string };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

describe('CustomResourceDefinition', () => {
  it('validates names, group, scope, versions and schema as upstream', async () => {
    await withApi(async (api) => {
      const bad = widgetCrd({ group: 'example', scope: 'Galaxy' });
      const r = await api.request('POST', CRDS, {
        body: { ...bad, metadata: { name: 'widgets.example' } },
      });
      expect(r.status).toBe(422);
      const msg = !r.ok ? (r.error.message ?? '') : '';
      expect(msg).toContain(
        'spec.group: Invalid value: "example": should be a domain with at least one dot',
      );
      expect(msg).toContain(
        'spec.scope: Unsupported value: "Galaxy": supported values: "Cluster", "Namespaced"',
      );

      const misnamed = await api.request('POST', CRDS, {
        body: { ...widgetCrd(), metadata: { name: 'gadgets.example.com' } },
      });
      expect(!misnamed.ok && misnamed.error.message).toContain(
        'metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group',
      );

      const unstructural = widgetCrd();
      const v = unstructural.spec.versions[0]!;
      const noType = {
        ...unstructural,
        spec: {
          ...unstructural.spec,
          versions: [
            { ...v, schema: { openAPIV3Schema: { type: 'object', properties: { spec: {} } } } },
            { ...v, name: 'v2', storage: true, schema: undefined },
          ],
        },
      };
      const s = await api.request('POST', CRDS, { body: noType });
      const sm = !s.ok ? (s.error.message ?? '') : '';
      expect(sm).toContain(
        'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
      );
      expect(sm).toContain(
        'spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required',
      );
      expect(sm).toContain('spec.versions: Invalid value: ');
      expect(sm).toContain('must have exactly one version marked as storage version');
    });
  });

  it('is defaulted, Established by the server and listed in discovery', async () => {
    await withApi(async (api) => {
      const before = ok(await api.request<{ groups: { name: string }[] }>('GET', '/apis'));
      expect(before.groups.map((g) => g.name)).not.toContain('example.com');
      const crd = await establish(api);
      expect(crd.spec.names).toMatchObject({ singular: 'widget', listKind: 'WidgetList' });
      expect(crd.metadata.generation).toBe(1);
      expect(crd.status?.acceptedNames?.kind).toBe('Widget');
      expect(crd.status?.storedVersions).toEqual(['v1']);
      expect(crd.status?.conditions?.map((c) => [c.type, c.status])).toEqual([
        ['NamesAccepted', 'True'],
        ['Established', 'True'],
      ]);
      const after = ok(await api.request<{ groups: { name: string }[] }>('GET', '/apis'));
      expect(after.groups.map((g) => g.name)).toContain('example.com');
      const list = ok(
        await api.request<{ resources: { name: string; shortNames?: string[] }[] }>(
          'GET',
          '/apis/example.com/v1',
        ),
      );
      expect(list.resources.map((r) => r.name)).toEqual([
        'widgets',
        'widgets/status',
        'widgets/scale',
      ]);
      expect(list.resources[0]?.shortNames).toEqual(['wd']);
      const openapi = ok(
        await api.request<{ paths: Record<string, unknown> }>('GET', '/openapi/v3'),
      );
      expect(Object.keys(openapi.paths)).toContain('apis/example.com/v1');
    });
  });
});

describe('custom resources', () => {
  it('are created, read, listed, updated and deleted, with pruning, defaults and validation', async () => {
    await withApi(async (api) => {
      await establish(api);
      const created = ok(
        await api.request<Widget>('POST', WIDGETS, {
          body: widget('a', { size: 3, port: 'http', unknown: 1, extra: { kept: true } }),
        }),
      );
      expect(created.spec).toEqual({
        size: 3,
        port: 'http',
        extra: { kept: true },
        replicas: 1,
        color: 'red',
      });
      expect(created.metadata.generation).toBe(1);

      const invalid = await api.request('POST', WIDGETS, {
        body: widget('b', { size: 'big', color: 'pink', name: 'X1', port: 1.5 }),
      });
      expect(invalid.status).toBe(422);
      const m = !invalid.ok ? (invalid.error.message ?? '') : '';
      expect(m).toContain('Widget.example.com "b" is invalid: ');
      expect(m).toContain(
        'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
      );
      expect(m).toContain('spec.color: Unsupported value: "pink": supported values: "red", "blue"');
      expect(m).toContain(
        'spec.name: Invalid value: "X1": spec.name in body should match \'^[a-z]+$\'',
      );
      const missing = await api.request('POST', WIDGETS, { body: widget('c', {}) });
      expect(!missing.ok && missing.error.message).toContain('spec.size: Required value');
      const big = await api.request('POST', WIDGETS, { body: widget('d', { size: 11 }) });
      expect(!big.ok && big.error.message).toContain(
        'spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10',
      );

      const strict = await api.request('POST', WIDGETS, {
        body: widget('s', { size: 1, unknown: 1 }),
        query: { fieldValidation: 'Strict' },
      });
      expect(strict.status).toBe(400);
      expect(!strict.ok && strict.error.message).toBe(
        'strict decoding error: unknown field "spec.unknown"',
      );

      const got = ok(await api.request<Widget>('GET', `${WIDGETS}/a`));
      expect(got.spec.size).toBe(3);
      const list = ok(await api.request<KList<Widget>>('GET', WIDGETS));
      expect((list as unknown as { kind: string }).kind).toBe('WidgetList');
      expect(list.items.map((w) => w.metadata.name)).toEqual(['a']);

      const updated = ok(
        await api.request<Widget>('PUT', `${WIDGETS}/a`, {
          body: { ...got, spec: { ...got.spec, size: 4 }, status: { replicas: 7 } },
        }),
      );
      expect(updated.metadata.generation).toBe(2);
      expect(updated.status).toBeUndefined();

      const status = ok(
        await api.request<Widget>('PUT', `${WIDGETS}/a/status`, {
          body: { ...updated, spec: { size: 9 }, status: { replicas: 2 } },
        }),
      );
      expect(status.status).toEqual({ replicas: 2 });
      expect(status.spec.size).toBe(4);
      expect(status.metadata.generation).toBe(2);

      const merged = ok(
        await api.request<Widget>('PATCH', `${WIDGETS}/a`, { body: { spec: { color: 'blue' } } }),
      );
      expect(merged.spec.color).toBe('blue');
      const json = ok(
        await api.request<Widget>('PATCH', `${WIDGETS}/a`, {
          body: [{ op: 'replace', path: '/spec/size', value: 5 }],
          contentType: 'application/json-patch+json',
        }),
      );
      expect(json.spec.size).toBe(5);
      const smp = await api.request('PATCH', `${WIDGETS}/a`, {
        body: { spec: { size: 6 } },
        contentType: 'application/strategic-merge-patch+json',
      });
      expect(smp.status).toBe(415);
      const applied = ok(
        await api.request<Widget>('PATCH', `${WIDGETS}/b`, {
          body: widget('b', { size: 2 }),
          contentType: 'application/apply-patch+yaml',
          query: { fieldManager: 'me' },
        }),
      );
      expect(applied.spec).toMatchObject({ size: 2, replicas: 1 });

      const scale = ok(
        await api.request<{ spec: { replicas: number }; status: { replicas: number } }>(
          'GET',
          `${WIDGETS}/a/scale`,
        ),
      );
      expect(scale.spec.replicas).toBe(1);
      expect(scale.status.replicas).toBe(2);
      ok(await api.request('PATCH', `${WIDGETS}/a/scale`, { body: { spec: { replicas: 3 } } }));
      expect(ok(await api.request<Widget>('GET', `${WIDGETS}/a`)).spec.replicas).toBe(3);

      ok(await api.request('DELETE', `${WIDGETS}/a`));
      expect((await api.request('GET', `${WIDGETS}/a`)).status).toBe(404);
    });
  });
});

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

describe('custom resources, further', () => {
  it("print the CRD's additionalPrinterColumns in Table output", async () => {
    await withPorts(async (api, ports) => {
      await establish(api);
      ok(await api.request('POST', WIDGETS, { body: widget('a', { size: 3, color: 'blue' }) }));
      const r = await send(ports, { method: 'GET', path: WIDGETS, accept: TABLE_ACCEPT });
      expect(r.status).toBe(200);
      const t = r.body as {
        columnDefinitions: { name: string; type: string; priority: number }[];
        rows: { cells: unknown[] }[];
      };
      expect(t.columnDefinitions.map((c) => [c.name, c.type, c.priority])).toEqual([
        ['Name', 'string', 0],
        ['Replicas', 'integer', 0],
        ['Color', 'string', 1],
      ]);
      expect(t.rows.map((row) => row.cells)).toEqual([['a', 1, 'blue']]);
    });
  });

  it('serve cluster-scoped kinds and several versions over one storage', async () => {
    await withApi(async (api) => {
      const base = widgetCrd();
      const v1 = base.spec.versions[0]!;
      const crd: CustomResourceDefinition = {
        ...base,
        metadata: { name: 'gizmos.example.com' },
        spec: {
          ...base.spec,
          scope: 'Cluster',
          names: { plural: 'gizmos', kind: 'Gizmo' },
          versions: [
            { ...v1, name: 'v1beta1', storage: false },
            { ...v1, name: 'v1', storage: true },
          ],
        },
      };
      await establish(api, crd);
      const created = ok(
        await api.request<Widget & { apiVersion: string }>(
          'POST',
          '/apis/example.com/v1beta1/gizmos',
          {
            body: {
              apiVersion: 'example.com/v1beta1',
              kind: 'Gizmo',
              metadata: { name: 'g' },
              spec: { size: 2 },
            },
          },
        ),
      );
      expect(created.apiVersion).toBe('example.com/v1beta1');
      const inV1 = ok(
        await api.request<Widget & { apiVersion: string }>('GET', '/apis/example.com/v1/gizmos/g'),
      );
      expect(inV1.apiVersion).toBe('example.com/v1');
      expect(inV1.spec.size).toBe(2);
      const namespaced = await api.request('GET', '/apis/example.com/v1/namespaces/default/gizmos');
      expect(namespaced.status).toBe(404);
    });
  });

  it('are watched, and deleting the CRD deletes its instances first, then stops serving them', async () => {
    await withPorts(async (api, ports) => {
      await establish(api);
      const frames: WatchFrame[] = [];
      let closed = false;
      ports.transport.openStream(
        API_PROTOCOL,
        API_SERVER,
        { kind: 'http', method: 'GET', path: WIDGETS, query: { watch: 'true' } },
        { onMessage: (f) => frames.push(f as WatchFrame), onClose: () => (closed = true) },
      );
      ok(await api.request('POST', WIDGETS, { body: widget('a', { size: 3 }) }));
      ok(await api.request('POST', WIDGETS, { body: widget('b', { size: 4 }) }));
      await ports.clock.sleep(100_000);
      expect(frames.map((f) => f.type)).toEqual(['ADDED', 'ADDED']);

      const deleting = ok(
        await api.request<CustomResourceDefinition>('DELETE', `${CRDS}/widgets.example.com`),
      );
      expect(deleting.metadata.finalizers).toEqual(['customresourcecleanup.apiextensions.k8s.io']);
      expect(deleting.status?.conditions?.map((c) => c.type)).toContain('Terminating');
      await ports.clock.sleep(3_000_000);
      expect(frames.map((f) => f.type)).toEqual(['ADDED', 'ADDED', 'DELETED', 'DELETED']);
      expect(closed).toBe(true);
      expect((await api.request('GET', `${CRDS}/widgets.example.com`)).status).toBe(404);
      expect((await api.request('GET', WIDGETS)).status).toBe(404);
      const groups = ok(await api.request<{ groups: { name: string }[] }>('GET', '/apis'));
      expect(groups.groups.map((g) => g.name)).not.toContain('example.com');
    });
  });
});

describe('a CRD being deleted', () => {
  it("refuses new instances and waits for its instances' own finalizers", async () => {
    await withPorts(async (api, ports) => {
      await establish(api);
      ok(
        await api.request('POST', WIDGETS, {
          body: {
            ...widget('held', { size: 1 }),
            metadata: { name: 'held', finalizers: ['example.com/hold'] },
          },
        }),
      );
      ok(await api.request('DELETE', `${CRDS}/widgets.example.com`));
      await ports.clock.sleep(2_000_000);
      const held = ok(
        await api.request<Widget & { metadata: { deletionTimestamp?: string } }>(
          'GET',
          `${WIDGETS}/held`,
        ),
      );
      expect(held.metadata.deletionTimestamp).toBeDefined();
      const late = await api.request('POST', WIDGETS, { body: widget('late', { size: 1 }) });
      expect(late.status).toBe(405);
      expect((await api.request('GET', `${CRDS}/widgets.example.com`)).status).toBe(200);
      ok(
        await api.request('PATCH', `${WIDGETS}/held`, {
          body: { metadata: { finalizers: null } },
        }),
      );
      await ports.clock.sleep(3_000_000);
      expect((await api.request('GET', `${CRDS}/widgets.example.com`)).status).toBe(404);
    });
  });
});

describe('a CRD changed while served', () => {
  it('applies a default added later to objects stored before, on read', async () => {
    await withPorts(async (api, ports) => {
      const crd = await establish(api);
      ok(await api.request('POST', WIDGETS, { body: widget('old', { size: 1 }) }));
      const v = crd.spec.versions[0]!;
      const schema = v.schema!.openAPIV3Schema!;
      const spec = schema.properties!.spec!;
      const changed = {
        ...crd,
        spec: {
          ...crd.spec,
          versions: [
            {
              ...v,
              schema: {
                openAPIV3Schema: {
                  ...schema,
                  properties: {
                    ...schema.properties,
                    spec: {
                      ...spec,
                      properties: {
                        ...spec.properties,
                        level: { type: 'string', default: 'high' },
                      },
                    },
                  },
                },
              },
            },
          ],
        },
      };
      ok(await api.request('PUT', `${CRDS}/widgets.example.com`, { body: changed }));
      await ports.clock.sleep(100_000);
      const read = ok(await api.request<Widget>('GET', `${WIDGETS}/old`));
      expect(read.spec.level).toBe('high');
      const list = ok(await api.request<{ items: Widget[] }>('GET', WIDGETS));
      expect(list.items[0]?.spec.level).toBe('high');
    });
  });
});
