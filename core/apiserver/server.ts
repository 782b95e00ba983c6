import * as errors from '../api/errors.ts';
import type { Status } from '../api/status-types.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { ServerStream } from '../ports/transport.ts';
import { DEFAULT_KV_CLIENT, KvClient } from '../store/kv-client.ts';
import { revision } from '../store/types.ts';
import type { ApiRequest, ApiResponse, WatchFrame } from '../api/http.ts';
import type { RangeConfig, ResourceDefinition } from '../api/kinds/index.ts';
import { API_PROTOCOL } from '../api/http-codec.ts';
import { ensureBootstrapObjects } from './bootstrap.ts';
import { collectionPrefix } from './keys.ts';
import { ensureSystemNamespaces } from './namespaces.ts';
import { Registry } from './registry/registry.ts';
import type { RequestContext } from './registry/context.ts';
import {
  DEFAULT_WRITE_OPTIONS,
  parseDeleteOptions,
  parseReadOptions,
  parseWriteOptions,
} from './registry/options.ts';
import { isPatchContentType } from './registry/patch.ts';
import { parseSelectors } from './registry/selectors.ts';
import { WatchCache } from './watch-cache.ts';
import { parseRequest, type RequestInfo, type RequestVerb } from './request-info.ts';
import { ObjectStorage, parseResourceVersion } from './storage.ts';
import { frameInVersion, responseInVersion } from './versions.ts';

export { SYSTEM_NAMESPACES } from './namespaces.ts';

export interface ApiServerOptions {
  /** Store members, tried in order; the client follows leader hints. */
  readonly storeMembers: readonly string[];
  /** --etcd-compaction-interval (default 5 min); 0 disables compaction. */
  readonly compactionIntervalUs?: number;
  /** Changes per resource kept for resuming watches (DEFAULT_WATCH_CACHE_CAPACITY). */
  readonly watchCacheCapacity?: number;
  /**
   * Ranges the API server hands values out of, by kube-apiserver flag:
   * "service-cluster-ip-range" (default 10.96.0.0/12), "service-node-port-range"
   * (default 30000-32767).
   */
  readonly ranges?: RangeConfig;
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
    const ranges = options.ranges ?? {};
    this.registry = new Registry(this.storage, ports.clock, ports.random, ranges);
    // Started before the first request can arrive: allocating writes wait for it.
    const repaired = this.registry.allocations.repair();
    ports.spawn(() => repaired);
    ports.transport.listen(API_PROTOCOL, {
      onRequest: (_from, req) => this.handle(req),
      onStream: (_from, req, stream) => this.watch(req, stream),
    });
    ports.spawn(async () => {
      await ensureSystemNamespaces(this.registry, ports.clock);
      await ensureBootstrapObjects(this.registry, ports.clock, ranges);
    });
    const interval = options.compactionIntervalUs ?? DEFAULT_COMPACTION_INTERVAL_US;
    if (interval > 0) ports.spawn(() => this.compactor(interval));
  }

  get requestsServed(): number {
    return this.requests;
  }

  /** Serves one request and records it in the trace (verb, resource, code, latency). */
  async handle(req: ApiRequest): Promise<ApiResponse> {
    this.requests++;
    const startUs = this.ports.clock.now();
    const response = await this.serve(req);
    this.ports.trace.emit('api.request', {
      verb: req.method,
      path: req.path,
      code: response.status,
      latencyUs: this.ports.clock.now() - startUs,
      ...(req.user === undefined ? {} : { user: req.user }),
    });
    return response;
  }

  private async serve(req: ApiRequest): Promise<ApiResponse> {
    const query = req.query ?? {};
    const parsed = parseRequest(req.method, req.path, query);
    if (!parsed.ok) return statusReply(errors.notFound('', parsed.message));
    return responseInVersion(parsed.info, await this.route(parsed.info, query, req));
  }

  private async route(
    info: RequestInfo,
    query: Readonly<Record<string, string>>,
    req: ApiRequest,
  ): Promise<ApiResponse> {
    const name = info.name ?? '';
    const scope = scopeError(info);
    if (scope !== undefined) return statusReply(scope);
    if (info.subresource !== undefined) {
      const ctx = this.writeContext(req, info.verb);
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
        const ctx = this.writeContext(req, info.verb);
        if (errors.isStatus(ctx)) return statusReply(ctx);
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
          { user: req.user },
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
  private writeContext(req: ApiRequest, verb: RequestVerb): RequestContext | Status {
    const writeVerb = verb === 'create' || verb === 'update' || verb === 'patch' ? verb : undefined;
    if (writeVerb === undefined) return this.registry.context(undefined, { user: req.user });
    const patchType = isPatchContentType(req.contentType) ? req.contentType : undefined;
    const options = parseWriteOptions(req.query ?? {}, writeVerb, patchType);
    if (errors.isStatus(options)) return options;
    return this.registry.context(options, { rawBody: req.rawBody, user: req.user });
  }

  /**
   * A watch: optionally the current state as ADDED events (no resourceVersion, or "0"), then
   * every change after the start version, filtered by the selectors with upstream's
   * transitions (an object that stops matching is DELETED for this watcher, one that starts
   * matching is ADDED), bookmarks on request, and 410 Expired for a compacted version.
   */
  private watch(req: ApiRequest, stream: ServerStream<WatchFrame>): void {
    const query = req.query ?? {};
    this.ports.trace.emit('api.watch', {
      path: req.path,
      resourceVersion: query.resourceVersion ?? '',
      ...(req.user === undefined ? {} : { user: req.user }),
    });
    const close = (s?: Status): void => {
      if (s !== undefined) stream.send({ type: 'ERROR', object: s });
      stream.close();
    };
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
    this.ports.spawn(async () => {
      const stop = await this.cacheFor(info.definition).watch(rv, {
        namespace: info.resource.namespaced ? info.namespace : undefined,
        selectors,
        bookmarks: query.allowWatchBookmarks === 'true',
        send: (frame) => stream.send(frameInVersion(info.definition, frame)),
        close,
      });
      if (stop === undefined) return;
      if (stream.open) stream.onClose(stop);
      else stop();
    });
  }

  /** One cache per served resource: another version of a storage has its own over its keys. */
  private cacheFor(definition: ResourceDefinition): WatchCache {
    const resource = definition.resource.resource;
    const served = `${definition.resource.apiVersion}|${resource}`;
    let cache = this.watchCaches.get(served);
    if (cache === undefined) {
      cache = new WatchCache(
        this.storage,
        definition,
        collectionPrefix(resource, undefined),
        this.options.watchCacheCapacity,
      );
      this.watchCaches.set(served, cache);
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
