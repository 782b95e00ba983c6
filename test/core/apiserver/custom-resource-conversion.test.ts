import { describe, expect, it } from 'vitest';
import {
  ConversionHooks,
  type ConversionRequest,
  type ConversionResponse,
  type CustomObject,
} from '../../../core/api/custom-resources/conversion.ts';
import type { CustomResourceDefinition } from '../../../core/api/kinds/custom-resource-definition.ts';
import type { KList } from '../../../core/api/meta-types.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';
import { ok } from './fixtures.ts';
import type { WatchFrame } from '../../../core/api/http.ts';
import { API_PROTOCOL } from '../../../core/api/http-codec.ts';
import { API_SERVER } from '../../../core/cluster/identities.ts';
import { CRDS, establish } from './custom-resource-fixtures.ts';

/** v1 keeps `spec.size`; v2 calls it `spec.length` and adds a unit. */
function thingsCrd(
  conversion: CustomResourceDefinition['spec']['conversion'],
): CustomResourceDefinition {
  const version = (name: string, storage: boolean, props: Record<string, unknown>) => ({
    name,
    served: true,
    storage,
    schema: {
      openAPIV3Schema: {
        type: 'object',
        properties: { spec: { type: 'object', properties: props } },
      },
    },
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'things.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'things', kind: 'Thing' },
      versions: [
        version('v1', true, { size: { type: 'integer' } }),
        version('v2', false, {
          length: { type: 'integer' },
          unit: { type: 'string', default: 'm' },
        }),
      ],
      conversion,
    },
  } as CustomResourceDefinition;
}

const WEBHOOK = {
  strategy: 'Webhook',
  webhook: {
    clientConfig: { service: { namespace: 'default', name: 'things-converter' } },
    conversionReviewVersions: ['v1'],
  },
} as const;

type Thing = CustomObject & { spec: Record<string, unknown> };

/** Renames the field between the versions; counts its calls. */
class Converter {
  calls = 0;
  failing = false;
  readonly name = 'default/things-converter';
  convert(req: ConversionRequest): ConversionResponse {
    this.calls++;
    if (this.failing) return { result: { status: 'Failure', message: 'converter is down' } };
    return {
      result: { status: 'Success' },
      convertedObjects: req.objects.map((o) => {
        const { size, length, unit: _unit, ...rest } = (o as Thing).spec;
        const spec =
          req.desiredAPIVersion === 'example.com/v2'
            ? { ...rest, length: size }
            : { ...rest, size: length };
        return { ...o, apiVersion: req.desiredAPIVersion, spec } as CustomObject;
      }),
    };
  }
}

const V1 = '/apis/example.com/v1/namespaces/default/things';
const V2 = '/apis/example.com/v2/namespaces/default/things';

describe('CRD conversion', () => {
  it('validates spec.conversion as upstream', async () => {
    const sim = controlPlane();
    await runScript(sim, async (api) => {
      const noConfig = await api.request('POST', CRDS, {
        body: thingsCrd({ strategy: 'Webhook' }),
      });
      expect(!noConfig.ok && noConfig.error.message).toContain(
        'spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook',
      );
      expect(!noConfig.ok && noConfig.error.message).toContain(
        'spec.conversion.conversionReviewVersions: Required value: must contain at least one value',
      );
      const oldReview = await api.request('POST', CRDS, {
        body: thingsCrd({
          ...WEBHOOK,
          webhook: { ...WEBHOOK.webhook, conversionReviewVersions: ['v0'] },
        }),
      });
      expect(!oldReview.ok && oldReview.error.message).toContain(
        'spec.conversion.conversionReviewVersions: Invalid value: []string{"v0"}: must include at least one of v1, v1beta1',
      );
      const noneWithHook = await api.request('POST', CRDS, {
        body: thingsCrd({ strategy: 'None', webhook: WEBHOOK.webhook }),
      });
      expect(!noneWithHook.ok && noneWithHook.error.message).toContain(
        'spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook',
      );
    });
  });

  it('stores the storage version and converts through the webhook on write, read, list and watch', async () => {
    const hooks = new ConversionHooks();
    const converter = new Converter();
    hooks.install(converter);
    const sim = controlPlane({ apiServer: { conversionHooks: hooks } });
    await runScript(sim, async (api, ports) => {
      await establish(api, thingsCrd(WEBHOOK));
      const frames: WatchFrame[] = [];
      ports.transport.openStream(
        API_PROTOCOL,
        API_SERVER,
        { kind: 'http', method: 'GET', path: V2, query: { watch: 'true' } },
        { onMessage: (f) => frames.push(f as WatchFrame), onClose: () => undefined },
      );
      const created = ok(
        await api.request<Thing>('POST', V2, {
          body: {
            apiVersion: 'example.com/v2',
            kind: 'Thing',
            metadata: { name: 'a' },
            spec: { length: 3 },
          },
        }),
      );
      expect(created.apiVersion).toBe('example.com/v2');
      expect(created.spec).toEqual({ length: 3, unit: 'm' });
      const stored = ok(await api.request<Thing>('GET', `${V1}/a`));
      expect(stored.apiVersion).toBe('example.com/v1');
      expect(stored.spec).toEqual({ size: 3 });
      const listed = ok(await api.request<KList<Thing>>('GET', V2));
      expect(listed.items.map((t) => t.spec)).toEqual([{ length: 3, unit: 'm' }]);

      const patched = ok(
        await api.request<Thing>('PATCH', `${V2}/a`, {
          body: { spec: { length: 5 } },
          contentType: 'application/merge-patch+json',
        }),
      );
      expect(patched.spec).toEqual({ length: 5, unit: 'm' });
      expect(ok(await api.request<Thing>('GET', `${V1}/a`)).spec).toEqual({ size: 5 });
      expect(converter.calls).toBeGreaterThan(0);
      await ports.clock.sleep(100_000);
      expect(frames.map((f) => [f.type, (f.object as Thing).spec])).toEqual([
        ['ADDED', { length: 3, unit: 'm' }],
        ['MODIFIED', { length: 5, unit: 'm' }],
      ]);

      converter.failing = true;
      const get = await api.request('GET', `${V2}/a`);
      expect(get.status).toBe(500);
      expect(!get.ok && get.error.message).toBe(
        'Internal error occurred: conversion webhook for example.com/v1, Kind=Thing failed: converter is down',
      );
      const list = await api.request('GET', V2);
      expect(list.status).toBe(500);
      ok(
        await api.request('PATCH', `${V1}/a`, {
          body: { metadata: { labels: { seen: 'yes' } } },
          contentType: 'application/merge-patch+json',
        }),
      );
      await ports.clock.sleep(100_000);
      expect(frames[2]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 500 } });
      // The storage version needs no conversion.
      expect(ok(await api.request<Thing>('GET', `${V1}/a`)).spec).toEqual({ size: 5 });
      const write = await api.request('POST', V2, {
        body: { apiVersion: 'example.com/v2', kind: 'Thing', metadata: { name: 'b' }, spec: {} },
      });
      expect(write.ok).toBe(false);
      expect(!write.ok && write.error.message).toContain(
        'conversion webhook for example.com/v2, Kind=Thing failed: converter is down',
      );
      hooks.remove(converter.name);
      const gone = await api.request('GET', `${V2}/a`);
      expect(!gone.ok && gone.error.message).toContain(
        'no conversion webhook answers at "default/things-converter"',
      );
    });
  });

  it('refuses what a webhook must not answer', async () => {
    const hooks = new ConversionHooks();
    const sim = controlPlane({ apiServer: { conversionHooks: hooks } });
    await runScript(sim, async (api) => {
      await establish(api, thingsCrd(WEBHOOK));
      ok(
        await api.request('POST', V1, {
          body: {
            apiVersion: 'example.com/v1',
            kind: 'Thing',
            metadata: { name: 'a' },
            spec: { size: 1 },
          },
        }),
      );
      const answers: [(o: CustomObject) => CustomObject[], string][] = [
        [() => [], 'returned 0 objects, expected 1'],
        [(o) => [o], 'invalid apiVersion "example.com/v1", expected "example.com/v2"'],
        [
          (o) => [{ ...o, apiVersion: 'example.com/v2', metadata: { ...o.metadata, name: 'b' } }],
          'invalid metadata in object at index 0: must not change metadata.name',
        ],
      ];
      for (const [answer, message] of answers) {
        hooks.install({
          name: 'default/things-converter',
          convert: (req) => ({
            result: { status: 'Success' },
            convertedObjects: req.objects.flatMap((o) => answer(o)),
          }),
        });
        const r = await api.request('GET', `${V2}/a`);
        expect(r.status).toBe(500);
        expect(!r.ok && r.error.message).toContain(message);
      }
      // Labels and annotations are the webhook's; the rest of metadata is restored.
      hooks.install({
        name: 'default/things-converter',
        convert: (req) => ({
          result: { status: 'Success' },
          convertedObjects: req.objects.map((o) => ({
            ...o,
            apiVersion: req.desiredAPIVersion,
            metadata: { ...o.metadata, labels: { converted: 'yes' }, generation: 99 },
          })),
        }),
      });
      const got = ok(await api.request<Thing>('GET', `${V2}/a`));
      expect(got.metadata.labels).toEqual({ converted: 'yes' });
      expect(got.metadata.generation).toBe(1);
    });
  });
});
