import * as errors from '../api/errors.ts';
import {
  DEFINITIONS,
  definitionFor,
  definitionForVersion,
  mustDefinitionFor,
  podBinding,
} from '../api/kinds/index.ts';
import { NAMESPACE_DEFAULT, type ResourceInfo } from '../api/resources.ts';
import type { Status } from '../api/status-types.ts';
import type { DeleteOptions, KList } from '../api/meta-types.ts';
import type { Kind, KindOf, KObject } from '../api/types.ts';
import type { Clock } from '../ports/clock.ts';
import type { ClientStream, Transport } from '../ports/transport.ts';
import type { ApiRequest, HttpMethod, PatchContentType, WatchFrame } from '../api/http.ts';
import { API_PROTOCOL } from '../api/http-codec.ts';

export type ApiResult<T> =
  | {
      readonly ok: true;
      readonly status: number;
      readonly value: T;
      /** The answer's `Warning` headers, when it has any. */
      readonly warnings?: readonly string[];
    }
  | { readonly ok: false; readonly status: number; readonly error: Status };

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface GetOptions {
  /**
   * "0": any version, served from the API server's watch cache when it runs (client-go's
   * util.FromApiserverCache); undefined: the newest, read through the store.
   */
  readonly resourceVersion?: string;
}

export interface WatchOptions extends ListOptions {
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks?: boolean;
  readonly timeoutSeconds?: number;
}

export interface WatchHandlers {
  onFrame(frame: WatchFrame): void;
  onClose(reason: string): void;
}

export interface ApiClientOptions {
  readonly requestTimeoutUs: number;
  /** The bearer token the requests carry (a client credential or a ServiceAccount token). */
  readonly credential?: string;
  /**
   * With a clock, a 429 or 5xx answer with Retry-After is retried after that many seconds, up
   * to MAX_RETRIES times, as client-go's request does; without one it is returned as is.
   */
  readonly clock?: Clock;
}

/** client-go's default maxRetries for answers with Retry-After. */
export const MAX_RETRIES = 10;

export const DEFAULT_API_CLIENT: ApiClientOptions = { requestTimeoutUs: 10_000_000 };

/**
 * A built-in kind written with a version its group does not serve: sent to the kind's own
 * resource, whose answer says which versions are.
 */
function builtinOfGroup(obj: { readonly apiVersion: string; readonly kind: string }) {
  const own = definitionFor(obj.kind)?.resource;
  const slash = obj.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : obj.apiVersion.slice(0, slash);
  return own !== undefined && own.group === group ? own : undefined;
}

/** The groups built-in kinds are served from; discovery of the others finds custom resources. */
const BUILTIN_GROUPS: ReadonlySet<string> = new Set(DEFINITIONS.map((d) => d.resource.group));

/** A discovery row of `apiVersion` as the resource the client addresses. */
function resourceInfoOf(apiVersion: string, row: DiscoveryRow): ResourceInfo {
  const slash = apiVersion.indexOf('/');
  return {
    kind: row.kind as Kind,
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: apiVersion.slice(slash + 1),
    apiVersion,
    resource: row.name,
    singular: row.singularName ?? '',
    namespaced: row.namespaced,
    shortNames: row.shortNames ?? [],
    categories: row.categories ?? [],
    listKind: `${row.kind}List`,
    verbs: row.verbs ?? [],
    subresources: [],
  };
}

/** metav1.APIResource, as a discovery document lists it. */
interface DiscoveryRow {
  readonly name: string;
  readonly singularName?: string;
  readonly namespaced: boolean;
  readonly kind: string;
  readonly verbs?: readonly ResourceInfo['verbs'][number][];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
}

export function resourceOf(kind: Kind): ResourceInfo {
  return mustDefinitionFor(kind).resource;
}

/**
 * REST path of a collection or object, as kubectl builds it. A namespaced collection without a
 * namespace is the all-namespaces one (for list and watch); a named object without one is in
 * the default namespace, as kubectl's context namespace would put it.
 */
export function resourcePath(
  kind: Kind,
  namespace: string | undefined,
  name?: string,
  subresource?: string,
): string {
  return pathOf(resourceOf(kind), namespace, name, subresource);
}

/** The REST path of a collection or object of any resource (see resourcePath). */
export function pathOf(
  r: ResourceInfo,
  namespace: string | undefined,
  name?: string,
  subresource?: string,
): string {
  let path = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = name === undefined ? namespace : (namespace ?? NAMESPACE_DEFAULT);
  if (r.namespaced && ns !== undefined) path += `/namespaces/${ns}`;
  path += `/${r.resource}`;
  if (name !== undefined) path += `/${name}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

/**
 * A typed client over the Transport port (client-go's typed clientset, reduced to what the
 * components need). Transport failures become Status values like an HTTP client's: a timeout
 * is a 504 whose outcome is unknown, a refused connection a 503.
 */
export class ApiClient {
  /**
   * The Authorization header, made once: the server looks tokens up by this string, and the
   * same string each time keeps its hash rather than hashing a new copy per request.
   */
  private readonly authorization: string | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly server: string,
    private readonly options: ApiClientOptions = DEFAULT_API_CLIENT,
  ) {
    const c = options.credential;
    this.authorization = c === undefined ? undefined : `Bearer ${c}`;
  }

  async request<T>(
    method: HttpMethod,
    path: string,
    init: { query?: Record<string, string>; body?: unknown; contentType?: PatchContentType } = {},
  ): Promise<ApiResult<T>> {
    // A PATCH is a JSON merge patch unless the caller names another type.
    const contentType =
      init.contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : undefined);
    // Fields in the order they always had: query, body, contentType, authorization.
    const req: { -readonly [K in keyof ApiRequest]: ApiRequest[K] } = {
      kind: 'http',
      method,
      path,
    };
    if (init.query !== undefined) req.query = init.query;
    if (init.body !== undefined) req.body = init.body;
    if (contentType !== undefined) req.contentType = contentType;
    if (this.authorization !== undefined) req.authorization = this.authorization;
    const clock = this.options.clock;
    for (let retries = 0; ; retries++) {
      const r = await this.send<T>(req);
      const waitSeconds = retryAfterSeconds(r);
      if (clock === undefined || waitSeconds === undefined || retries >= MAX_RETRIES) return r;
      await clock.sleep(waitSeconds * 1_000_000);
    }
  }

  private async send<T>(req: ApiRequest): Promise<ApiResult<T> & { retryAfter?: string }> {
    const { method, path } = req;
    const r = await this.transport.request(
      API_PROTOCOL,
      this.server,
      req,
      this.options.requestTimeoutUs,
    );
    if (r.kind === 'timeout')
      return {
        ok: false,
        status: 504,
        error: errors.timeout(`${method} ${path}: no response from the API server`),
      };
    if (r.kind === 'refused')
      return {
        ok: false,
        status: 503,
        error: errors.serviceUnavailable(`${method} ${path}: connection refused`),
      };
    const { status, body, warnings, headers } = r.body;
    if (status >= 200 && status < 300) {
      return warnings === undefined
        ? { ok: true, status, value: body as T }
        : { ok: true, status, value: body as T, warnings };
    }
    const retryAfter = headers?.['Retry-After'];
    return {
      ok: false,
      status,
      error: body as Status,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    };
  }

  get<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
    opts: GetOptions = {},
  ): Promise<ApiResult<KindOf<K>>> {
    return this.getAt(resourceOf(kind), namespace, name, opts);
  }

  /** A get of any served resource, built-in or custom (see `discoverCustomResources`). */
  getAt<T>(
    resource: ResourceInfo,
    namespace: string | undefined,
    name: string,
    opts: GetOptions = {},
  ) {
    const path = pathOf(resource, namespace, name);
    return opts.resourceVersion === undefined
      ? this.request<T>('GET', path)
      : this.request<T>('GET', path, { query: { resourceVersion: opts.resourceVersion } });
  }

  list<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    opts: ListOptions = {},
  ): Promise<ApiResult<KList<KindOf<K>>>> {
    return this.listAt(resourceOf(kind), namespace, opts);
  }

  listAt<T>(
    resource: ResourceInfo,
    namespace: string | undefined,
    opts: ListOptions = {},
  ): Promise<ApiResult<KList<T>>> {
    return this.request('GET', pathOf(resource, namespace), { query: selectorQuery(opts) });
  }

  async create<T extends KObject>(obj: T): Promise<ApiResult<T>> {
    // A manifest without a namespace is created in the default one, as kubectl does.
    const namespace = obj.metadata?.namespace ?? NAMESPACE_DEFAULT;
    const served = await this.mapping(obj);
    if (!served.ok) return served;
    return this.request('POST', pathOf(served.value, namespace), { body: obj });
  }

  /**
   * The resource a manifest is written to: a built-in kind's own (or another served version of
   * it, events.k8s.io/v1), else what discovery of its group version reports, as kubectl's
   * RESTMapper finds custom resources. A kind discovery does not list is a 404 with kubectl's
   * "no matches for kind" message.
   */
  async mapping(obj: {
    readonly apiVersion: string;
    readonly kind: string;
  }): Promise<ApiResult<ResourceInfo>> {
    const builtin = definitionForVersion(obj.apiVersion, obj.kind)?.resource ?? builtinOfGroup(obj);
    if (builtin !== undefined) return { ok: true, status: 200, value: builtin };
    const documentPath = obj.apiVersion.includes('/')
      ? `/apis/${obj.apiVersion}`
      : `/api/${obj.apiVersion}`;
    const doc = await this.request<{ resources?: readonly DiscoveryRow[] }>('GET', documentPath);
    if (!doc.ok && doc.status !== 404) return doc;
    const row = doc.ok
      ? doc.value.resources?.find((r) => r.kind === obj.kind && !r.name.includes('/'))
      : undefined;
    if (row === undefined) {
      const message = `no matches for kind ${JSON.stringify(obj.kind)} in version ${JSON.stringify(obj.apiVersion)}`;
      const error: Status = {
        apiVersion: 'v1',
        kind: 'Status',
        metadata: {},
        status: 'Failure',
        message,
        reason: 'NotFound',
        code: 404,
      };
      return { ok: false, status: 404, error };
    }
    return { ok: true, status: 200, value: resourceInfoOf(obj.apiVersion, row) };
  }

  /**
   * Server-side apply of `obj` as `fieldManager` (`kubectl apply --server-side`, with
   * `--force-conflicts` when `force`): creates it, or sets the fields it sets. Unknown fields
   * are refused (fieldValidation=Strict).
   */
  async apply<T extends KObject>(
    obj: T,
    fieldManager: string,
    force = false,
  ): Promise<ApiResult<T>> {
    const served = await this.mapping(obj);
    if (!served.ok) return served;
    const path = pathOf(
      served.value,
      obj.metadata?.namespace ?? NAMESPACE_DEFAULT,
      obj.metadata?.name,
    );
    return this.request('PATCH', path, {
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager, fieldValidation: 'Strict', ...(force ? { force: 'true' } : {}) },
    });
  }

  update<T extends KObject>(obj: T): Promise<ApiResult<T>> {
    return this.request(
      'PUT',
      resourcePath(obj.kind, obj.metadata?.namespace, obj.metadata?.name),
      { body: obj },
    );
  }

  updateStatus<T extends KObject>(obj: T): Promise<ApiResult<T>> {
    return this.request(
      'PUT',
      resourcePath(obj.kind, obj.metadata?.namespace, obj.metadata?.name, 'status'),
      { body: obj },
    );
  }

  patch<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    contentType: PatchContentType = 'application/merge-patch+json',
  ): Promise<ApiResult<KindOf<K>>> {
    return this.patchAt(resourceOf(kind), namespace, name, patch, contentType);
  }

  patchAt<T>(
    resource: ResourceInfo,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    contentType: PatchContentType = 'application/merge-patch+json',
  ): Promise<ApiResult<T>> {
    return this.request('PATCH', pathOf(resource, namespace, name), { body: patch, contentType });
  }

  delete<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
    opts: Pick<DeleteOptions, 'gracePeriodSeconds' | 'preconditions' | 'propagationPolicy'> = {},
  ): Promise<ApiResult<KindOf<K>>> {
    return this.deleteAt(resourceOf(kind), namespace, name, opts);
  }

  deleteAt<T>(
    resource: ResourceInfo,
    namespace: string | undefined,
    name: string,
    opts: Pick<DeleteOptions, 'gracePeriodSeconds' | 'preconditions' | 'propagationPolicy'> = {},
  ): Promise<ApiResult<T>> {
    return this.request('DELETE', pathOf(resource, namespace, name), {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', ...opts },
    });
  }

  /**
   * The resources discovery lists in the groups no built-in kind is served from: the custom
   * resources, as upstream's controllers find them (discovery's ServerPreferredResources).
   */
  async discoverCustomResources(): Promise<ApiResult<ResourceInfo[]>> {
    const groups = await this.request<{
      groups?: readonly { name: string; preferredVersion?: { groupVersion: string } }[];
    }>('GET', '/apis');
    if (!groups.ok) return groups;
    const found: ResourceInfo[] = [];
    for (const g of groups.value.groups ?? []) {
      const gv = g.preferredVersion?.groupVersion;
      if (gv === undefined || BUILTIN_GROUPS.has(g.name)) continue;
      const doc = await this.request<{ resources?: readonly DiscoveryRow[] }>('GET', `/apis/${gv}`);
      if (!doc.ok) {
        if (doc.status === 404) continue;
        return doc;
      }
      for (const row of doc.value.resources ?? []) {
        if (!row.name.includes('/')) found.push(resourceInfoOf(gv, row));
      }
    }
    return { ok: true, status: 200, value: found };
  }

  bind(namespace: string, podName: string, nodeName: string): Promise<ApiResult<Status>> {
    const b = podBinding(namespace, podName, nodeName);
    return this.request('POST', resourcePath(b.kind, namespace, podName, b.subresource), {
      body: b.body,
    });
  }

  watch(
    kind: Kind,
    namespace: string | undefined,
    opts: WatchOptions,
    handlers: WatchHandlers,
  ): ClientStream {
    return this.watchAt(resourceOf(kind), namespace, opts, handlers);
  }

  watchAt(
    resource: ResourceInfo,
    namespace: string | undefined,
    opts: WatchOptions,
    handlers: WatchHandlers,
  ): ClientStream {
    const query: Record<string, string> = { ...selectorQuery(opts), watch: 'true' };
    if (opts.resourceVersion !== undefined) query.resourceVersion = opts.resourceVersion;
    if (opts.allowWatchBookmarks) query.allowWatchBookmarks = 'true';
    if (opts.timeoutSeconds !== undefined) query.timeoutSeconds = String(opts.timeoutSeconds);
    const req: ApiRequest = {
      kind: 'http',
      method: 'GET',
      path: pathOf(resource, namespace),
      query,
      ...(this.authorization === undefined ? {} : { authorization: this.authorization }),
    };
    return this.transport.openStream(API_PROTOCOL, this.server, req, {
      onMessage: (frame) => handlers.onFrame(frame),
      onClose: (reason) => handlers.onClose(reason),
    });
  }
}

/**
 * checkWait: the seconds a 429 or a 5xx with a Retry-After header asks the client to wait
 * (upstream only honours whole seconds).
 */
function retryAfterSeconds(r: { status: number; retryAfter?: string }): number | undefined {
  if (r.status !== 429 && (r.status < 500 || r.status > 599)) return undefined;
  if (r.retryAfter === undefined) return undefined;
  const seconds = Number(r.retryAfter);
  return Number.isInteger(seconds) && seconds >= 0 ? seconds : undefined;
}

function selectorQuery(opts: ListOptions): Record<string, string> {
  const q: Record<string, string> = {};
  if (opts.labelSelector) q.labelSelector = opts.labelSelector;
  if (opts.fieldSelector) q.fieldSelector = opts.fieldSelector;
  return q;
}
