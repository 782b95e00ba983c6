/**
 * patch (upstream's patch handler): the patch is applied to the current object and the result
 * is an update through the same path, so a patch to the main resource keeps status and a patch
 * to /status keeps spec. Strategic merge patches are applied as JSON merge patches for now; the
 * kinds' strategic-merge metadata is recorded in their definitions for when they are not.
 */
import * as errors from '../../api/errors.ts';
import type { VersionedObject } from '../../api/kinds/index.ts';
import type { ObjectMeta } from '../../api/meta-types.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import type { RequestInfo } from '../request-info.ts';
import { parseResourceVersion } from '../storage.ts';
import type { RegistryContext } from './context.ts';
import { guaranteedUpdate, type WritePath } from './update.ts';

export async function patchObject(
  ctx: RegistryContext,
  info: RequestInfo,
  name: string,
  patch: unknown,
  path: WritePath,
): Promise<KObject | Status> {
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
    (old) => patchInVersion(info, old, patch),
    path,
  );
}

/** The patch applies to the object as the request's version shows it. */
function patchInVersion(info: RequestInfo, old: KObject, patch: unknown): KObject {
  const view = info.definition.storedAs;
  if (view === undefined) return mergePatch(old, patch) as KObject;
  return view.toStored(mergePatch(view.fromStored(old), patch) as VersionedObject);
}

export function isJsonObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const base: Record<string, unknown> = isJsonObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete base[k];
    else base[k] = mergePatch(base[k], v);
  }
  return base;
}
