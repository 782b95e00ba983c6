import { featureGates } from '../api/feature-gates.ts';
import * as errors from '../api/errors.ts';
import type { Status } from '../api/status-types.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { ServerStream } from '../ports/transport.ts';
import { DEFAULT_KV_CLIENT, KvClient, type StoreClient } from '../store/kv-client.ts';
import { revision } from '../store/types.ts';
import type { ApiRequest, ApiResponse, WatchFrame } from '../api/http.ts';
import {
  DefinitionCatalog,
  DEFINITIONS,
  definitionFor,
  definitionForPath,
  mustDefinitionFor,
  type RangeConfig,
  type ResourceDefinition,
} from '../api/kinds/index.ts';
import { CustomResources } from './apiextensions/custom-resources.ts';
import type { Kind, KindOf, KObject } from '../api/types.ts';
import { qualifiedKind } from '../api/resources.ts';
import { AdmissionChain } from './admission/chain.ts';
import { accessReviews, type ReviewHandler } from './authz/reviews.ts';
import { checkBody } from './registry/body.ts';
import { AdmissionHooks } from './admission/hooks.ts';
import type { ConversionHooks } from '../api/custom-resources/conversion.ts';
import type { ObjectLookups } from './admission/lookups.ts';
import { MirroredObjects } from './mirrored-objects.ts';
import { admissionPlugins, type AdmissionOptions } from './admission/plugins.ts';
import { keyFor, prefixFor, storageFailure, storageResourceOf } from './registry/context.ts';
import { API_PROTOCOL } from '../api/http-codec.ts';
import {
  DEFAULT_SERVICE_ACCOUNT_ISSUER,
  type TokenObjectGetter,
} from './authn/service-account-token.ts';
import { isPrivileged, type UserInfo } from './authn/user.ts';
import { requestWork } from './request-cost.ts';
import {
  defaultJwksUri,
  isIssuerDiscoveryPath,
  issuerDiscoveryResponse,
} from './authn/issuer-discovery.ts';
import { tokenIssuer } from './authn/token-issuer.ts';
import { AccessControl, OPEN_ACCESS, type AccessOptions } from './authz/access-control.ts';
import { requestAttributes } from './authz/attributes.ts';
import { forbiddenStatus } from './authz/authorizer.ts';
import { ensureBootstrapObjects } from './bootstrap.ts';
import { collectionPrefix, objectKey } from './keys.ts';
import type { SecretGetter, TokenSecret } from './authn/bootstrap-token.ts';
import {
  DEFAULT_MAX_MUTATING_REQUESTS_IN_FLIGHT,
  DEFAULT_MAX_REQUESTS_IN_FLIGHT,
  InFlightLimiter,
  TOO_MANY_REQUESTS,
} from './max-in-flight.ts';
import { FlowControl, type Classification } from './flow-control/flow-control.ts';
import type { Decision } from './flow-control/queue-set.ts';
import { ensureSystemNamespaces } from './namespaces.ts';
import { Registry } from './registry/registry.ts';
import type { RequestContext } from './registry/context.ts';
import {
  DEFAULT_WRITE_OPTIONS,
  parseDeleteOptions,
  parseReadOptions,
  parseWriteOptions,
  type ReadOptions,
} from './registry/options.ts';
import { isPatchContentType } from './registry/patch.ts';
import { parseSelectors } from './registry/selectors.ts';
import { WatchCache, type ServerStart } from './watch-cache.ts';
import { parseRequest, requestInfoFor, type RequestInfo } from './request-info.ts';
import { LeaseManager } from './lease-manager.ts';
import { ObjectStorage, parseResourceVersion } from './storage.ts';
import { responseInVersion } from './versions.ts';
import { nonResourceResponse } from './discovery.ts';
import { ACCEPTED_MEDIA_TYPES, negotiate } from './media-types.ts';
import { parseIncludeObject, present, presentFrame, type Presentation } from './representation.ts';
import { QuotaCache } from './admission/plugins/resource-quota-cache.ts';
import type { AggregatedApi } from '../api/aggregation.ts';
import { FRONT_PROXY_USER } from '../api/aggregation.ts';
import { aggregatedAccepted } from './aggregated-discovery.ts';
import { Aggregator } from './aggregator.ts';
import { issueClientCredential } from './authn/client-credential.ts';
import { API_STREAM_PROTOCOL } from '../api/node-stream.ts';
import { proxyNodeStream } from './node-stream-proxy.ts';
import { KUBE_APISERVER_KUBELET_CLIENT } from '../api/kubelet-protocol.ts';

export { SYSTEM_NAMESPACES } from './namespaces.ts';

export interface ApiServerOptions {
  /** Store members, tried in order; the client follows leader hints. */
  readonly storeMembers: readonly string[];
  /**
   * The store client, from the composition root (real mode's etcd adapter, the simulation's
   * history recorder around the default); by default `defaultStoreClient`.
   */
  readonly storeClient?: (ports: ProcessPorts, storeMembers: readonly string[]) => StoreClient;
  /** --etcd-compaction-interval (default 5 min); 0 disables compaction. */
  readonly compactionIntervalUs?: number;
  /**
   * --event-ttl in seconds (default 1 h): Events are stored on leases that expire them this
   * long after their last write (lease-manager.ts).
   */
  readonly eventTtlSeconds?: number;
  /** Changes per resource kept for resuming watches (DEFAULT_WATCH_CACHE_CAPACITY). */
  readonly watchCacheCapacity?: number;
  /**
   * Ranges the API server hands values out of, by kube-apiserver flag:
   * "service-cluster-ip-range" (default 10.96.0.0/12), "service-node-port-range"
   * (default 30000-32767).
   */
  readonly ranges?: RangeConfig;
  /** Authentication and authorization (OPEN_ACCESS when absent: everyone may do anything). */
  readonly access?: AccessOptions;
  /**
   * --max-requests-inflight (400) and --max-mutating-requests-inflight (200). With priority and
   * fairness their sum is the seats its priority levels share; without, each limits its kind
   * of request, and 0 means no limit.
   */
  readonly maxRequestsInFlight?: number;
  readonly maxMutatingRequestsInFlight?: number;
  /**
   * --enable-priority-and-fairness (default true): requests over a priority level's seats wait
   * in its fair queues (flow-control/); false falls back to max-in-flight's immediate 429s.
   */
  readonly enablePriorityAndFairness?: boolean;
  readonly admission?: AdmissionOptions;
  /** In-process conversion webhooks for CRDs with conversion strategy Webhook. */
  readonly conversionHooks?: ConversionHooks;
  /** APIs other processes serve, which this server proxies to them (kube-aggregator). */
  readonly aggregated?: readonly AggregatedApi[];
  /** --feature-gates (checked with featureGateProblems by whoever builds the options). */
  readonly featureGates?: Readonly<Record<string, boolean>>;
}

export const DEFAULT_COMPACTION_INTERVAL_US = 300_000_000;

/** The built-in store's client over the transport to `storeMembers`. */
export function defaultStoreClient(
  ports: ProcessPorts,
  storeMembers: readonly string[],
): StoreClient {
  return new KvClient(ports.transport, storeMembers, { ...DEFAULT_KV_CLIENT, clock: ports.clock });
}

/** How long the watches of a resource that stopped being served live on (see `unserved`). */
const STORAGE_TEARDOWN_GRACE_US = 1_000_000;

const statusReply = (s: Status): ApiResponse => ({ status: s.code ?? 500, body: s });

/** What a privileged request, exempt from max-in-flight, releases: nothing. */
const NO_RELEASE = (): void => {};

/** What priority and fairness did with a request that waited or was refused, for the trace. */
interface FlowRecord {
  readonly flowSchema: string;
  readonly priorityLevel: string;
  readonly queueWaitUs: number;
}

/** The concurrency limit's answer: go ahead (and give the seat back), or 429. */
type Gate =
  | { readonly release: () => void; readonly flow: FlowRecord | undefined }
  | { readonly release: undefined; readonly flow: FlowRecord | undefined };

const EXEMPT: Gate = { release: NO_RELEASE, flow: undefined };
const REFUSED: Gate = { release: undefined, flow: undefined };

/** A flow-control decision as a gate; the flow is recorded only when it waited or was refused. */
function gateOf(flow: Classification, decision: Decision): Gate {
  const record =
    decision.kind === 'execute' && decision.waitedUs === 0
      ? undefined
      : {
          flowSchema: flow.flowSchema,
          priorityLevel: flow.priorityLevel,
          queueWaitUs: decision.waitedUs,
        };
  return { release: decision.kind === 'execute' ? decision.finish : undefined, flow: record };
}

/** The query of a request without one, shared: frozen, so a handler that writes to it throws. */
const NO_QUERY: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The API server process: HTTP-shaped requests over the Transport port, the generic registry
 * over the store, and watch streams translated from store watches. It keeps no state of its
 * own beyond open watches, so it can crash and restart freely.
 */
export class ApiServer {
  private readonly kv: StoreClient;
  private readonly storage: ObjectStorage;
  private readonly registry: Registry;
  private readonly watchCaches = new Map<string, WatchCache>();
  /** Where this server's watch caches may reach back to (WatchCache.reachBack). */
  private readonly cachesStart: ServerStart = {};
  private readonly access: AccessControl;
  private readonly reviews: ReadonlyMap<string, ReviewHandler>;
  /** Priority and fairness, or max-in-flight when it is disabled. */
  private readonly flowControl: FlowControl | undefined;
  private readonly inFlight: InFlightLimiter;
  /** What this server serves: the built-in kinds and the Established custom resources. */
  private readonly catalog = new DefinitionCatalog(DEFINITIONS);
  private readonly aggregator: Aggregator;
  private requests = 0;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly options: ApiServerOptions,
  ) {
    this.kv =
      options.storeClient?.(ports, options.storeMembers) ??
      defaultStoreClient(ports, options.storeMembers);
    this.storage = new ObjectStorage(
      this.kv,
      ports.checkImmutability,
      new LeaseManager(this.kv, ports.clock, ports.random.fork('leases')),
    );
    const informers = new Map<Kind, MirroredObjects>();
    const lookups: ObjectLookups = {
      get: (kind, namespace, name) => this.lookup(kind, namespace, name),
      list: (kind, namespace) => this.lookupList(kind, namespace),
      cached: <K extends Kind>(kind: K, namespace: string | undefined, name: string) =>
        informers.get(kind)?.get(namespace, name) as KindOf<K> | undefined,
      cachedList: <K extends Kind>(kind: K, namespace: string | undefined) =>
        informers.get(kind)?.list(namespace) as KindOf<K>[] | undefined,
    };
    const hooks = options.admission?.hooks ?? new AdmissionHooks();
    const quotas = new QuotaCache({
      clock: ports.clock,
      spawn: (task) => ports.spawn(task),
      cacheFor: (d) => this.cacheFor(d),
      lookups,
      updateStatus: (obj) => this.updateStatusAsServer(obj),
    });
    const admission = new AdmissionChain(
      admissionPlugins(lookups, hooks, options.admission, {
        sleep: (us) => ports.clock.sleep(us),
        now: () => ports.clock.now(),
        quotas,
      }),
    );
    // The informers admission plugins read, fed by watch caches started with the server.
    for (const kind of admission.informedKinds) {
      const mirror = new MirroredObjects(
        (d) => this.cacheFor(d),
        mustDefinitionFor(kind),
        ports.clock,
        (task) => ports.spawn(task),
      );
      informers.set(kind, mirror);
    }
    this.registry = new Registry(this.storage, ports.clock, ports.random, {
      ranges: options.ranges ?? {},
      cached: (info, name) => this.cachedObject(info, name),
      ...(options.eventTtlSeconds === undefined
        ? {}
        : { eventTtlSeconds: options.eventTtlSeconds }),
      admission,
      // The access control is built below; a write can only arrive once it is.
      guard: (a) => this.access.checkWrite(a),
      featureGates: featureGates(options.featureGates),
      tokens:
        options.access?.signer === undefined
          ? undefined
          : tokenIssuer(
              {
                signer: options.access.signer,
                issuer: options.access.serviceAccountIssuer ?? DEFAULT_SERVICE_ACCOUNT_ISSUER,
                maxExpirationSeconds: options.access.maxTokenExpirationSeconds,
                extendExpiration: options.access.extendTokenExpiration,
              },
              ports.random,
            ),
    });
    // Started before the first request can arrive: allocating writes wait for it.
    const repaired = this.registry.allocations.repair();
    ports.spawn(() => repaired);
    const maxReadOnly = options.maxRequestsInFlight ?? DEFAULT_MAX_REQUESTS_IN_FLIGHT;
    const maxMutating =
      options.maxMutatingRequestsInFlight ?? DEFAULT_MAX_MUTATING_REQUESTS_IN_FLIGHT;
    this.inFlight = new InFlightLimiter(maxReadOnly, maxMutating);
    this.flowControl =
      options.enablePriorityAndFairness === false
        ? undefined
        : new FlowControl({ serverConcurrencyLimit: maxReadOnly + maxMutating }, ports.clock);
    this.access = new AccessControl(options.access ?? OPEN_ACCESS, {
      clock: ports.clock,
      spawn: (task) => ports.spawn(task),
      cacheFor: (d) => this.cacheFor(d),
      getObject: this.tokenObject,
      getSecret: this.bootstrapSecret,
      ensure: (obj) => this.ensure(obj),
    });
    this.reviews = accessReviews(this.access);
    const signer = options.access?.signer;
    this.aggregator = new Aggregator(
      ports.transport,
      options.aggregated ?? [],
      signer === undefined
        ? undefined
        : issueClientCredential(signer, { user: FRONT_PROXY_USER, groups: [] }),
    );
    ports.transport.listen(API_PROTOCOL, {
      onRequest: (_from, req) => this.handle(req),
      onStream: (_from, req, stream) => this.watch(req, stream),
    });
    const nodeStreams = {
      ports,
      access: this.access,
      catalog: this.catalog,
      object: (info: RequestInfo, name: string) => this.objectOf(info, name),
      kubeletCredential:
        signer === undefined
          ? undefined
          : issueClientCredential(signer, KUBE_APISERVER_KUBELET_CLIENT),
    };
    ports.transport.listen(API_STREAM_PROTOCOL, {
      onStream: (_from, req, stream) =>
        ports.spawn(() => proxyNodeStream(nodeStreams, req, stream)),
    });
    new CustomResources({
      clock: ports.clock,
      storage: this.storage,
      registry: this.registry,
      catalog: this.catalog,
      conversionHooks: options.conversionHooks,
      spawn: (task) => ports.spawn(task),
      onChange: (removed) => this.unserved(removed),
    }).start();
    ports.spawn(async () => {
      await ensureSystemNamespaces(this.registry, ports.clock);
      await ensureBootstrapObjects(this.registry, ports.clock, options.ranges ?? {});
    });
    const interval = options.compactionIntervalUs ?? DEFAULT_COMPACTION_INTERVAL_US;
    if (interval > 0) ports.spawn(() => this.compactor(interval));
  }

  get requestsServed(): number {
    return this.requests;
  }

  /**
   * Serves one request and records it in the trace (verb, resource, code, latency, user): the
   * handler chain in upstream's order, authentication (401), priority and fairness or
   * max-in-flight (a wait in a queue, or 429), authorization
   * (403, decided on the request line alone), then the request itself. A stage that answered at
   * once is not awaited, and the stages are one function, not one each: every `await`, of a
   * value too, and every async function's answer cost a microtask hop of the event loop.
   */
  async handle(req: ApiRequest): Promise<ApiResponse> {
    this.requests++;
    const startUs = this.ports.clock.now();
    const pending = this.access.authenticate(req.authorization);
    const authn = pending instanceof Promise ? await pending : pending;
    if (authn.kind === 'unauthorized') {
      return this.answered(req, startUs, statusReply(errors.unauthorized()), undefined);
    }
    const user = authn.user;
    const gated = this.gate(req, user);
    const gate = gated instanceof Promise ? await gated : gated;
    const release = gate.release;
    if (release === undefined) {
      return this.answered(req, startUs, TOO_MANY_REQUESTS, user, gate.flow);
    }
    if (release !== NO_RELEASE && this.ports.buggify?.fires('apiserver.throttle')) {
      release();
      return this.answered(req, startUs, TOO_MANY_REQUESTS, user, gate.flow);
    }
    let response: ApiResponse;
    try {
      const attributes = requestAttributes(user, req.method, req.path, req.query ?? NO_QUERY);
      const decided = this.access.authorize(attributes);
      const decision = decided instanceof Promise ? await decided : decided;
      if (decision.decision !== 'allow') {
        response = statusReply(forbiddenStatus(attributes, decision.reason));
      } else {
        const served = this.serve(req, user);
        response = served instanceof Promise ? await served : served;
        // The request's CPU time, while it still holds its in-flight slot (its answer waits).
        const spent = this.ports.cpu.free ? undefined : this.chargeRequest(req, response);
        if (spent !== undefined) await spent;
      }
    } finally {
      release();
    }
    return this.answered(req, startUs, response, user, gate.flow);
  }

  /**
   * The concurrency limit: priority and fairness's decision (at once, or after a wait in a
   * queue), or max-in-flight's, which never waits. Super-users are exempt from both.
   */
  private gate(req: ApiRequest, user: UserInfo): Gate | Promise<Gate> {
    const flowControl = this.flowControl;
    if (flowControl === undefined) {
      if (isPrivileged(user)) return EXEMPT;
      const release = this.inFlight.tryAcquire(req.method !== 'GET');
      return release === undefined ? REFUSED : { release, flow: undefined };
    }
    const flow = flowControl.classify(user, req.method, req.path, req.query ?? NO_QUERY);
    const admission = flowControl.admit(flow);
    if (admission === undefined) return EXEMPT;
    if (admission.kind === 'queued') return admission.decision.then((d) => gateOf(flow, d));
    return gateOf(flow, admission);
  }

  /** Records a served request in the trace and hands its response back. */
  private answered(
    req: ApiRequest,
    startUs: number,
    response: ApiResponse,
    user: UserInfo | undefined,
    flow?: FlowRecord,
  ): ApiResponse {
    const latencyUs = this.ports.clock.now() - startUs;
    const code = response.status;
    const base =
      user === undefined
        ? { verb: req.method, path: req.path, code, latencyUs }
        : { verb: req.method, path: req.path, code, latencyUs, user: user.name };
    this.ports.trace.emit('api.request', flow === undefined ? base : { ...base, ...flow });
    return response;
  }

  private chargeRequest(req: ApiRequest, response: ApiResponse): Promise<void> | undefined {
    const { work, units } = requestWork(req, response);
    return this.ports.cpu.charge(work, units);
  }

  /** The request, authenticated and authorized: an answer at once when nothing was awaited. */
  private serve(req: ApiRequest, user: UserInfo): ApiResponse | Promise<ApiResponse> {
    if (req.method === 'GET') {
      const groups = this.aggregator.groups;
      // Aggregated /apis lists the aggregated groups' resources, which their servers tell.
      if (
        groups.length > 0 &&
        req.path === '/apis' &&
        aggregatedAccepted(req.accept) !== undefined
      ) {
        return this.aggregator
          .resourceLists()
          .then(
            (remote) =>
              nonResourceResponse(req.path, this.catalog, groups, req.accept, remote) ??
              this.serveResource(req, user),
          );
      }
      const document =
        nonResourceResponse(req.path, this.catalog, groups, req.accept) ??
        this.issuerDiscovery(req.path);
      if (document !== undefined) return document;
    }
    return this.serveResource(req, user);
  }

  /**
   * The ServiceAccount issuer's discovery documents, when its key has a public half. Every
   * other GET comes here too: it is turned away on its path before the issuer's key address
   * is built (a regular expression and two strings per request).
   */
  private issuerDiscovery(path: string): ApiResponse | undefined {
    if (!isIssuerDiscoveryPath(path)) return undefined;
    const access = this.access.options;
    const issuer = access.serviceAccountIssuer ?? DEFAULT_SERVICE_ACCOUNT_ISSUER;
    return issuerDiscoveryResponse(path, access.signer, issuer, defaultJwksUri(issuer));
  }

  private serveResource(req: ApiRequest, user: UserInfo): ApiResponse | Promise<ApiResponse> {
    const query = req.query ?? NO_QUERY;
    const aggregated = this.aggregator.find(req.path);
    if (aggregated !== undefined) return this.aggregator.proxy(aggregated, req);
    const parsed = parseRequest(req.method, req.path, query, user, this.catalog);
    if (!parsed.ok) return statusReply(errors.notFound('', parsed.message));
    const info = parsed.info;
    if (info.verb !== 'get' && info.verb !== 'list') {
      const routed = this.route(info, query, req);
      return routed instanceof Promise
        ? routed.then((r) => responseInVersion(info, r))
        : responseInVersion(info, routed);
    }
    const presentation = this.presentation(req, info.verb === 'list');
    if (errors.isStatus(presentation)) return statusReply(presentation);
    const show = (r: ApiResponse): ApiResponse => present(info.definition, r, presentation);
    const read = this.plainGet(info, query);
    if (read !== undefined) return this.registry.getThen(info, info.name ?? '', read, show);
    const routed = this.route(info, query, req);
    return routed instanceof Promise ? routed.then(show) : show(routed);
  }

  /**
   * The read options of a get that `route` would hand straight to the registry (a named object
   * of a resource that serves get, no subresource, valid options): such a get is answered and
   * presented in the store answer's callback, with no promise step of its own. Undefined for
   * any other request, which `route` serves, or refuses, as ever.
   */
  private plainGet(
    info: RequestInfo,
    query: Readonly<Record<string, string>>,
  ): ReadOptions | undefined {
    if (info.verb !== 'get' || info.subresource !== undefined) return undefined;
    if (scopeError(info) !== undefined || !info.resource.verbs.includes('get')) return undefined;
    const read = parseReadOptions(query);
    return errors.isStatus(read) ? undefined : read;
  }

  /** How a read is answered: the Accept header's representation (a 406 if none is served). */
  private presentation(req: ApiRequest, list: boolean): Presentation | Status {
    const representation = negotiate(req.accept, list);
    if (representation === undefined) return errors.notAcceptable(ACCEPTED_MEDIA_TYPES);
    const includeObject = parseIncludeObject(req.query?.includeObject);
    if (includeObject === undefined) {
      return errors.badRequest(
        `invalid includeObject ${JSON.stringify(req.query?.includeObject)}: must be None, Metadata or Object`,
      );
    }
    return { representation, includeObject, nowUs: this.ports.clock.now() };
  }

  /** The request's verb through the registry: an answer at once when nothing was awaited. */
  private route(
    info: RequestInfo,
    query: Readonly<Record<string, string>>,
    req: ApiRequest,
  ): ApiResponse | Promise<ApiResponse> {
    const name = info.name ?? '';
    const scope = scopeError(info);
    if (scope !== undefined) return statusReply(scope);
    if (info.subresource !== undefined) {
      const ctx = this.writeContext(req, info);
      if (errors.isStatus(ctx)) return statusReply(ctx);
      return this.registry.subresource(info, name, req.body, req.contentType, ctx);
    }
    if (!info.resource.verbs.includes(info.verb)) {
      return statusReply(errors.methodNotSupported(info.resource.resource, info.verb));
    }
    switch (info.verb) {
      case 'get':
      case 'list': {
        const read = parseReadOptions(query);
        if (errors.isStatus(read)) return statusReply(read);
        if (info.verb === 'get') return this.registry.get(info, name, read);
        const sel = parseSelectors(info.definition, query);
        if (errors.isStatus(sel)) return statusReply(sel);
        return this.registry.list(info, sel, read);
      }
      case 'create':
      case 'update':
      case 'patch': {
        const review =
          info.verb === 'create' ? this.reviews.get(info.resource.resource) : undefined;
        if (review !== undefined) return this.review(info, req.body, review);
        const ctx = this.writeContext(req, info);
        if (errors.isStatus(ctx)) return statusReply(ctx);
        // Only a precondition can fail: an update that names a resourceVersion (an
        // unconditional one, or a patch, is retried inside the server instead).
        if (
          info.verb === 'update' &&
          hasResourceVersion(req.body) &&
          this.ports.buggify?.fires('apiserver.conflict')
        )
          return statusReply(errors.conflict(info.resource.resource, name));
        if (info.verb === 'create') return this.registry.create(info, req.body, ctx);
        if (info.verb === 'update') return this.registry.update(info, name, req.body, ctx);
        return this.registry.patch(info, name, req.body, req.contentType, ctx);
      }
      case 'delete':
      case 'deletecollection': {
        const del = parseDeleteOptions(query, req.body);
        if (errors.isStatus(del)) return statusReply(del);
        const ctx = this.registry.context(
          { ...DEFAULT_WRITE_OPTIONS, dryRun: del.dryRun },
          { user: info.user.name },
        );
        if (info.verb === 'delete') return this.registry.delete(info, name, del.options, ctx);
        const sel = parseSelectors(info.definition, query);
        if (errors.isStatus(sel)) return statusReply(sel);
        return this.registry.deleteCollection(info, sel, del.options, ctx);
      }
      case 'watch':
        return statusReply(errors.badRequest('watch requests must be made as streams'));
    }
  }

  /** The context of a write: its query options (a 400 or 422 when they are bad). */
  private writeContext(req: ApiRequest, info: RequestInfo): RequestContext | Status {
    const { verb, user } = info;
    const writeVerb = verb === 'create' || verb === 'update' || verb === 'patch' ? verb : undefined;
    if (writeVerb === undefined) return this.registry.context(undefined, { user: user.name });
    const patchType = isPatchContentType(req.contentType) ? req.contentType : undefined;
    const options = parseWriteOptions(req.query ?? NO_QUERY, writeVerb, patchType);
    if (errors.isStatus(options)) return options;
    return this.registry.context(options, { rawBody: req.rawBody, user: user.name });
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
    const query = req.query ?? NO_QUERY;
    /** Unregisters the watch from its cache; set once it is registered. */
    let stop: (() => void) | undefined;
    // A stream's onClose runs only when the client goes or the stream breaks, so every close the
    // server makes itself (timeoutSeconds, a 410, the cache restarting) unregisters here; a
    // registration left behind would cost every later event of the kind a send to nobody.
    const close = (s?: Status): void => {
      if (s !== undefined) stream.send({ type: 'ERROR', object: s });
      stream.close();
      stop?.();
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
    const parsed = parseRequest('GET', req.path, { ...query, watch: 'true' }, user, this.catalog);
    if (!parsed.ok) return close(errors.notFound('', parsed.message));
    const info = parsed.info;
    if (info.subresource !== undefined || scopeError(info) !== undefined) {
      return close(
        errors.notFound('', `the server could not find the requested resource (${req.path})`),
      );
    }
    const selectors = parseSelectors(info.definition, query);
    if ('code' in selectors) return close(selectors);
    const presentation = this.presentation(req, true);
    if (errors.isStatus(presentation)) return close(presentation);
    const rv = parseResourceVersion(query.resourceVersion);
    if (Number.isNaN(rv))
      return close(
        errors.badRequest(`invalid resourceVersion ${JSON.stringify(query.resourceVersion)}`),
      );
    const timeoutSeconds =
      query.timeoutSeconds === undefined ? undefined : Number(query.timeoutSeconds);
    let deadlineUs: number | undefined;
    if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
      deadlineUs = this.ports.clock.now() + timeoutSeconds * 1_000_000;
      this.ports.clock.setTimer(timeoutSeconds * 1_000_000, () => close());
    }
    const buggify = this.ports.buggify;
    if (buggify?.fires('apiserver.watch-early-close'))
      this.ports.clock.setTimer(buggify.durationUs(1_000_000, 10_000_000), () => close());
    stop = await this.cacheFor(info.definition).watch(rv, {
      namespace: info.resource.namespaced ? info.namespace : undefined,
      selectors,
      bookmarks: query.allowWatchBookmarks === 'true',
      ...(deadlineUs === undefined ? {} : { deadlineUs }),
      send: (frame) =>
        stream.send(
          presentFrame(info.definition, frame, { ...presentation, nowUs: this.ports.clock.now() }),
        ),
      close,
    });
    if (stop === undefined) return;
    if (stream.open) stream.onClose(() => stop?.());
    else stop();
  }

  /** What each watch cache keeps, by resource (WatchCache.retained). */
  watchCacheRetained(): ReadonlyMap<string, WatchCache['retained']> {
    return new Map([...this.watchCaches].map(([resource, cache]) => [resource, cache.retained]));
  }

  /** apiserver_registered_watchers: the watches registered with the watch caches, by resource. */
  registeredWatchers(): ReadonlyMap<string, number> {
    return new Map([...this.watchCaches].map(([resource, cache]) => [resource, cache.watching]));
  }

  /** The metadata of an object a ServiceAccount token is bound to (core group only). */
  private readonly tokenObject: TokenObjectGetter = async (resource, namespace, name) => {
    if (definitionForPath('v1', resource) === undefined) return 'unserved';
    const key = objectKey(resource, namespace === '' ? undefined : namespace, name);
    const r = await this.storage.get<KObject>(key);
    if (r.ok) return r.value.metadata;
    return r.failure.kind === 'not-found' ? 'not-found' : 'unavailable';
  };

  /** A kube-system Secret, for the bootstrap token authenticator. */
  private readonly bootstrapSecret: SecretGetter = async (name) => {
    const r = await this.storage.get<TokenSecret>(objectKey('secrets', 'kube-system', name));
    if (r.ok) return r.value;
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
    return { status: 201, body: await handler(info.user, defaulted) };
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

  private async objectOf(info: RequestInfo, name: string): Promise<KObject | Status> {
    const r = await this.storage.get<KObject>(keyFor(info, name));
    return r.ok ? r.value : storageFailure(info, name, r.failure);
  }

  private async lookupList<K extends Kind>(
    kind: K,
    namespace: string | undefined,
  ): Promise<KindOf<K>[] | Status> {
    const definition = definitionFor(kind);
    if (definition === undefined) return errors.notFound('', `no resource serves ${kind}`);
    const info = requestInfoFor(definition, 'list', namespace);
    const r = await this.storage.list<KindOf<K>>(prefixFor(info));
    return r.ok ? r.value.items : storageFailure(info, '', r.failure);
  }

  /** A status update as the API server itself (admission's quota charges). */
  private async updateStatusAsServer(obj: KObject): Promise<KObject | Status> {
    const definition = definitionFor(obj.kind);
    if (definition === undefined) return errors.notFound('', `no resource serves ${obj.kind}`);
    const name = obj.metadata.name ?? '';
    const info = requestInfoFor(definition, 'update', obj.metadata.namespace, name, 'status');
    const r = await this.registry.subresource(info, name, obj, 'application/json');
    return r.status === 200 ? (r.body as KObject) : (r.body as Status);
  }

  /** Creates `obj` as the API server itself unless it exists; false when the store failed. */
  private async ensure(obj: KObject): Promise<boolean> {
    const definition = definitionFor(obj.kind);
    if (definition === undefined) return false;
    const info = requestInfoFor(definition, 'create', obj.metadata.namespace);
    const r = await this.registry.create(info, obj);
    return r.status === 201 || r.status === 409;
  }

  /** The watch cache's copy of an object, when its resource's cache runs (never starts one). */
  private cachedObject(info: RequestInfo, name: string): KObject | null | undefined {
    const d = info.definition;
    const cache = this.watchCaches.get(`${d.resource.apiVersion}|${d.resource.resource}`);
    if (cache === undefined || cache.definition !== d) return undefined;
    return cache.current(info.namespace, name);
  }

  /**
   * One cache per served resource: another version of a storage has its own over its keys. A
   * resource served by a new definition (a CustomResourceDefinition changed) gets a new cache.
   */
  private cacheFor(definition: ResourceDefinition): WatchCache {
    const resource = definition.resource.resource;
    const served = `${definition.resource.apiVersion}|${resource}`;
    let cache = this.watchCaches.get(served);
    if (cache !== undefined && cache.definition !== definition) {
      cache.stop();
      cache = undefined;
    }
    if (cache === undefined) {
      cache = new WatchCache(
        this.storage,
        definition,
        collectionPrefix(storageResourceOf(definition), undefined),
        this.ports.clock,
        this.options.watchCacheCapacity,
        this.cachesStart,
      );
      this.watchCaches.set(served, cache);
    }
    return cache;
  }

  /**
   * Definitions no longer served (as they were): their watches end, as upstream's crdHandler
   * tears a custom resource's storage down once its requests had time to finish, so a watch
   * still gets the deletions of the instances that went just before their CRD.
   */
  private unserved(removed: readonly ResourceDefinition[]): void {
    for (const d of removed) {
      const served = `${d.resource.apiVersion}|${d.resource.resource}`;
      const cache = this.watchCaches.get(served);
      if (cache?.definition !== d) continue;
      this.ports.spawn(async () => {
        await this.ports.clock.sleep(STORAGE_TEARDOWN_GRACE_US);
        if (this.watchCaches.get(served) !== cache) return;
        cache.stop();
        this.watchCaches.delete(served);
      });
    }
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

/** An update's body names the resourceVersion it was read at (a precondition). */
function hasResourceVersion(body: unknown): boolean {
  const rv = (body as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata
    ?.resourceVersion;
  return typeof rv === 'string' && rv !== '';
}
