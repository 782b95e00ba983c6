/**
 * Conversion of custom resources between a CRD's versions (staging/src/k8s.io/
 * apiextensions-apiserver/pkg/apiserver/conversion): strategy None only rewrites apiVersion;
 * strategy Webhook sends the objects in a ConversionReview to the CRD's webhook. In ksim the
 * webhook is an in-process conversion hook, installed like the admission hooks (the
 * simulator's stand-in for webhooks) under the name its clientConfig gives: the service as
 * "namespace/name" or the url. A hook answers at once: conversion takes no virtual time.
 * What a hook answers is checked as webhook_converter.go checks it: as many objects as asked,
 * each of the desired apiVersion and the same kind, with metadata changed only in labels and
 * annotations (the rest is restored from the original).
 */
import type { CustomResourceDefinition } from '../kinds/custom-resource-definition.ts';
import type { ObjectMeta } from '../meta-types.ts';
import type { VersionedObject } from '../kinds/definition.ts';

/** A custom resource as a webhook sees it: the envelope and any other fields. */
export type CustomObject = VersionedObject & { readonly [field: string]: unknown };

/** The request of an apiextensions.k8s.io/v1 ConversionReview. */
export interface ConversionRequest {
  readonly uid: string;
  readonly desiredAPIVersion: string;
  readonly objects: readonly CustomObject[];
}

/** The response of a ConversionReview (its uid is the request's). */
export type ConversionResponse =
  | {
      readonly result: { readonly status: 'Success' };
      readonly convertedObjects: readonly CustomObject[];
    }
  | { readonly result: { readonly status: 'Failure'; readonly message?: string } };

export interface ConversionHook {
  /** The CRD clientConfig it serves: "namespace/name" of the service, or the url. */
  readonly name: string;
  convert(request: ConversionRequest): ConversionResponse;
}

/** The conversion hooks an API server calls; tests add and remove them while it runs. */
export class ConversionHooks {
  private readonly hooks = new Map<string, ConversionHook>();

  install(hook: ConversionHook): void {
    this.hooks.set(hook.name, hook);
  }

  remove(name: string): void {
    this.hooks.delete(name);
  }

  get(name: string): ConversionHook | undefined {
    return this.hooks.get(name);
  }
}

type Conversion = NonNullable<CustomResourceDefinition['spec']['conversion']>;

/** The hook name a CRD's webhook clientConfig addresses, or undefined if it names none. */
export function hookName(conversion: Conversion | undefined): string | undefined {
  const config = conversion?.webhook?.clientConfig;
  if (config === undefined) return undefined;
  if (config.service !== undefined) return `${config.service.namespace}/${config.service.name}`;
  return config.url;
}

/** A converted object, or why the conversion failed (upstream's error text). */
export type Converted =
  | { readonly ok: true; readonly object: CustomObject }
  | { readonly ok: false; readonly error: string };

/** Converts one object to `apiVersion` through the CRD's webhook. */
export function convertByWebhook(
  hooks: ConversionHooks | undefined,
  name: string | undefined,
  obj: CustomObject,
  apiVersion: string,
): Converted {
  const gvk = `${obj.apiVersion}, Kind=${obj.kind}`;
  const failed = (why: string): Converted => ({
    ok: false,
    error: `conversion webhook for ${gvk} failed: ${why}`,
  });
  const hook = name === undefined ? undefined : hooks?.get(name);
  if (hook === undefined)
    return failed(`no conversion webhook answers at ${JSON.stringify(name ?? '')}`);
  let response: ConversionResponse;
  try {
    response = hook.convert({
      uid: `${obj.metadata.uid ?? ''}/${apiVersion}`,
      desiredAPIVersion: apiVersion,
      objects: [obj],
    });
  } catch (e) {
    return failed(e instanceof Error ? e.message : String(e));
  }
  if (response.result.status !== 'Success' || !('convertedObjects' in response)) {
    const message = 'message' in response.result ? response.result.message : undefined;
    return failed(
      message ?? `response.result.status was '${response.result.status}', not 'Success'`,
    );
  }
  const objects = response.convertedObjects;
  if (objects.length !== 1) {
    return {
      ok: false,
      error: `conversion webhook for ${gvk} returned ${objects.length} objects, expected 1`,
    };
  }
  const converted = objects[0] as CustomObject;
  const invalid = (why: string): Converted => ({
    ok: false,
    error: `conversion webhook for ${gvk} returned invalid converted object at index 0: ${why}`,
  });
  if (converted.apiVersion !== apiVersion)
    return invalid(
      `invalid apiVersion ${JSON.stringify(converted.apiVersion)}, expected ${JSON.stringify(apiVersion)}`,
    );
  if (converted.kind !== obj.kind)
    return invalid(
      `invalid kind ${JSON.stringify(converted.kind)}, expected ${JSON.stringify(obj.kind)}`,
    );
  const meta = converted.metadata ?? {};
  for (const field of ['name', 'namespace', 'uid'] as const) {
    if (meta[field] !== obj.metadata[field]) {
      return {
        ok: false,
        error: `conversion webhook for ${gvk} returned invalid metadata in object at index 0: must not change metadata.${field}`,
      };
    }
  }
  return { ok: true, object: { ...converted, metadata: restoredMeta(obj.metadata, meta) } };
}

/** restoreObjectMeta: only labels and annotations are the webhook's to change. */
function restoredMeta(original: ObjectMeta, converted: ObjectMeta): ObjectMeta {
  const out: Record<string, unknown> = { ...original };
  delete out.labels;
  delete out.annotations;
  if (converted.labels !== undefined) out.labels = converted.labels;
  if (converted.annotations !== undefined) out.annotations = converted.annotations;
  return out as ObjectMeta;
}
