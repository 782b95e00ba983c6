/**
 * What a write does with the fields of its body beyond the kind's own checks: fieldValidation
 * (unknown and duplicate fields, upstream's strict decoding in the create, update and patch
 * handlers) and managedFields (the field manager that runs on every write).
 *
 * Both cost a walk of the object, so both run only when the request asks: unknown fields are
 * looked for under fieldValidation Strict and Warn, not under Ignore (upstream's decoder drops
 * them silently, ksim keeps them) nor without the parameter (options.ts says why); managedFields
 * are kept for objects someone manages (an apply, or a write that names a fieldManager), and
 * an object no one ever did stays without them.
 */
import * as errors from '../../api/errors.ts';
import type { ResourceDefinition } from '../../api/kinds/index.ts';
import { trackUpdate, type TypeModel, type Writer } from '../../api/managed-fields/index.ts';
import type { ObjectMeta } from '../../api/meta-types.ts';
import { patchMetaOf, type JsonObject } from '../../api/patch/index.ts';
import {
  duplicateFields,
  kindType,
  pruneUnknownFields,
  type Pruned,
} from '../../api/schema/index.ts';
import type { Status } from '../../api/status-types.ts';
import { formatTime } from '../../api/time.ts';
import type { KObject } from '../../api/types.ts';
import type { RequestInfo } from '../request-info.ts';
import type { RequestContext } from './context.ts';

/**
 * `obj` without the fields its kind does not declare: a 400 under Strict, one warning each
 * under Warn (upstream's `unknown field "spec.x"`, `duplicate field "metadata.name"`).
 * Duplicates need the raw text of the body, which only an HTTP front has.
 */
export function checkFields<T>(ctx: RequestContext, info: RequestInfo, obj: T): T | Status {
  const mode = ctx.options.fieldValidation;
  if (mode === undefined || mode === 'Ignore') return obj;
  const pruned = unknownFields(info, obj);
  const duplicates = ctx.rawBody === undefined ? [] : duplicateFields(ctx.rawBody);
  if (pruned.unknown.length === 0 && duplicates.length === 0) return obj;
  const problems = [
    ...pruned.unknown.map((f) => `unknown field ${JSON.stringify(f)}`),
    ...duplicates.map((f) => `duplicate field ${JSON.stringify(f)}`),
  ];
  if (mode === 'Strict') return errors.badRequest(`strict decoding error: ${problems.join(', ')}`);
  for (const p of problems) ctx.warn(p);
  return pruned.value;
}

/** `obj` without the fields its kind does not declare, and their paths (`spec.replica`). */
export function unknownFields<T>(info: RequestInfo, obj: T): Pruned<T> {
  const own = info.definition.unknownFields?.(obj as never);
  if (own !== undefined) return { value: own.value as T, unknown: [...own.unknown] };
  const type = kindType(info.resource.apiVersion, info.resource.kind);
  return type === undefined ? { value: obj, unknown: [] } : pruneUnknownFields(obj, type);
}

const models = new WeakMap<ResourceDefinition, TypeModel>();

/** How server-side apply sees the kind: its field tree and strategic-merge metadata. */
export function typeModel(def: ResourceDefinition): TypeModel {
  let m = models.get(def);
  if (m === undefined) {
    m = {
      patch: patchMetaOf(def.patch),
      root: kindType(def.resource.apiVersion, def.resource.kind),
    };
    models.set(def, m);
  }
  return m;
}

/** Who writes: the request's fieldManager, else its user (upstream: the user agent). */
export function writerOf(ctx: RequestContext, info: RequestInfo): Writer {
  return {
    manager: ctx.options.fieldManager ?? ctx.user ?? 'unknown',
    apiVersion: info.resource.apiVersion,
    subresource: info.subresource ?? '',
    time: formatTime(ctx.clock.now()),
  };
}

const managedFieldsOf = (o: KObject | undefined): ObjectMeta['managedFields'] =>
  o?.metadata.managedFields;

/** An Update's managedFields on `next` (`live` undefined for a create), when anyone manages it. */
export function trackWrite(
  ctx: RequestContext,
  info: RequestInfo,
  live: KObject | undefined,
  next: KObject,
): KObject {
  const managed =
    ctx.options.fieldManager !== undefined ||
    managedFieldsOf(live) !== undefined ||
    managedFieldsOf(next) !== undefined;
  if (!managed) return next;
  const model = typeModel(info.definition);
  return trackUpdate(
    model,
    live as unknown as JsonObject | undefined,
    next as unknown as JsonObject,
    writerOf(ctx, info),
  ) as unknown as KObject;
}
