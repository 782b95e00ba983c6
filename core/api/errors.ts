/**
 * Status builders with upstream's codes, reasons and message wording
 * (staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go). Clients (kubectl, client-go,
 * our own) branch on `reason`, and users read `message`, so both must match.
 *
 * `resource` arguments are qualified resources as printed in messages: "pods", "replicasets.apps".
 */
import { aggregateFieldErrors, fieldErrorBody, type FieldError } from './field-error.ts';
import type { Status, StatusDetails, StatusReason } from './status-types.ts';

function failure(
  code: number,
  reason: StatusReason,
  message: string,
  details?: StatusDetails,
): Status {
  const s: Status = {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  return details === undefined ? s : { ...s, details };
}

/**
 * "replicasets.apps" -> {group: "apps", kind: "replicasets"}: upstream puts the resource in
 * details.kind. Empty members are left out, as Go's omitempty does.
 */
function resourceDetails(resource: string, name?: string): StatusDetails {
  const dot = resource.indexOf('.');
  const kind = dot < 0 ? resource : resource.slice(0, dot);
  const group = dot < 0 ? '' : resource.slice(dot + 1);
  return {
    ...(name ? { name } : {}),
    ...(group ? { group } : {}),
    ...(kind ? { kind } : {}),
  };
}

/** A success Status; `code` 201 for the answer to a create (a binding, an eviction). */
export function success(code = 200): Status {
  return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code };
}

export function notFound(resource: string, name: string): Status {
  return failure(
    404,
    'NotFound',
    `${resource} ${JSON.stringify(name)} not found`,
    resourceDetails(resource, name),
  );
}

export function alreadyExists(resource: string, name: string): Status {
  return failure(
    409,
    'AlreadyExists',
    `${resource} ${JSON.stringify(name)} already exists`,
    resourceDetails(resource, name),
  );
}

export const OPTIMISTIC_LOCK_ERROR_MSG =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 409 Conflict; `cause` defaults to the optimistic-concurrency message. */
export function conflict(
  resource: string,
  name: string,
  cause: string = OPTIMISTIC_LOCK_ERROR_MSG,
): Status {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resource} ${JSON.stringify(name)}: ${cause}`,
    resourceDetails(resource, name),
  );
}

/**
 * 422 Invalid. `kind` is the qualified kind ("Pod", "ReplicaSet.apps"); the causes carry each
 * field error's type, body and field, as upstream NewInvalid does.
 */
export function invalid(kind: string, name: string, errs: readonly FieldError[]): Status {
  const dot = kind.indexOf('.');
  const group = dot < 0 ? '' : kind.slice(dot + 1);
  const details: StatusDetails = {
    ...(name ? { name } : {}),
    ...(group ? { group } : {}),
    kind: dot < 0 ? kind : kind.slice(0, dot),
    causes: errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  };
  const agg = aggregateFieldErrors(errs);
  const message = `${kind} ${JSON.stringify(name)} is invalid${agg.length > 0 ? `: ${agg}` : ''}`;
  return failure(422, 'Invalid', message, details);
}

export function badRequest(message: string): Status {
  return failure(400, 'BadRequest', message);
}

/** 410 Gone with reason Gone (upstream NewGone, deprecated but still sent by some paths). */
export function gone(message: string): Status {
  return failure(410, 'Gone', message);
}

/** 410 with reason Expired: what informers see when their resourceVersion was compacted away. */
export function expired(message: string): Status {
  return failure(410, 'Expired', message);
}

/** The storage layer's wording for a watch or list below the compaction revision. */
export function tooOldResourceVersion(requested: number, oldest: number): Status {
  return expired(`too old resource version: ${requested} (${oldest})`);
}

/** 422 Invalid without field causes (upstream NewGenericServerResponse for a patch that does not apply). */
export function unprocessable(message: string): Status {
  return failure(422, 'Invalid', message);
}

/** 415: a body in a media type the endpoint does not take (a PATCH's Content-Type). */
export function unsupportedMediaType(accepted: readonly string[]): Status {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 406: no representation the request's Accept header allows (upstream NewNotAcceptableError). */
export function notAcceptable(accepted: readonly string[]): Status {
  return failure(
    406,
    'NotAcceptable',
    `only the following media types are accepted: ${accepted.join(', ')}`,
  );
}

/** 413: a body larger than the server reads (upstream's request body limit). */
export function requestEntityTooLarge(limitBytes: number): Status {
  return failure(
    413,
    'RequestEntityTooLarge',
    `the request body is larger than the limit of ${limitBytes} bytes`,
  );
}

/** 504 for a resourceVersion the store has not reached (upstream NewTooLargeResourceVersionError). */
export function tooLargeResourceVersion(requested: number, current: number): Status {
  return failure(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
    causes: [
      {
        reason: 'ResourceVersionTooLarge',
        message: `Too large resource version: ${requested}, current: ${current}`,
      },
    ],
    retryAfterSeconds: 1,
  });
}

export function unauthorized(message = 'Unauthorized'): Status {
  return failure(401, 'Unauthorized', message);
}

/** 403. `resource` "" gives upstream's bare "forbidden: ..." form. */
export function forbidden(resource: string, name: string, cause: string): Status {
  let message: string;
  if (resource === '') message = `forbidden: ${cause}`;
  else if (name === '') message = `${resource} is forbidden: ${cause}`;
  else message = `${resource} ${JSON.stringify(name)} is forbidden: ${cause}`;
  return failure(403, 'Forbidden', message, resourceDetails(resource, name));
}

/** 405, e.g. methodNotSupported("bindings", "list"). */
export function methodNotSupported(resource: string, action: string): Status {
  return failure(
    405,
    'MethodNotAllowed',
    `${action} is not supported on resources of kind ${JSON.stringify(resource)}`,
    resourceDetails(resource),
  );
}

/**
 * 405 for a method the path has no route for, e.g. POST to the all-namespaces collection of a
 * namespaced resource (the go-restful answer upstream's NewGenericServerResponse renders).
 */
export function methodNotAllowed(): Status {
  return failure(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );
}

export function internalError(cause: string): Status {
  return failure(500, 'InternalError', `Internal error occurred: ${cause}`, {
    causes: [{ message: cause }],
  });
}

/**
 * What the API server answers for an error that is not a Status (ErrorToAPIStatus's default):
 * 500 with reason Unknown ("") and the error's text.
 */
export function unclassified(message: string): Status {
  return failure(500, '', message);
}

/** 504 Timeout (upstream NewTimeoutError). */
export function timeout(message: string, retryAfterSeconds = 0): Status {
  return failure(504, 'Timeout', `Timeout: ${message}`, { retryAfterSeconds });
}

/** 500 ServerTimeout: the storage layer gave up; the client should retry. */
export function serverTimeout(resource: string, operation: string, retryAfterSeconds = 0): Status {
  return failure(
    500,
    'ServerTimeout',
    `The ${operation} operation against ${resource} could not be completed at this time, please try again.`,
    { ...resourceDetails(resource, operation), retryAfterSeconds },
  );
}

export function tooManyRequests(message: string, retryAfterSeconds = 1): Status {
  return failure(429, 'TooManyRequests', message, { retryAfterSeconds });
}

export function serviceUnavailable(message: string): Status {
  return failure(503, 'ServiceUnavailable', message);
}

export function isStatus(x: unknown): x is Status {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as { kind?: unknown; code?: unknown; status?: unknown };
  return (
    o.kind === 'Status' &&
    typeof o.code === 'number' &&
    (o.status === 'Success' || o.status === 'Failure')
  );
}

/** True if `x` is a failure Status with this reason (apierrors.IsNotFound and friends). */
export function hasReason(x: unknown, reason: StatusReason): boolean {
  return isStatus(x) && x.status === 'Failure' && x.reason === reason;
}
