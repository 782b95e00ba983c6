/**
 * An HTTP request as the API server's `ApiRequest` (core/api/http.ts): the request line, the
 * headers the API server reads (Authorization, Accept, Content-Type) and the body, parsed as
 * upstream's decoders would (JSON; YAML for server-side apply and `application/yaml`). What
 * cannot be translated is answered by the front itself with the Status upstream sends.
 */
import { parse as parseYaml } from 'yaml';
import * as errors from '../../core/api/errors.ts';
import { COMMAND_SEPARATOR } from '../../core/api/kinds/pod-streams.ts';
import type { ApiRequest, HttpMethod } from '../../core/api/http.ts';
import { PATCH_CONTENT_TYPES } from '../../core/api/http.ts';
import type { Status } from '../../core/api/status-types.ts';
import { decodeProtobufBody, PROTOBUF_MEDIA_TYPE } from './protobuf.ts';

const METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** The parts of an HTTP request the translation reads (node's IncomingMessage has them). */
export interface HttpRequestHead {
  readonly method: string;
  /** The request target: path and query, e.g. `/api/v1/pods?watch=true`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

function header(head: HttpRequestHead, name: string): string | undefined {
  const v = head.headers[name];
  return Array.isArray(v) ? (v as readonly string[]).join(',') : (v as string | undefined);
}

/** The media type of a Content-Type header, without parameters (`; charset=utf-8`). */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const t = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return t === '' ? undefined : t;
}

/**
 * The path and query of a request target; the first value of a repeated parameter wins, but
 * for `command` (pods/exec), whose values are joined with COMMAND_SEPARATOR.
 * Undefined for a target that is not a URL path or has a broken percent-encoding.
 */
export function splitTarget(
  url: string,
): { path: string; query: Readonly<Record<string, string>> } | undefined {
  try {
    const u = new URL(url, 'http://front.invalid');
    const query: Record<string, string> = {};
    for (const [k, v] of u.searchParams) if (!(k in query)) query[k] = v;
    // exec's argv is the one repeated parameter the API reads in full.
    const command = u.searchParams.getAll('command');
    if (command.length > 1) query.command = command.join(COMMAND_SEPARATOR);
    return { path: decodeURIComponent(u.pathname), query };
  } catch {
    return undefined;
  }
}

/** Whether the request opens a watch (`?watch=true` or `1`, as upstream's RequestInfo reads it). */
export function isWatch(req: ApiRequest): boolean {
  return req.method === 'GET' && (req.query?.watch === 'true' || req.query?.watch === '1');
}

const BODY_TYPES: readonly string[] = ['application/json', 'application/yaml'];

type Parsed =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly status: Status };

function parseBody(text: string, type: string | undefined): Parsed {
  try {
    // JSON is YAML; kubectl sends its server-side applies as JSON.
    const yaml = type === 'application/yaml' || type === 'application/apply-patch+yaml';
    return { ok: true, value: yaml ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown) };
  } catch (e) {
    return {
      ok: false,
      status: errors.badRequest(
        `the body of the request could not be decoded: ${(e as Error).message}`,
      ),
    };
  }
}

const isPatchType = (type: string | undefined): boolean =>
  (PATCH_CONTENT_TYPES as readonly string[]).includes(type ?? '');

/** The ApiRequest of an HTTP request whose body has been read, or the Status to answer. */
export function toApiRequest(head: HttpRequestHead, bytes: Buffer): ApiRequest | Status {
  const method = head.method.toUpperCase();
  if (!METHODS.has(method)) return errors.methodNotAllowed();
  const httpMethod = method as HttpMethod;
  const target = splitTarget(head.url);
  if (target === undefined)
    return errors.badRequest(`malformed request target ${JSON.stringify(head.url)}`);
  const { path, query } = target;
  const contentType = mediaType(header(head, 'content-type'));
  const authorization = header(head, 'authorization');
  const accept = header(head, 'accept');
  const base: ApiRequest = {
    kind: 'http',
    method: httpMethod,
    path,
    ...(Object.keys(query).length === 0 ? {} : { query }),
    ...(authorization === undefined ? {} : { authorization }),
    ...(accept === undefined ? {} : { accept }),
  };
  const withType = contentType === undefined ? base : { ...base, contentType };
  if (bytes.length === 0) return withType;
  if (contentType === PROTOBUF_MEDIA_TYPE && httpMethod !== 'PATCH') {
    const decoded = decodeProtobufBody(bytes);
    if (!decoded.ok)
      return errors.unsupportedMediaType([
        ...BODY_TYPES,
        `${PROTOBUF_MEDIA_TYPE} (${decoded.reason})`,
      ]);
    return {
      ...base,
      contentType: 'application/json',
      body: decoded.object,
      rawBody: JSON.stringify(decoded.object),
    };
  }
  const body = bytes.toString('utf8');
  // A PATCH of another type is the API server's 415 to answer: it knows what it accepts.
  if (httpMethod === 'PATCH' && !isPatchType(contentType)) return withType;
  if (httpMethod !== 'PATCH' && contentType !== undefined && !BODY_TYPES.includes(contentType)) {
    return errors.unsupportedMediaType(BODY_TYPES);
  }
  const parsed = parseBody(body, contentType);
  if (!parsed.ok) return parsed.status;
  return { ...withType, body: parsed.value, rawBody: body };
}
