/**
 * The envelope of a request body (upstream's decode plus checkName and
 * EnsureObjectNamespaceMatchesRequestNamespace): kind and apiVersion match the path, name and
 * namespace agree with it and are filled in from it. `checkEnvelope` answers in the request's
 * version (what field validation reads); `storedBody` converts that to the stored version.
 */
import * as errors from '../../api/errors.ts';
import type { ObjectMeta } from '../../api/meta-types.ts';
import { qualifiedResource } from '../../api/resources.ts';
import type { Status } from '../../api/status-types.ts';
import type { VersionedObject } from '../../api/kinds/index.ts';
import { kindType, typeError } from '../../api/schema/index.ts';
import type { KObject } from '../../api/types.ts';
import type { RequestInfo } from '../request-info.ts';
import { bodyToStored, bodyInVersion } from '../versions.ts';

type MutableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

export function checkEnvelope(
  info: RequestInfo,
  body: unknown,
  name: string | undefined,
): VersionedObject | Status {
  const r = info.resource;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return errors.badRequest(`the body of the request must be a ${r.kind} object`);
  }
  const b = body as Partial<KObject>;
  if (b.kind !== undefined && b.kind !== r.kind) {
    return errors.badRequest(
      `the object kind ${JSON.stringify(b.kind)} does not match the resource ${qualifiedResource(r)} (expected ${r.kind})`,
    );
  }
  if (b.apiVersion !== undefined && b.apiVersion !== r.apiVersion) {
    return errors.badRequest(
      `the apiVersion ${JSON.stringify(b.apiVersion)} is not served for ${r.kind} (expected ${r.apiVersion})`,
    );
  }
  // Upstream's decoder: a member of the wrong JSON type is a 400, before anything reads it.
  const type = kindType(r.apiVersion, r.kind);
  const wrongType = type === undefined ? undefined : typeError(body, type);
  if (wrongType !== undefined) return cannotHandle(info, wrongType);
  const meta = (b.metadata ?? {}) as ObjectMeta;
  if (typeof meta !== 'object') return errors.badRequest('metadata must be an object');
  if (
    r.namespaced &&
    meta.namespace !== undefined &&
    info.namespace !== undefined &&
    meta.namespace !== info.namespace
  ) {
    return errors.badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  if (name !== undefined && meta.name !== undefined && meta.name !== name) {
    return errors.badRequest(
      `the name of the object (${meta.name}) does not match the name on the URL (${name})`,
    );
  }
  const metadata: MutableMeta = { ...meta };
  if (name !== undefined) metadata.name = name;
  // The path decides the namespace; a cluster-scoped object has none.
  if (r.namespaced) metadata.namespace = info.namespace;
  else delete metadata.namespace;
  return { ...b, kind: r.kind, apiVersion: r.apiVersion, metadata };
}

/** checkEnvelope, then the stored version, decoded (a body no field validation reads). */
export function checkBody(
  info: RequestInfo,
  body: unknown,
  name: string | undefined,
): KObject | Status {
  const checked = checkEnvelope(info, body, name);
  return errors.isStatus(checked) ? checked : decodeObject(info, storedBody(info, checked));
}

/** A checked body (checkEnvelope) in the stored version. */
export function storedBody(info: RequestInfo, obj: VersionedObject): KObject {
  return bodyToStored(info.definition, obj);
}

/** A stored object as the request's version shows it (what a patch applies to). */
export function inRequestVersion(info: RequestInfo, obj: KObject): KObject {
  return bodyInVersion(info.definition, obj) as KObject;
}

/**
 * The kind's conversion of a decoded body to its stored form (a Secret's stringData), with the
 * 400 the API server's decoder answers when it fails.
 */
export function decodeObject(info: RequestInfo, obj: KObject): KObject | Status {
  const decoded = info.definition.decode?.(obj);
  return typeof decoded === 'string' ? cannotHandle(info, decoded) : (decoded ?? obj);
}

/** The 400 of upstream's decoder: `Pod in version "v1" cannot be handled as a Pod: <why>`. */
function cannotHandle(info: RequestInfo, why: string): Status {
  const { kind, apiVersion } = info.resource;
  return errors.badRequest(
    `${kind} in version ${JSON.stringify(apiVersion.split('/').pop())} cannot be handled as a ${kind}: ${why}`,
  );
}
