/**
 * What serving a request costs the API server's processor (the CPU cost model, core/ports/cpu.ts):
 * its kind of work by verb, and its size in KiB of request and response body, the bytes the
 * server decodes, converts and encodes.
 */
import type { ApiRequest, ApiResponse } from '../api/http.ts';
import type { CpuWork } from '../ports/cpu.ts';
import { assertNever } from '../util/assert.ts';

const BYTES_PER_KIB = 1024;

export interface RequestWork {
  readonly work: CpuWork;
  readonly units: number;
}

export function requestWork(req: ApiRequest, response: ApiResponse): RequestWork {
  const bytes = requestBytes(req) + bodyBytes(response.body);
  return { work: workOf(req, response), units: bytes / BYTES_PER_KIB };
}

function workOf(req: ApiRequest, response: ApiResponse): CpuWork {
  switch (req.method) {
    case 'GET':
      return isList(response.body) ? 'api.list' : 'api.get';
    case 'POST':
      return 'api.create';
    case 'PUT':
      return 'api.update';
    case 'PATCH':
      return 'api.patch';
    case 'DELETE':
      return 'api.delete';
    default:
      return assertNever(req.method);
  }
}

function requestBytes(req: ApiRequest): number {
  return req.rawBody !== undefined ? req.rawBody.length : bodyBytes(req.body);
}

/**
 * The size of a body as JSON. A list is estimated from its first item (items of one list are of
 * one kind and similar), so sizing a list of thousands does not cost what encoding it would.
 */
function bodyBytes(body: unknown): number {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return body.length;
  if (isList(body)) {
    const first = body.items[0];
    return LIST_ENVELOPE_BYTES + (first === undefined ? 0 : jsonLength(first) * body.items.length);
  }
  return jsonLength(body);
}

/** apiVersion, kind and list metadata around a list's items. */
const LIST_ENVELOPE_BYTES = 100;

function isList(body: unknown): body is { readonly items: readonly unknown[] } {
  return (
    typeof body === 'object' && body !== null && Array.isArray((body as { items?: unknown }).items)
  );
}

function jsonLength(value: unknown): number {
  return JSON.stringify(value)?.length ?? 0;
}
