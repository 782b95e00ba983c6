/** admission.NewAttributesRecord: what admission is told about a request of the registry's. */
import type { ResourceInfo } from '../../api/resources.ts';
import type { KObject } from '../../api/types.ts';
import type { RequestContext } from '../registry/context.ts';
import type { RequestInfo } from '../request-info.ts';
import type {
  AdmissionAttributes,
  GroupVersionKind,
  GroupVersionResource,
  Operation,
} from './attributes.ts';

interface Identity {
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
}

/** A resource's kind and resource triples, made once per discovery row (they are read-only). */
const identities = new WeakMap<ResourceInfo, Identity>();

function identityOf(r: ResourceInfo): Identity {
  let identity = identities.get(r);
  if (identity === undefined) {
    identity = {
      kind: Object.freeze({ group: r.group, version: r.version, kind: r.kind }),
      resource: Object.freeze({ group: r.group, version: r.version, resource: r.resource }),
    };
    identities.set(r, identity);
  }
  return identity;
}

export function admissionAttributes(
  ctx: RequestContext,
  info: RequestInfo,
  operation: Operation,
  name: string,
  object: KObject | undefined,
  oldObject: KObject | undefined,
): AdmissionAttributes {
  const r = info.resource;
  const { kind, resource } = identityOf(r);
  return {
    operation,
    kind,
    resource,
    subresource: info.subresource ?? '',
    namespace: r.namespaced ? (info.namespace ?? '') : '',
    name,
    object,
    oldObject,
    dryRun: ctx.dryRun,
    userInfo: info.user,
  };
}

/** The same request's attributes about `object` (what a later stage of admission sees). */
export function withObject(
  a: AdmissionAttributes,
  object: KObject | undefined,
): AdmissionAttributes {
  return object === a.object ? a : { ...a, object };
}
