/**
 * Requests to `{resource}/{name}/{subresource}`: the definition lists the subresources, their
 * verbs and what serves them (another update strategy, the Scale view, or an action).
 */
import * as errors from '../../api/errors.ts';
import type { StrategySubresource } from '../../api/kinds/index.ts';
import type { ApiResponse } from '../../api/http.ts';
import type { KObject } from '../../api/types.ts';
import { assertNever } from '../../util/assert.ts';
import type { RequestInfo } from '../request-info.ts';
import { runAction } from './actions.ts';
import { answer, statusReply, type RequestContext } from './context.ts';
import { patchObject } from './patch.ts';
import { getObject } from './read.ts';
import { serveScale } from './scale.ts';
import { updateObject, type WritePath } from './update.ts';

export async function serveSubresource(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  body: unknown,
  contentType: string | undefined,
): Promise<ApiResponse> {
  const sub = info.definition.subresources.find((s) => s.name === info.subresource);
  if (sub === undefined) {
    return statusReply(
      errors.notFound(
        '',
        `the server could not find the requested resource (${info.resource.resource}/${info.subresource ?? ''})`,
      ),
    );
  }
  if (!sub.verbs.includes(info.verb)) return statusReply(errors.methodNotAllowed());
  switch (sub.kind) {
    case 'strategy':
      return serveStrategy(ctx, info, name, body, contentType, sub);
    case 'scale':
      return serveScale(ctx, info, name, body, contentType, sub);
    case 'action': {
      const r = await runAction(ctx, info, name, sub, body);
      return errors.isStatus(r) ? statusReply(r) : answer(r, 201, ctx);
    }
    case 'node-stream':
      return statusReply(
        errors.badRequest(`${info.resource.resource}/${sub.name} must be requested as a stream`),
      );
    default:
      return assertNever(sub, 'subresource kind');
  }
}

/** status and finalize: the object itself, written through the subresource's strategy. */
async function serveStrategy(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  body: unknown,
  contentType: string | undefined,
  sub: StrategySubresource<KObject>,
): Promise<ApiResponse> {
  const path: WritePath = { strategy: sub.strategy, admit: false };
  switch (info.verb) {
    case 'get':
      return answer(await getObject(ctx, info, name));
    case 'update':
      return answer(await updateObject(ctx, info, name, body, path), 200, ctx);
    case 'patch': {
      const r = await patchObject(ctx, info, name, body, contentType, path);
      return answer(r.result, 200, ctx);
    }
    default:
      return statusReply(errors.methodNotAllowed());
  }
}
