/**
 * The OpenAPI documents (core/apiserver/openapi.ts): upstream's component names, the field
 * types, required members, descriptions and aliases of the declarations, the kinds' patch
 * metadata and group-version-kinds, custom resources from their CRD's schema, the v3 index's
 * hashes, the Swagger 2.0 form, and a rebuild when the served API changes.
 */
import { describe, expect, it } from 'vitest';
import { definitionsOnceEstablished } from '../../../core/api/custom-resources/definition.ts';
import type { CustomResourceDefinition } from '../../../core/api/kinds/custom-resource-definition.ts';
import { BUILTIN_CATALOG, DEFINITIONS, DefinitionCatalog } from '../../../core/api/kinds/index.ts';
import { nonResourceResponse } from '../../../core/apiserver/discovery.ts';
import { openApiDocument } from '../../../core/apiserver/openapi.ts';
import { send, withPorts } from './fixtures.ts';

type Schema = {
  readonly description?: string;
  readonly type?: string;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
  readonly additionalProperties?: Schema;
  readonly allOf?: readonly Schema[];
  readonly $ref?: string;
  readonly [extension: string]: unknown;
};

interface V3Document {
  readonly paths: Readonly<Record<string, { readonly patch?: Schema }>>;
  readonly components: { readonly schemas: Readonly<Record<string, Schema>> };
}

const v3 = (path: string, catalog = BUILTIN_CATALOG): V3Document =>
  openApiDocument(`/openapi/v3/${path}`, catalog) as V3Document;

const CORE = 'io.k8s.api.core.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

describe('OpenAPI v3', () => {
  it('indexes every group version with the hash of its document', () => {
    const index = openApiDocument('/openapi/v3', BUILTIN_CATALOG) as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    expect(index.paths['api/v1']?.serverRelativeURL).toMatch(
      /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{8}$/,
    );
    expect(index.paths['apis/apps/v1']?.serverRelativeURL).toMatch(
      /^\/openapi\/v3\/apis\/apps\/v1\?hash=/,
    );
    expect(nonResourceResponse('/openapi/v3/apis/apps/v1')?.body).toBe(v3('apis/apps/v1'));
    expect(nonResourceResponse('/openapi/v3/apis/nothing/v1')).toBeUndefined();
  });

  it('describes Pod with its fields, types, required members and descriptions', () => {
    const schemas = v3('api/v1').components.schemas;
    const pod = schemas[`${CORE}.Pod`] as Schema;
    expect(pod['x-kubernetes-group-version-kind']).toEqual([
      { group: '', version: 'v1', kind: 'Pod' },
    ]);
    expect(pod.description).toMatch(/^Pod is a collection of containers/);
    expect(pod.properties?.spec).toMatchObject({
      allOf: [{ $ref: `#/components/schemas/${CORE}.PodSpec` }],
      description: expect.stringMatching(/^Specification of the desired behavior of the pod/),
    });
    const container = schemas[`${CORE}.Container`] as Schema;
    expect(container.required).toEqual(['name']);
    expect(container.properties?.args).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(container.properties?.stdin?.type).toBe('boolean');
    expect(schemas[`${CORE}.ContainerPort`]?.properties?.containerPort?.type).toBe('integer');
    // Aliases upstream names: Quantity in a map, Time.
    expect(schemas[`${CORE}.ResourceRequirements`]?.properties?.limits).toMatchObject({
      type: 'object',
      additionalProperties: {
        $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity',
      },
    });
    expect(schemas[`${META}.ObjectMeta`]?.properties?.creationTimestamp?.allOf).toEqual([
      { $ref: `#/components/schemas/${META}.Time` },
    ]);
    expect(schemas[`${META}.Time`]).toMatchObject({ type: 'string', format: 'date-time' });
    // The closure: what Pod refers to is in the same document.
    for (const s of Object.values(schemas)) {
      for (const r of JSON.stringify(s).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g))
        expect(schemas[r[1] as string], r[1]).toBeDefined();
    }
  });

  it('carries the strategic-merge metadata ksim patches with', () => {
    const schemas = v3('api/v1').components.schemas;
    expect(schemas[`${CORE}.PodSpec`]?.properties?.containers).toMatchObject({
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    expect(schemas[`${CORE}.PodSpec`]?.properties?.volumes?.['x-kubernetes-patch-strategy']).toBe(
      'merge,retainKeys',
    );
    expect(schemas[`${META}.ObjectMeta`]?.properties?.finalizers).toMatchObject({
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'set',
    });
    expect(schemas[`${META}.LabelSelector`]?.['x-kubernetes-map-type']).toBe('atomic');
    const apps = v3('apis/apps/v1');
    expect(
      apps.components.schemas['io.k8s.api.apps.v1.DeploymentSpec']?.properties?.strategy?.[
        'x-kubernetes-patch-strategy'
      ],
    ).toBe('retainKeys');
  });

  it("offers each kind's PATCH with the patch types it takes and fieldValidation", () => {
    const patch = v3('apis/apps/v1').paths[
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}'
    ]?.patch as Schema;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    expect(Object.keys((patch.requestBody as { content: object }).content)).toContain(
      'application/strategic-merge-patch+json',
    );
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation' }));
  });

  it('serves a custom resource with its CRD schema, and rebuilds when the API changes', () => {
    const catalog = new DefinitionCatalog(DEFINITIONS);
    const before = v3('api/v1', catalog);
    expect(v3('apis/stable.example.com/v1', catalog)).toBeUndefined();
    const crd: CustomResourceDefinition = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'crontabs.stable.example.com' },
      spec: {
        group: 'stable.example.com',
        scope: 'Namespaced',
        names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                description: 'A CronTab runs a command on a schedule.',
                properties: {
                  spec: {
                    type: 'object',
                    required: ['cronSpec'],
                    properties: { cronSpec: { type: 'string' } },
                  },
                },
              },
            },
          },
        ],
      },
    } as CustomResourceDefinition;
    catalog.set(crd.metadata.name as string, definitionsOnceEstablished(crd));
    const doc = v3('apis/stable.example.com/v1', catalog);
    const cronTab = doc.components.schemas['com.example.stable.v1.CronTab'] as Schema;
    expect(cronTab).toMatchObject({
      description: 'A CronTab runs a command on a schedule.',
      'x-kubernetes-group-version-kind': [
        { group: 'stable.example.com', version: 'v1', kind: 'CronTab' },
      ],
    });
    expect(cronTab.properties?.metadata?.allOf).toEqual([
      { $ref: `#/components/schemas/${META}.ObjectMeta` },
    ]);
    expect(cronTab.properties?.spec?.required).toEqual(['cronSpec']);
    expect(doc.components.schemas[`${META}.ObjectMeta`]).toBeDefined();
    // Custom resources take no strategic merge patch: kubectl sends them merge patches.
    const patch = doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}']
      ?.patch as { requestBody: { content: object } };
    expect(Object.keys(patch.requestBody.content)).not.toContain(
      'application/strategic-merge-patch+json',
    );
    expect(v3('api/v1', catalog)).not.toBe(before);
  });
});

describe('OpenAPI v2', () => {
  it('holds every schema under #/definitions, with plain references', () => {
    const doc = openApiDocument('/openapi/v2', BUILTIN_CATALOG) as {
      swagger: string;
      definitions: Record<string, Schema>;
    };
    expect(doc.swagger).toBe('2.0');
    expect(doc.definitions[`${CORE}.Pod`]?.properties?.spec?.$ref).toBe(
      `#/definitions/${CORE}.PodSpec`,
    );
    expect(doc.definitions['io.k8s.api.apps.v1.Deployment']).toBeDefined();
    expect(JSON.stringify(doc)).not.toContain('#/components/');
    // JSONSchemaProps has a member named $ref: a string, not a reference.
    expect(
      doc.definitions['io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps']
        ?.properties?.$ref?.type,
    ).toBe('string');
  });
});

describe('the API server', () => {
  it('serves the documents as JSON and refuses the protobuf v2 with 406, which client-go accepts', async () => {
    await withPorts(async (_api, ports) => {
      const json = await send(ports, { method: 'GET', path: '/openapi/v2' });
      expect(json.status).toBe(200);
      expect(json.body).toMatchObject({ swagger: '2.0' });
      // client-go's OpenAPISchema asks for protobuf only; a 406 makes it try the pre-1.10 path
      // (a 404 here) and go on without the document.
      const pb = await send(ports, {
        method: 'GET',
        path: '/openapi/v2',
        accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
      });
      expect(pb.status).toBe(406);
      expect(pb.body).toMatchObject({ reason: 'NotAcceptable' });
      const v3 = await send(ports, { method: 'GET', path: '/openapi/v3/apis/apps/v1' });
      expect(v3.body).toMatchObject({ openapi: '3.0.0' });
    });
  });
});
