/**
 * Actions (POST-only subresources such as pods/binding and pods/eviction): the definition's
 * handler runs against an ActionContext that gives it the registry's own operations.
 */
import * as errors from '../../api/errors.ts';
import {
  mustDefinitionFor,
  type ActionContext,
  type ActionSubresource,
  type ResourceDefinition,
} from '../../api/kinds/index.ts';
import type { ObjectMeta } from '../../api/meta-types.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import { assert } from '../../util/assert.ts';
import { parseResourceVersion } from '../storage.ts';
import { requestInfoFor, type RequestInfo } from '../request-info.ts';
import type { RequestContext } from './context.ts';
import { deleteObject } from './deletion.ts';
import { getObject, listObjects } from './read.ts';
import { EVERYTHING } from './selectors.ts';
import { guaranteedUpdate, storageUpdate } from './update.ts';

export function runAction(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  sub: ActionSubresource,
  body: unknown,
): Promise<Status | KObject> {
  return sub.create(actionContext(ctx, info, name), body);
}

/**
 * A create on a resource that stores nothing (`createAs`): the subresource action of the
 * object the body names.
 */
export async function createAs(
  ctx: RequestContext,
  info: RequestInfo,
  body: unknown,
): Promise<Status | KObject> {
  const target = info.definition.createAs;
  assert(target !== undefined, `${info.resource.resource} stores its objects`);
  const def = mustDefinitionFor(target.kind);
  const sub = def.subresources.find((s) => s.name === target.subresource);
  assert(sub?.kind === 'action', `${target.kind} has no action ${target.subresource}`);
  const name = (body as { metadata?: ObjectMeta } | undefined)?.metadata?.name;
  if (!name) return errors.badRequest('the body must name the object');
  const subject = requestInfoFor(def, 'create', info.namespace, name, sub.name);
  return runAction(ctx, subject, name, sub, body);
}

function actionContext(ctx: RequestContext, info: RequestInfo, name: string): ActionContext {
  return {
    namespace: info.namespace,
    name,
    nowUs: () => ctx.clock.now(),
    get: () => getObject(ctx, info, name),
    guaranteedUpdate: (transform) => storageUpdate(ctx, info, name, transform),
    delete: (options) => deleteObject(ctx, info, name, options),
    list: async (kind, namespace) => {
      const listInfo = requestInfoFor(mustDefinitionFor(kind), 'list', namespace);
      const r = await listObjects(ctx, listInfo, EVERYTHING);
      return errors.isStatus(r) ? r : r.items;
    },
    updateStatus: (obj) => updateStatusOf(ctx, mustDefinitionFor(obj.kind), obj),
    getOther: (kind, namespace, otherName) => {
      const def = mustDefinitionFor(kind);
      const getInfo = requestInfoFor(
        def,
        'get',
        def.resource.namespaced ? namespace : undefined,
        otherName,
      );
      return getObject(ctx, getInfo, otherName);
    },
    warn: (message) => ctx.warn(message),
    tokens: ctx.tokens,
  };
}

/** PUT {resource}/{name}/status of `obj` at its resourceVersion. */
function updateStatusOf(
  ctx: RequestContext,
  def: ResourceDefinition,
  obj: KObject,
): Promise<KObject | Status> {
  const status = def.subresources.find((s) => s.name === 'status');
  assert(status?.kind === 'strategy', `${def.resource.resource} has no status subresource`);
  const name = obj.metadata.name ?? '';
  const info = requestInfoFor(def, 'update', obj.metadata.namespace, name, status.name);
  const rv = parseResourceVersion(obj.metadata.resourceVersion);
  return guaranteedUpdate(ctx, info, name, Number.isNaN(rv) ? undefined : rv, () => obj, {
    strategy: status.strategy,
    admit: false,
  });
}
