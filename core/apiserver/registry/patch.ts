/**
 * patch (upstream's patch handler, staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go)
 * with its four content types: JSON Patch, JSON merge patch, strategic merge patch (the kind's
 * patch metadata) and server-side apply. The patch is applied to the current object and the
 * result is an update through the same path, so a patch to the main resource keeps status and
 * a patch to /status keeps spec; without a resourceVersion in the patch a conflict with a
 * concurrent writer re-applies it to the newer object. An apply to an object that does not
 * exist creates it.
 */
import { parse as parseYaml } from 'yaml';
import * as errors from '../../api/errors.ts';
import { PATCH_CONTENT_TYPES, type PatchContentType } from '../../api/http.ts';
import { apply } from '../../api/managed-fields/index.ts';
import type { ObjectMeta } from '../../api/meta-types.ts';
import {
  applyJsonPatch,
  isJsonObject,
  isPatchError,
  mergePatch,
  patchMetaOf,
  strategicMergePatch,
  type JsonObject,
  type PatchError,
} from '../../api/patch/index.ts';
import { qualifiedResource } from '../../api/resources.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import { assertNever } from '../../util/assert.ts';
import type { RequestInfo } from '../request-info.ts';
import { parseResourceVersion } from '../storage.ts';
import { checkEnvelope, inRequestVersion, storedBody } from './body.ts';
import { keyFor, storageFailure, type RequestContext } from './context.ts';
import { createObject } from './create.ts';
import { checkFields, typeModel, writerOf } from './fields.ts';
import { guaranteedUpdate, type WritePath } from './update.ts';

export { isJsonObject, mergePatch };

export function isPatchContentType(t: string | undefined): t is PatchContentType {
  return (PATCH_CONTENT_TYPES as readonly (string | undefined)[]).includes(t);
}

/** The Status a patch that does not apply becomes, with upstream's code. */
function patchFailure(e: PatchError): Status {
  switch (e.code) {
    case 400:
      return errors.badRequest(e.message);
    case 422:
      return errors.unprocessable(e.message);
    case 500:
      return errors.internalError(e.message);
    default:
      return assertNever(e.code, 'patch error code');
  }
}

export interface PatchOutcome {
  readonly result: KObject | Status;
  /** An apply created the object (upstream answers 201). */
  readonly created: boolean;
}

export async function patchObject(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  patch: unknown,
  contentType: string | undefined,
  path: WritePath,
): Promise<PatchOutcome> {
  const updated = (result: KObject | Status): PatchOutcome => ({ result, created: false });
  const served = info.definition.patchTypes ?? PATCH_CONTENT_TYPES;
  if (!isPatchContentType(contentType) || !served.includes(contentType)) {
    return updated(errors.unsupportedMediaType(served));
  }
  switch (contentType) {
    case 'application/json-patch+json':
      return updated(await jsonPatch(ctx, info, name, patch, path));
    case 'application/merge-patch+json':
      return updated(
        await mapPatch(ctx, info, name, patch, path, (old, p) => mergePatch(old, p) as JsonObject),
      );
    case 'application/strategic-merge-patch+json': {
      const meta = patchMetaOf(info.definition.patch);
      return updated(
        await mapPatch(ctx, info, name, patch, path, (old, p) => strategicMergePatch(old, p, meta)),
      );
    }
    case 'application/apply-patch+yaml':
      return applyPatch(ctx, info, name, patch, path);
    default:
      return assertNever(contentType, 'patch content type');
  }
}

/** The patched object, checked for unknown fields, with its version check. */
function patched(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  old: KObject,
  result: unknown,
): KObject | Status {
  if (isPatchError(result)) return patchFailure(result);
  if (!isJsonObject(result)) return errors.badRequest('the patched object must be a JSON object');
  const shaped = checkEnvelope(info, result, name);
  if (errors.isStatus(shaped)) return shaped;
  // A resourceVersion the patch sets is a precondition on the object (a conflict otherwise).
  const rv = shaped.metadata.resourceVersion;
  if (rv !== undefined && rv !== old.metadata.resourceVersion) {
    return errors.conflict(qualifiedResource(info.resource), name);
  }
  const fielded = checkFields(ctx, info, shaped);
  return errors.isStatus(fielded) ? fielded : storedBody(info, fielded);
}

/** A merge or strategic merge patch: a JSON object whose resourceVersion pins the object. */
function mapPatch(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  patch: unknown,
  path: WritePath,
  merge: (old: JsonObject, patch: JsonObject) => JsonObject | PatchError,
): Promise<KObject | Status> | Status {
  if (!isJsonObject(patch)) return errors.badRequest('the patch body must be a JSON object');
  const rv = (patch as { metadata?: ObjectMeta }).metadata?.resourceVersion;
  const patchRv = parseResourceVersion(rv);
  if (Number.isNaN(patchRv)) {
    return errors.badRequest(`invalid resourceVersion ${JSON.stringify(rv)}`);
  }
  return guaranteedUpdate(
    ctx,
    info,
    name,
    patchRv,
    (old) => patched(ctx, info, name, old, merge(inRequestVersion(info, old) as JsonObject, patch)),
    path,
  );
}

function jsonPatch(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  patch: unknown,
  path: WritePath,
): Promise<KObject | Status> | Status {
  if (!Array.isArray(patch)) {
    return errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  return guaranteedUpdate(
    ctx,
    info,
    name,
    undefined,
    (old) => patched(ctx, info, name, old, applyJsonPatch(inRequestVersion(info, old), patch)),
    path,
  );
}

/**
 * Server-side apply: the body is the applier's configuration (YAML text, or its parse), merged
 * into the object by the field manager, which owns or refuses (409) each field.
 */
async function applyPatch(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  patch: unknown,
  path: WritePath,
): Promise<PatchOutcome> {
  const updated = (result: KObject | Status): PatchOutcome => ({ result, created: false });
  const config = decodeApply(patch);
  if (errors.isStatus(config)) return updated(config);
  const checked = checkEnvelope(info, config, name);
  if (errors.isStatus(checked)) return updated(checked);
  const shaped = checkFields(ctx, info, checked);
  if (errors.isStatus(shaped)) return updated(shaped);
  const model = typeModel(info.definition);
  const writer = writerOf(ctx, info);
  const force = ctx.options.force;
  // The applier's configuration is in the request's version; so is the live object it merges
  // into, and the result is stored in the stored version.
  const run = (live: KObject | undefined): KObject | Status => {
    const r = apply(
      model,
      (live === undefined ? undefined : inRequestVersion(info, live)) as JsonObject | undefined,
      shaped as unknown as JsonObject,
      writer,
      force,
    );
    switch (r.kind) {
      case 'applied':
        return r.object as unknown as KObject;
      case 'conflict':
        return r.status;
      case 'invalid':
        return errors.internalError(r.message);
      default:
        return assertNever(r, 'apply result');
    }
  };
  const current = await ctx.storage.get<KObject>(keyFor(info, name));
  if (!current.ok && current.failure.kind !== 'not-found') {
    return updated(storageFailure(info, name, current.failure));
  }
  if (!current.ok) {
    // Only the main resource can be created by an apply; a subresource needs its object.
    if (info.subresource !== undefined) return updated(storageFailure(info, name, current.failure));
    const object = run(undefined);
    if (errors.isStatus(object)) return updated(object);
    const result = await createObject(ctx, info, object, true);
    return { result, created: !errors.isStatus(result) };
  }
  const rv = parseResourceVersion(shaped.metadata.resourceVersion);
  if (Number.isNaN(rv)) {
    return updated(
      errors.badRequest(
        `invalid resourceVersion ${JSON.stringify(shaped.metadata.resourceVersion)}`,
      ),
    );
  }
  const runStored = (live: KObject): KObject | Status => {
    const object = run(live);
    return errors.isStatus(object) ? object : storedBody(info, object);
  };
  return updated(
    await guaranteedUpdate(ctx, info, name, rv, runStored, { ...path, managed: true }),
  );
}

function decodeApply(patch: unknown): JsonObject | Status {
  let config = patch;
  if (typeof patch === 'string') {
    try {
      config = parseYaml(patch) as unknown;
    } catch (e) {
      return errors.badRequest(`error decoding YAML: ${(e as Error).message}`);
    }
  }
  if (!isJsonObject(config)) return errors.badRequest('the apply body must be an object');
  return config;
}
