import * as errors from '../api/errors.ts';
import type { Status } from '../api/status-types.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { ServerStream } from '../ports/transport.ts';
import { DEFAULT_KV_CLIENT, KvClient } from '../store/kv-client.ts';
import { revision } from '../store/types.ts';
import type { ApiRequest, ApiResponse, WatchFrame } from '../api/http.ts';
import { definitionFor, definitionForPath, type ResourceDefinition } from '../api/kinds/index.ts';
import type { Kind, KindOf, KObject } from '../api/types.ts';
import { qualifiedKind } from '../api/resources.ts';
import { AdmissionChain } from './admission/chain.ts';
import { accessReviews, type ReviewHandler } from './authz/reviews.ts';
import { checkBody } from './registry/body.ts';
import { AdmissionHooks } from './admission/hooks.ts';
import type { ObjectLookups } from './admission/lookups.ts';
import { admissionPlugins, type AdmissionOptions } from './admission/plugins.ts';
import { keyFor, storageFailure } from './registry/context.ts';
import type { DeleteOptions } from '../api/meta-types.ts';
import { API_PROTOCOL } from '../api/http-codec.ts';
import type { TokenObjectGetter } from './authn/service-account-token.ts';
import { isPrivileged, type UserInfo } from './authn/user.ts';
import { AccessControl, OPEN_ACCESS, type AccessOptions } from './authz/access-control.ts';
import { requestAttributes } from './authz/attributes.ts';
import { forbiddenStatus } from './authz/authorizer.ts';
import { collectionPrefix, objectKey } from './keys.ts';
import {
  DEFAULT_MAX_MUTATING_REQUESTS_IN_FLIGHT,
  DEFAULT_MAX_REQUESTS_IN_FLIGHT,
  InFlightLimiter,
  TOO_MANY_REQUESTS,
} from './max-in-flight.ts';
import { ensureSystemNamespaces } from './namespaces.ts';
import { Registry } from './registry/registry.ts';
import { parseSelectors } from './registry/selectors.ts';
import { WatchCache } from './watch-cache.ts';
import {
  parseRequest,
  requestInfoFor,
  type RequestContext,
  type RequestInfo,
} from './request-info.ts';
import { ObjectStorage, parseResourceVersion } from './storage.ts';

export { SYSTEM_NAMESPACES } from './namespaces.ts';

export interface ApiServerOptions {
  /** Store members, tried in order; the client follows leader hints. */
  readonly storeMembers: readonly string[];
  /** --etcd-compaction-interval (default 5 min); 0 disables compaction. */
  readonly compactionIntervalUs?: number;
  /** Changes per resource kept for resuming watches (DEFAULT_WATCH_CACHE_CAPACITY). */
  readonly watchCacheCapacity?: number;
  /** Authentication and authorization (OPEN_ACCESS when absent: everyone may do anything). */
  readonly access?: AccessOptions;
  /** --max-requests-inflight (400) and --max-mutating-requests-inflight (200); 0: no limit. */
  readonly maxRequestsInFlight?: number;
  readonly maxMutatingRequestsInFlight?: number;
  readonly admission?: AdmissionOptions;
}

export const DEFAULT_COMPACTION_INTERVAL_US = 300_000_000;

const statusReply = (s: Status): ApiResponse => ({ status: s.code ?? 500, body: s });

/**
 * The API server process: HTTP-shaped requests over the Transport port, the generic registry
 * over the store, and watch streams translated from store watches. It keeps no state of its
 * own beyond open watches, so it can crash and restart freely.
 */
export class ApiServer {
  private readonly kv: KvClient;
  private readonly storage: ObjectStorage;
  private readonly registry: Registry;
  private readonly watchCaches = new Map<string, WatchCache>();
  private readonly access: AccessControl;
  private readonly reviews: ReadonlyMap<string, ReviewHandler>;
  private readonly inFlight: InFlightLimiter;
  private requests = 0;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly options: ApiServerOptions,
  ) {
    this.kv = new KvClient(ports.transport, options.storeMembers, {
      ...DEFAULT_KV_CLIENT,
      clock: ports.clock,
    });
    this.storage = new ObjectStorage(this.kv, ports.checkImmutability);
    const lookups: ObjectLookups = {
      get: (kind, namespace, name) => this.lookup(kind, namespace, name),
    };
    const hooks = options.admission?.hooks ?? new AdmissionHooks();
    this.registry = new Registry(
      this.storage,
      ports.clock,
      ports.random,
      new AdmissionChain(admissionPlugins(lookups, hooks, options.admission)),
    );
    this.inFlight = new InFlightLimiter(
      options.maxRequestsInFlight ?? DEFAULT_MAX_REQUESTS_IN_FLIGHT,
      options.maxMutatingRequestsInFlight ?? DEFAULT_MAX_MUTATING_REQUESTS_IN_FLIGHT,
    );
    this.access = new AccessControl(options.access ?? OPEN_ACCESS, {
      clock: ports.clock,
      spawn: (task) => ports.spawn(task),
      cacheFor: (d) => this.cacheFor(d),
      getObject: this.tokenObject,
      ensure: (obj) => this.ensure(obj),
    });
    this.reviews = accessReviews(this.access);
    ports.transport.listen(API_PROTOCOL, {
      onRequest: (_from, req) => this.handle(req),
      onStream: (_from, req, stream) => this.watch(req, stream),
    });
    ports.spawn(() => ensureSystemNamespaces(this.registry, ports.clock));
    const interval = options.compactionIntervalUs ?? DEFAULT_COMPACTION_INTERVAL_US;
    if (interval > 0) ports.spawn(() => this.compactor(interval));
  }

  get requestsServed(): number {
    return this.requests;
  }

  /** Serves one request and records it in the trace (verb, resource, code, latency, user). */
  async handle(req: ApiRequest): Promise<ApiResponse> {
    this.requests++;
    const startUs = this.ports.clock.now();
    const { response, user } = await this.authenticateAndServe(req);
    this.ports.trace.emit('api.request', {
      verb: req.method,
      path: req.path,
      code: response.status,
      latencyUs: this.ports.clock.now() - startUs,
      ...(user === undefined ? {} : { user: user.name }),
    });
    return response;
  }

  /**
   * The handler chain in upstream's order: authentication (401), max-in-flight (429),
   * authorization (403, decided on the request line alone), then the request itself.
   */
  private async authenticateAndServe(
    req: ApiRequest,
  ): Promise<{ response: ApiResponse; user?: UserInfo }> {
    const pending = this.access.authenticate(req.authorization);
    const authn = pending instanceof Promise ? await pending : pending;
    if (authn.kind === 'unauthorized') return { response: statusReply(errors.unauthorized()) };
    const user = authn.user;
    const release = isPrivileged(user) ? () => {} : this.inFlight.tryAcquire(req.method !== 'GET');
    if (release === undefined) return { response: TOO_MANY_REQUESTS, user };
    try {
      const query = req.query ?? {};
      const attributes = requestAttributes(user, req.method, req.path, query);
      const decided = this.access.authorize(attributes);
      const decision = decided instanceof Promise ? await decided : decided;
      if (decision.decision !== 'allow') {
        return { response: statusReply(forbiddenStatus(attributes, decision.reason)), user };
      }
      const warnings: string[] = [];
      const context: RequestContext = {
        user,
        dryRun: query.dryRun === 'All',
        warn: (message) => warnings.push(message),
      };
      const response = await this.serve(req, context);
      return { response: withWarnings(response, warnings), user };
    } finally {
      release();
    }
  }

  private async serve(req: ApiRequest, context: RequestContext): Promise<ApiResponse> {
    const query = req.query ?? {};
    const parsed = parseRequest(req.method, req.path, query, context);
    if (!parsed.ok) return statusReply(errors.notFound('', parsed.message));
    const info = parsed.info;
    const name = info.name ?? '';
    const scope = scopeError(info);
    if (scope !== undefined) return statusReply(scope);
    if (info.subresource !== undefined) return this.registry.subresource(info, name, req.body);
    if (!info.resource.verbs.includes(info.verb)) {
      return statusReply(errors.methodNotSupported(info.resource.resource, info.verb));
    }
    switch (info.verb) {
      case 'get':
        return this.registry.get(info, name);
      case 'list': {
        const sel = parseSelectors(info.definition, query);
        if ('code' in sel) return statusReply(sel);
        const rv =
          query.resourceVersionMatch === 'Exact'
            ? parseResourceVersion(query.resourceVersion)
            : undefined;
        if (Number.isNaN(rv))
          return statusReply(
            errors.badRequest(`invalid resourceVersion ${JSON.stringify(query.resourceVersion)}`),
          );
        return this.registry.list(info, sel, rv);
      }
      case 'create': {
        const review = this.reviews.get(info.resource.resource);
        if (review !== undefined) return this.review(info, req.body, review);
        return this.registry.create(info, req.body);
      }
      case 'update':
        return this.registry.update(info, name, req.body);
      case 'patch':
        return this.registry.patch(info, name, req.body);
      case 'delete':
        return this.registry.delete(info, name, deleteOptions(req));
      case 'deletecollection': {
        const sel = parseSelectors(info.definition, query);
        if ('code' in sel) return statusReply(sel);
        return this.registry.deleteCollection(info, sel, deleteOptions(req));
      }
      case 'watch':
        return statusReply(errors.badRequest('watch requests must be made as streams'));
    }
  }

  /**
   * A watch: optionally the current state as ADDED events (no resourceVersion, or "0"), then
   * every change after the start version, filtered by the selectors with upstream's
   * transitions (an object that stops matching is DELETED for this watcher, one that starts
   * matching is ADDED), bookmarks on request, and 410 Expired for a compacted version.
   */
  private watch(req: ApiRequest, stream: ServerStream<WatchFrame>): void {
    this.ports.spawn(() => this.authorizedWatch(req, stream));
  }

  private async authorizedWatch(req: ApiRequest, stream: ServerStream<WatchFrame>): Promise<void> {
    const query = req.query ?? {};
    const close = (s?: Status): void => {
      if (s !== undefined) stream.send({ type: 'ERROR', object: s });
      stream.close();
    };
    const authn = await this.access.authenticate(req.authorization);
    const user = authn.kind === 'authenticated' ? authn.user : undefined;
    this.ports.trace.emit('api.watch', {
      path: req.path,
      resourceVersion: query.resourceVersion ?? '',
      ...(user === undefined ? {} : { user: user.name }),
    });
    if (user === undefined) return close(errors.unauthorized());
    const attributes = requestAttributes(user, 'GET', req.path, { ...query, watch: 'true' });
    const decision = await this.access.authorize(attributes);
    if (decision.decision !== 'allow') return close(forbiddenStatus(attributes, decision.reason));
    if (!stream.open) return;
    const parsed = parseRequest('GET', req.path, { ...query, watch: 'true' });
    if (!parsed.ok) return close(errors.notFound('', parsed.message));
    const info = parsed.info;
    if (info.subresource !== undefined || scopeError(info) !== undefined) {
      return close(
        errors.notFound('', `the server could not find the requested resource (${req.path})`),
      );
    }
    const selectors = parseSelectors(info.definition, query);
    if ('code' in selectors) return close(selectors);
    const rv = parseResourceVersion(query.resourceVersion);
    if (Number.isNaN(rv))
      return close(
        errors.badRequest(`invalid resourceVersion ${JSON.stringify(query.resourceVersion)}`),
      );
    const timeoutSeconds =
      query.timeoutSeconds === undefined ? undefined : Number(query.timeoutSeconds);
    if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
      this.ports.clock.setTimer(timeoutSeconds * 1_000_000, () => stream.close());
    }
    const stop = await this.cacheFor(info.definition).watch(rv, {
      namespace: info.resource.namespaced ? info.namespace : undefined,
      selectors,
      bookmarks: query.allowWatchBookmarks === 'true',
      send: (frame) => stream.send(frame),
      close,
    });
    if (stop === undefined) return;
    if (stream.open) stream.onClose(stop);
    else stop();
  }

  /** The metadata of an object a ServiceAccount token is bound to (core group only). */
  private readonly tokenObject: TokenObjectGetter = async (resource, namespace, name) => {
    if (definitionForPath('v1', resource) === undefined) return 'unserved';
    const r = await this.storage.get<KObject>(objectKey(resource, namespace, name));
    if (r.ok) return r.value.metadata;
    return r.failure.kind === 'not-found' ? 'not-found' : 'unavailable';
  };

  /** A create the API server answers without storing anything (the access reviews). */
  private async review(
    info: RequestInfo,
    body: unknown,
    handler: ReviewHandler,
  ): Promise<ApiResponse> {
    const obj = checkBody(info, body, undefined);
    if (errors.isStatus(obj)) return statusReply(obj);
    const defaulted = info.definition.defaults(obj);
    const errs = info.definition.validate(defaulted);
    if (errs.length > 0) {
      return statusReply(errors.invalid(qualifiedKind(info.resource), '', errs));
    }
    return { status: 201, body: await handler(info.context.user, defaulted) };
  }

  /** Admission's reads: an object by kind and name, straight from the store. */
  private async lookup<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
  ): Promise<KindOf<K> | Status> {
    const definition = definitionFor(kind);
    if (definition === undefined) return errors.notFound('', `no resource serves ${kind}`);
    const info = requestInfoFor(definition, 'get', namespace, name);
    const r = await this.storage.get<KindOf<K>>(keyFor(info, name));
    return r.ok ? r.value : storageFailure(info, name, r.failure);
  }

  /** Creates `obj` as the API server itself unless it exists; false when the store failed. */
  private async ensure(obj: KObject): Promise<boolean> {
    const definition = definitionFor(obj.kind);
    if (definition === undefined) return false;
    const info = requestInfoFor(definition, 'create', obj.metadata.namespace);
    const r = await this.registry.create(info, obj);
    return r.status === 201 || r.status === 409;
  }

  private cacheFor(definition: ResourceDefinition): WatchCache {
    const resource = definition.resource.resource;
    let cache = this.watchCaches.get(resource);
    if (cache === undefined) {
      cache = new WatchCache(
        this.storage,
        definition,
        collectionPrefix(resource, undefined),
        this.options.watchCacheCapacity,
      );
      this.watchCaches.set(resource, cache);
    }
    return cache;
  }

  /**
   * Upstream's compactor (apiserver storage/etcd3/compact.go): every interval, compact the
   * store to the revision it had one interval earlier, so watchers get a full interval to catch
   * up before their start version expires.
   */
  private async compactor(intervalUs: number): Promise<void> {
    let previous = 0;
    while (true) {
      await this.ports.clock.sleep(intervalUs);
      const r = await this.kv.do({ kind: 'range', key: '/', rangeEnd: '\0', countOnly: true });
      if (r.kind !== 'range') continue;
      if (previous > 0) {
        const c = await this.kv.do({ kind: 'compact', revision: revision(previous) });
        if (c.kind === 'compact')
          this.ports.trace.emit('apiserver.compact', { revision: previous });
      }
      previous = r.header.revision;
    }
  }
}

/**
 * A namespaced resource has routes without a namespace only for list and watch across all
 * namespaces: a named request there finds nothing, and a create or deletecollection there is a
 * method the path does not allow (kube-apiserver's go-restful routes answer the same).
 */
function scopeError(info: RequestInfo): Status | undefined {
  if (!info.resource.namespaced || info.namespace !== undefined) return undefined;
  if (info.name !== undefined) {
    return errors.notFound(
      '',
      `the server could not find the requested resource (${info.resource.resource}/${info.name})`,
    );
  }
  return info.verb === 'list' || info.verb === 'watch' ? undefined : errors.methodNotAllowed();
}

/** Admission's warnings as Warning headers (299, as upstream's warning recorder writes them). */
function withWarnings(response: ApiResponse, warnings: readonly string[]): ApiResponse {
  if (warnings.length === 0) return response;
  const header = warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
  return { ...response, headers: { ...response.headers, Warning: header } };
}

function deleteOptions(req: ApiRequest): DeleteOptions {
  const body = (req.body ?? {}) as DeleteOptions;
  const q = req.query?.gracePeriodSeconds;
  const grace = q !== undefined ? Number(q) : body.gracePeriodSeconds;
  return {
    ...(grace === undefined || Number.isNaN(grace) ? {} : { gracePeriodSeconds: grace }),
    ...(body.preconditions === undefined ? {} : { preconditions: body.preconditions }),
  };
}
