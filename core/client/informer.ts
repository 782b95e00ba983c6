import type { WatchFrame } from '../api/http.ts';
import { keyOf } from '../api/meta.ts';
import type { Status } from '../api/status-types.ts';
import type { Kind, KindOf } from '../api/types.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { ClientStream } from '../ports/transport.ts';
import { deepFreeze } from '../util/freeze.ts';
import { resourceOf, type ApiClient, type ListOptions } from './api-client.ts';
import type { ResourceInfo } from '../api/resources.ts';

export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** `obj` is the last state this informer knew. */
  onDelete?(obj: T): void;
}

export interface InformerOptions extends ListOptions {
  readonly namespace?: string;
  /**
   * The resource to list and watch when it is not the kind's built-in one (a custom resource
   * found through discovery).
   */
  readonly resource?: ResourceInfo;
  /** Periodic onUpdate(obj, obj) for every cached object; 0 disables (client-go resyncPeriod). */
  readonly resyncUs?: number;
}

/** client-go reflector's backoff: 800 ms doubling to 30 s, reset after a healthy watch. */
const BACKOFF_INITIAL_US = 800_000;
const BACKOFF_MAX_US = 30_000_000;
/** client-go picks each watch's server timeout at random in [5 min, 10 min). */
const MIN_WATCH_TIMEOUT_SECONDS = 300;

export type IndexFunc<T> = (obj: T) => readonly string[];

/**
 * A shared informer (client-go reflector + indexer + handlers): lists, then watches from the
 * list's resourceVersion; on a broken stream it re-watches from the last version it saw, and on
 * 410 Expired it relists and reconciles its cache, reporting what changed meanwhile. Handlers
 * run in event order; they must treat objects as read-only (the cache shares them): in check
 * mode (ProcessPorts.checkImmutability) cached objects are frozen, so a mutation throws.
 */
export class Informer<K extends Kind> {
  private readonly cache = new Map<string, KindOf<K>>();
  private readonly handlers: EventHandlers<KindOf<K>>[] = [];
  /** Each index maps a value to its objects by key, in the order they were last stored. */
  private readonly indexers = new Map<
    string,
    { fn: IndexFunc<KindOf<K>>; index: Map<string, Map<string, KindOf<K>>> }
  >();
  private lastRv = '';
  private synced = false;
  private backoffUs = BACKOFF_INITIAL_US;
  private stream: ClientStream | undefined;
  private stopped = false;
  private readonly freeze: boolean;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly client: ApiClient,
    readonly kind: K,
    private readonly options: InformerOptions = {},
  ) {
    this.freeze = ports.checkImmutability;
  }

  addEventHandler(handlers: EventHandlers<KindOf<K>>): void {
    this.handlers.push(handlers);
  }

  addIndexer(name: string, fn: IndexFunc<KindOf<K>>): void {
    const index = new Map<string, Map<string, KindOf<K>>>();
    for (const [key, obj] of this.cache) for (const v of fn(obj)) addToIndex(index, v, key, obj);
    this.indexers.set(name, { fn, index });
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get resourceVersion(): string {
    return this.lastRv;
  }

  get(key: string): KindOf<K> | undefined {
    return this.cache.get(key);
  }

  list(): KindOf<K>[] {
    return [...this.cache.values()];
  }

  byIndex(name: string, value: string): KindOf<K>[] {
    const out: KindOf<K>[] = [];
    this.forEachInIndex(name, value, (obj) => out.push(obj));
    return out;
  }

  /** byIndex without the array: for callers that filter or count as they go. */
  forEachInIndex(name: string, value: string, visit: (obj: KindOf<K>) => void): void {
    const idx = this.indexers.get(name);
    if (idx === undefined) throw new Error(`no index ${name} on the ${this.kind} informer`);
    // The index holds the objects themselves: a controller reading 10,000 pods per sync pays
    // no cache lookup per pod.
    const objs = idx.index.get(value);
    if (objs === undefined) return;
    for (const obj of objs.values()) visit(obj);
  }

  start(): void {
    this.ports.spawn(() => this.listAndWatch());
    const resync = this.options.resyncUs ?? 0;
    if (resync > 0) {
      const tick = (): void => {
        if (this.stopped) return;
        for (const obj of this.cache.values())
          for (const h of this.handlers) h.onUpdate?.(obj, obj);
        this.ports.clock.setTimer(resync, tick);
      };
      this.ports.clock.setTimer(resync, tick);
    }
  }

  stop(): void {
    this.stopped = true;
    this.stream?.close();
  }

  private async listAndWatch(): Promise<void> {
    while (!this.stopped) {
      const resource = this.options.resource ?? resourceOf(this.kind);
      const r = await this.client.listAt<KindOf<K>>(resource, this.options.namespace, this.options);
      if (r.ok) {
        this.replace(r.value.items as KindOf<K>[], r.value.metadata.resourceVersion ?? '');
        this.watch();
        return;
      }
      await this.ports.clock.sleep(this.nextBackoff());
    }
  }

  private watch(): void {
    if (this.stopped) return;
    let expired = false;
    const timeoutSeconds =
      MIN_WATCH_TIMEOUT_SECONDS + this.ports.random.int(MIN_WATCH_TIMEOUT_SECONDS);
    this.stream = this.client.watchAt(
      this.options.resource ?? resourceOf(this.kind),
      this.options.namespace,
      { ...this.options, resourceVersion: this.lastRv, allowWatchBookmarks: true, timeoutSeconds },
      {
        onFrame: (frame) => {
          if (frame.type === 'ERROR') {
            expired = (frame.object as Status).code === 410;
            return;
          }
          this.backoffUs = BACKOFF_INITIAL_US;
          this.apply(frame);
        },
        onClose: () => {
          if (this.stopped) return;
          if (expired) {
            this.ports.spawn(() => this.listAndWatch());
            return;
          }
          this.ports.clock.setTimer(this.nextBackoff(), () => this.watch());
        },
      },
    );
  }

  private nextBackoff(): number {
    const us = this.backoffUs;
    this.backoffUs = Math.min(this.backoffUs * 2, BACKOFF_MAX_US);
    return us + this.ports.random.int(Math.max(1, Math.floor(us / 2)));
  }

  private apply(frame: WatchFrame): void {
    const obj = frame.object as KindOf<K>;
    const rv = obj.metadata?.resourceVersion;
    if (rv !== undefined) this.lastRv = rv;
    // ERROR frames never get here (watch() handles them).
    if (frame.type === 'BOOKMARK' || frame.type === 'ERROR') return;
    this.traceDelivery(frame.type, rv);
    const key = keyOf(obj);
    if (frame.type === 'DELETED') {
      const known = this.cache.get(key) ?? obj;
      this.remove(key);
      for (const h of this.handlers) h.onDelete?.(known);
      return;
    }
    const old = this.cache.get(key);
    this.put(key, obj);
    for (const h of this.handlers) {
      if (old === undefined) h.onAdd?.(obj);
      else h.onUpdate?.(old, obj);
    }
  }

  /** A delivery of a revision the host samples, for the watch latency SLI (watch.delivered). */
  private traceDelivery(type: 'ADDED' | 'MODIFIED' | 'DELETED', rv: string | undefined): void {
    const every = this.ports.trace.watchSampleEvery ?? 0;
    if (every <= 0 || rv === undefined) return;
    const revision = Number(rv);
    if (!Number.isSafeInteger(revision) || revision % every !== 0) return;
    const resource = (this.options.resource ?? resourceOf(this.kind)).resource;
    this.ports.trace.emit('watch.delivered', { resource, revision, type });
  }

  /** Reconciles the cache with a fresh list: what vanished is deleted, the rest added or updated. */
  private replace(items: readonly KindOf<K>[], rv: string): void {
    const seen = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.cache.get(key);
      this.put(key, obj);
      for (const h of this.handlers) {
        if (old === undefined) h.onAdd?.(obj);
        else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
          h.onUpdate?.(old, obj);
      }
    }
    for (const [key, obj] of [...this.cache]) {
      if (seen.has(key)) continue;
      this.remove(key);
      for (const h of this.handlers) h.onDelete?.(obj);
    }
    this.lastRv = rv;
    this.synced = true;
  }

  private put(key: string, obj: KindOf<K>): void {
    if (this.freeze) deepFreeze(obj);
    const old = this.cache.get(key);
    this.cache.set(key, obj);
    for (const { fn, index } of this.indexers.values()) {
      if (old !== undefined) for (const v of fn(old)) index.get(v)?.delete(key);
      for (const v of fn(obj)) addToIndex(index, v, key, obj);
    }
  }

  private remove(key: string): void {
    const old = this.cache.get(key);
    if (old === undefined) return;
    this.cache.delete(key);
    for (const { fn, index } of this.indexers.values())
      for (const v of fn(old)) index.get(v)?.delete(key);
  }
}

function addToIndex<T>(
  index: Map<string, Map<string, T>>,
  value: string,
  key: string,
  obj: T,
): void {
  let objs = index.get(value);
  if (objs === undefined) {
    objs = new Map();
    index.set(value, objs);
  }
  objs.set(key, obj);
}
