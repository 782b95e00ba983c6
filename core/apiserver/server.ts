import * as errors from '../api/errors.ts';
import type { Status } from '../api/status-types.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { ServerStream } from '../ports/transport.ts';
import { DEFAULT_KV_CLIENT, KvClient } from '../store/kv-client.ts';
import { revision } from '../store/types.ts';
import type { ApiRequest, ApiResponse, WatchFrame } from '../api/http.ts';
import { API_PROTOCOL } from '../api/http-codec.ts';
import { collectionPrefix } from './keys.ts';
import { parseSelectors, Registry, type DeleteOptions } from './registry.ts';
import { WatchCache } from './watch-cache.ts';
import type { ResourceInfo } from '../api/resources.ts';
import { parseRequest, type RequestInfo } from './request-info.ts';
import { ObjectStorage, parseResourceVersion } from './storage.ts';

export interface ApiServerOptions {
  /** Store members, tried in order; the client follows leader hints. */
  readonly storeMembers: readonly string[];
  /** --etcd-compaction-interval (default 5 min); 0 disables compaction. */
  readonly compactionIntervalUs?: number;
  /** Changes per resource kept for resuming watches (DEFAULT_WATCH_CACHE_CAPACITY). */
  readonly watchCacheCapacity?: number;
}

export const DEFAULT_COMPACTION_INTERVAL_US = 300_000_000;

/** Namespaces every cluster has (upstream's system namespaces controller creates them). */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

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
    this.registry = new Registry(this.storage, ports.clock, ports.random);
    ports.transport.listen(API_PROTOCOL, {
      onRequest: (_from, req) => this.handle(req),
      onStream: (_from, req, stream) => this.watch(req, stream),
    });
    ports.spawn(() => this.ensureSystemNamespaces());
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
    const info = parsed.info;
    const name = info.name ?? '';
    if (!info.resource.verbs.includes(info.verb === 'watch' ? 'watch' : info.verb)) {
      return statusReply(errors.methodNotSupported(info.resource.resource, info.verb));
    }
    if (info.subresource !== undefined && !this.servesSubresource(info)) {
      return statusReply(
        errors.notFound(
          '',
          `the server could not find the requested resource (${req.method} ${req.path})`,
        ),
      );
    }
    switch (info.verb) {
      case 'get':
        return this.registry.get(info, name);
      case 'list': {
        const sel = parseSelectors(info, query);
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
      case 'create':
        if (info.subresource === 'binding') return this.registry.bind(info, name, req.body);
        if (info.subresource === 'eviction') return this.registry.evict(info, name, req.body);
        return this.registry.create(info, req.body);
      case 'update':
        return this.registry.update(info, name, req.body, info.subresource === 'status');
      case 'patch':
        return this.registry.patch(info, name, req.body);
      case 'delete':
        return this.registry.delete(info, name, deleteOptions(req));
      case 'watch':
        return statusReply(errors.badRequest('watch requests must be made as streams'));
      case 'deletecollection':
        return statusReply(errors.methodNotSupported(info.resource.resource, 'deletecollection'));
    }
  }

  /** Subresources this server implements (the discovery table lists some it does not yet). */
  private servesSubresource(info: RequestInfo): boolean {
    const isPod = info.resource.kind === 'Pod';
    switch (info.subresource) {
      case 'binding':
      case 'eviction':
        return isPod && info.verb === 'create';
      case 'status':
        return (
          info.resource.subresources.includes('status') &&
          (info.verb === 'get' || info.verb === 'update' || info.verb === 'patch')
        );
      default:
        return false;
    }
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
    const selectors = parseSelectors(info, query);
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
      const stop = await this.cacheFor(info.resource).watch(rv, {
        namespace: info.resource.namespaced ? info.namespace : undefined,
        selectors,
        bookmarks: query.allowWatchBookmarks === 'true',
        send: (frame) => stream.send(frame),
        close,
      });
      if (stop === undefined) return;
      if (stream.open) stream.onClose(stop);
      else stop();
    });
  }

  private cacheFor(resource: ResourceInfo): WatchCache {
    let cache = this.watchCaches.get(resource.resource);
    if (cache === undefined) {
      cache = new WatchCache(
        this.storage,
        resource,
        collectionPrefix(resource.resource, undefined),
        this.options.watchCacheCapacity,
      );
      this.watchCaches.set(resource.resource, cache);
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

  private async ensureSystemNamespaces(): Promise<void> {
    const parsed = parseRequest('POST', '/api/v1/namespaces', {});
    if (!parsed.ok) throw new Error(parsed.message);
    for (const name of SYSTEM_NAMESPACES) {
      while (true) {
        const r = await this.registry.create(parsed.info, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name },
        });
        if (r.status === 201 || r.status === 409) break;
        await this.ports.clock.sleep(1_000_000);
      }
    }
  }
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
