/** admission.NewAttributesRecord: what admission is told about a request of the registry's. */
import type { KObject } from '../../api/types.ts';
import type { RequestContext } from '../registry/context.ts';
import type { RequestInfo } from '../request-info.ts';
import type { AdmissionAttributes, Operation } from './attributes.ts';

export function admissionAttributes(
  ctx: RequestContext,
  info: RequestInfo,
  operation: Operation,
  name: string,
  object: KObject | undefined,
  oldObject: KObject | undefined,
): AdmissionAttributes {
  const r = info.resource;
  return {
    operation,
    kind: { group: r.group, version: r.version, kind: r.kind },
    resource: { group: r.group, version: r.version, resource: r.resource },
    subresource: info.subresource ?? '',
    namespace: r.namespaced ? (info.namespace ?? '') : '',
    name,
    object,
    oldObject,
    dryRun: ctx.dryRun,
    userInfo: info.user,
  };
}
