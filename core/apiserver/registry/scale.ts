/**
 * The scale subresource (upstream's ScaleREST of replica sets and deployments): an
 * autoscaling/v1 Scale view of the object; PUT and PATCH change spec.replicas through the main
 * update strategy, with the Scale's resourceVersion as precondition.
 */
import type { Scale } from '../../api/autoscaling-types.ts';
import * as errors from '../../api/errors.ts';
import { child, fieldInvalid } from '../../api/field-error.ts';
import type { ScaleSubresource } from '../../api/kinds/index.ts';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/meta-validation.ts';
import type { ApiResponse } from '../../api/http.ts';
import { qualifiedResource } from '../../api/resources.ts';
import { isSelectorError, labelSelectorAsMatcher } from '../../api/selectors.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import type { RequestInfo } from '../request-info.ts';
import { parseResourceVersion } from '../storage.ts';
import {
  applyJsonPatch,
  isJsonObject,
  isPatchError,
  mergePatch,
  PatchMeta,
  strategicMergePatch,
  type JsonObject,
  type PatchError,
} from '../../api/patch/index.ts';
import { PATCH_CONTENT_TYPES } from '../../api/http.ts';
import { reply, statusReply, type RequestContext } from './context.ts';
import { isPatchContentType } from './patch.ts';
import { getObject } from './read.ts';
import { guaranteedUpdate, type WritePath } from './update.ts';

const SCALE_KIND = 'Scale.autoscaling';

export async function serveScale(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  body: unknown,
  contentType: string | undefined,
  sub: ScaleSubresource<KObject>,
): Promise<ApiResponse> {
  // The replicas change goes through the main strategy; admission of the main resource does not.
  const path: WritePath = { strategy: info.definition.update, admit: false };
  let r: KObject | Status;
  switch (info.verb) {
    case 'get':
      r = await getObject(ctx, info, name);
      break;
    case 'update': {
      if (!isJsonObject(body)) return statusReply(errors.badRequest('the body must be a Scale'));
      const rv = (body as Partial<Scale>).metadata?.resourceVersion;
      const requestedRv = parseResourceVersion(rv);
      if (Number.isNaN(requestedRv)) {
        return statusReply(errors.badRequest(`invalid resourceVersion ${JSON.stringify(rv)}`));
      }
      r = await guaranteedUpdate(
        ctx,
        info,
        name,
        requestedRv,
        (old) => applyScale(info, name, sub, old, body),
        path,
      );
      break;
    }
    case 'patch':
      if (!isPatchContentType(contentType)) {
        return statusReply(errors.unsupportedMediaType(PATCH_CONTENT_TYPES));
      }
      if (
        contentType === 'application/json-patch+json' ? !Array.isArray(body) : !isJsonObject(body)
      ) {
        return statusReply(errors.badRequest('the patch body must be a JSON object'));
      }
      r = await guaranteedUpdate(
        ctx,
        info,
        name,
        undefined,
        (old) => {
          const scale = toScale(sub, old);
          if (errors.isStatus(scale)) return scale;
          const patched = patchScale(scale, body, contentType);
          if (isPatchError(patched)) return errors.unprocessable(patched.message);
          // A resourceVersion the patch sets is a precondition on the object.
          if (patched.metadata?.resourceVersion !== old.metadata.resourceVersion) {
            return errors.conflict(qualifiedResource(info.resource), name);
          }
          return applyScale(info, name, sub, old, patched);
        },
        path,
      );
      break;
    default:
      return statusReply(errors.methodNotAllowed());
  }
  if (errors.isStatus(r)) return statusReply(scaleNotFound(info, name, r));
  const scale = toScale(sub, r);
  return errors.isStatus(scale) ? statusReply(scale) : reply(200, scale);
}

/** A Scale has no merge lists, so a strategic merge patch and an apply merge as JSON. */
const NO_PATCH_META = new PatchMeta([]);

function patchScale(scale: Scale, body: unknown, contentType: string): Partial<Scale> | PatchError {
  let r: unknown;
  if (contentType === 'application/json-patch+json') r = applyJsonPatch(scale, body);
  else if (contentType === 'application/strategic-merge-patch+json') {
    r = strategicMergePatch(scale as unknown as JsonObject, body as JsonObject, NO_PATCH_META);
  } else r = mergePatch(scale, body);
  return r as Partial<Scale> | PatchError;
}

/** Upstream names the subresource in its 404: `replicasets/scale.apps "web" not found`. */
function scaleNotFound(info: RequestInfo, name: string, s: Status): Status {
  if (s.reason !== 'NotFound') return s;
  const resource = `${info.resource.resource}/${info.subresource ?? ''}`;
  return errors.notFound(qualifiedResource({ group: info.resource.group, resource }), name);
}

function toScale(sub: ScaleSubresource<KObject>, obj: KObject): Scale | Status {
  const selector = labelSelectorAsMatcher(sub.selector(obj));
  if (isSelectorError(selector)) return errors.badRequest(selector.message);
  const m = obj.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: sub.specReplicas(obj) },
    status: { replicas: sub.statusReplicas(obj), selector: selector.toString() },
  };
}

/** scaleUpdatedObjectInfo: validate the Scale, check its uid, move its replicas to the object. */
function applyScale(
  info: RequestInfo,
  name: string,
  sub: ScaleSubresource<KObject>,
  old: KObject,
  body: Partial<Scale>,
): KObject | Status {
  if (body.kind !== undefined && body.kind !== 'Scale') {
    return errors.badRequest(`the object kind ${JSON.stringify(body.kind)} is not a Scale`);
  }
  if (body.metadata?.name !== undefined && body.metadata.name !== name) {
    return errors.badRequest(
      `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
  // A Scale without spec.replicas asks for 0, as decoding into upstream's int32 does.
  const replicas = body.spec?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
    return errors.badRequest(`spec.replicas must be an integer, not ${JSON.stringify(replicas)}`);
  }
  const meta = { ...body.metadata, name, namespace: old.metadata.namespace };
  const errs = validateObjectMeta(meta, info.resource.namespaced, nameIsDNSSubdomain);
  if (replicas < 0) {
    errs.push(
      fieldInvalid(child('spec', 'replicas'), replicas, 'must be greater than or equal to 0'),
    );
  }
  if (errs.length > 0) return errors.invalid(SCALE_KIND, name, errs);
  if (meta.uid !== undefined && meta.uid !== old.metadata.uid) {
    return errors.conflict(
      qualifiedResource(info.resource),
      name,
      `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${old.metadata.uid ?? ''}`,
    );
  }
  return sub.withSpecReplicas(old, replicas);
}
