import * as errors from '../api/errors.ts';
import type { FieldSet } from '../api/field-selectors.ts';
import type { ResourceDefinition } from '../api/kinds/index.ts';
import { keyOf, objectKey } from '../api/meta.ts';
import type { Status } from '../api/status-types.ts';
import type { KObject } from '../api/types.ts';
import type { WatchFrame } from '../api/http.ts';
import type { Clock, Micros, TimerId } from '../ports/clock.ts';
import type { Selectors } from './registry/selectors.ts';
import type { ObjectStorage, StorageEvent, StorageFailure } from './storage.ts';

/** Events kept for resuming watches (upstream's default watch cache capacity is 100; we keep more). */
export const DEFAULT_WATCH_CACHE_CAPACITY = 1_000;

/**
 * How often a watcher that allows bookmarks gets one (upstream's cacher: defaultBookmarkFrequency,
 * one minute), besides the one 2 s before its deadline.
 */
export const BOOKMARK_FREQUENCY_US: Micros = 60_000_000;
/** Upstream's cacher sends a watcher's last bookmark this long before the watch's deadline. */
const BOOKMARK_BEFORE_DEADLINE_US: Micros = 2_000_000;
/** Bookmarks due within the same second go out together (upstream's one-second time buckets). */
const BOOKMARK_BUCKET_US: Micros = 1_000_000;

/** One change, decoded once and shared by every watcher. */
interface CachedEvent {
  readonly rv: number;
  readonly type: 'put' | 'delete';
  readonly created: boolean;
  readonly object: KObject;
  readonly previous: KObject | undefined;
  readonly fields: FieldSet;
  readonly previousFields: FieldSet | undefined;
}

/**
 * Shared by the watch caches of one API server: the version its first cache began at, which
 * stands for the server's start (the caches its admission informers read start with it).
 */
export interface ServerStart {
  rv?: number;
}

export interface CacheWatcher {
  readonly namespace: string | undefined;
  readonly selectors: Selectors;
  readonly bookmarks: boolean;
  /** When the watch ends (its timeoutSeconds), on the API server's clock; none if unbounded. */
  readonly deadlineUs?: Micros;
  send(frame: WatchFrame): void;
  /** Ends the watch; with a Status, that is sent as an ERROR frame first. */
  close(status?: Status): void;
}

type Registered = CacheWatcher & {
  readonly indexValue: string | undefined;
  /** The bookmark bucket this watcher waits in, if it is due one. */
  bookmarkBucket?: number;
  /** The version the watch started from (0: the current state). */
  readonly afterRv: number;
  /**
   * The newest change the watcher has been brought to: changes at or below it are not sent
   * (upstream's cacheWatcher skips them). A cache still catching up with the store may
   * dispatch changes older than the version a client resumes from, which its list already
   * held; a cache that reached back (`reachBack`) dispatches again what its watchers had.
   */
  seenRv: number;
};

interface Current {
  readonly object: KObject;
  fields: FieldSet | undefined;
}

function matchesWith(
  obj: KObject,
  fields: FieldSet,
  sel: Selectors,
  namespace: string | undefined,
): boolean {
  if (namespace !== undefined && obj.metadata?.namespace !== namespace) return false;
  if (sel.labels !== undefined && !sel.labels.matches(obj.metadata?.labels)) return false;
  if (sel.fields !== undefined && !sel.fields.matches(fields)) return false;
  return true;
}

/**
 * The API server's watch cache for one resource (upstream storage/cacher): a single store watch
 * feeds every client watch, so each change is decoded once; a window of recent changes lets
 * clients resume from a resourceVersion (one older than the window gets 410 Expired, as
 * upstream's cacher answers); and watchers that select `<field>=<value>` on the kind's indexed
 * field (pods: spec.nodeName) are indexed by value, so a pod change reaches only its node's
 * watchers plus the unindexed ones (upstream's
 * pod trigger index). If the store watch breaks, every client watch ends and clients resume.
 */
export class WatchCache {
  private state: 'idle' | 'starting' | 'ready' = 'idle';
  /** The current object of each key, with its field set once something needed it. */
  private readonly objects = new Map<string, Current>();
  private readonly window: CachedEvent[] = [];
  private windowHead = 0;
  /** The oldest resourceVersion a watch may resume from. */
  private windowStartRv = 0;
  /**
   * The window dropped a change since the cache's list (upstream's removedEventSinceRelist):
   * its start is its capacity's limit, no longer the moment the cache started.
   */
  private trimmed = false;
  /** The store has compacted at least this far: no list reaches back before it. */
  private compactedRv = 0;
  /** The list at an older version a reach back waits for, if one is under way. */
  private reaching: Promise<boolean> | undefined;
  /** Counts store watches begun, so a replaced or broken one's late callbacks do nothing. */
  private generation = 0;
  /**
   * After reaching back, the version the cache had reached before: until it is there again,
   * its objects are older than what it already showed, and reads go to the store.
   */
  private replayingToRv = 0;
  private rv = 0;
  private readonly watchers = new Set<Registered>();
  private readonly byValue = new Map<string, Set<Registered>>();
  private readonly unindexed = new Set<Registered>();
  private waiting: Array<() => void> = [];
  private storeWatch: { cancel(): void } | undefined;
  /** Watchers due a bookmark, by the second it is due in. */
  private readonly bookmarkBuckets = new Map<number, Set<Registered>>();
  private bookmarkTimer: { readonly id: TimerId; readonly bucket: number } | undefined;

  constructor(
    private readonly storage: ObjectStorage,
    readonly definition: ResourceDefinition,
    private readonly prefix: string,
    private readonly clock: Clock,
    private readonly capacity = DEFAULT_WATCH_CACHE_CAPACITY,
    private readonly serverStart: ServerStart = {},
  ) {}

  get resourceVersion(): number {
    return this.rv;
  }

  /**
   * The object as of the cache's resourceVersion, while the cache runs: never newer than the
   * store, perhaps older (the event of a write may still be on its way). Null when the running
   * cache holds no such object; undefined when the cache does not run (only the store knows).
   */
  current(namespace: string | undefined, name: string): KObject | null | undefined {
    if (this.state !== 'ready' || this.rv < this.replayingToRv) return undefined;
    return this.objects.get(objectKey(namespace, name))?.object ?? null;
  }

  /** What the cache keeps, as counts (tests check a long steady run keeps them bounded). */
  get retained(): { objects: number; events: number; watchers: number; bookmarkBuckets: number } {
    return {
      objects: this.objects.size,
      events: this.window.length - this.windowHead,
      watchers: this.watchers.size,
      bookmarkBuckets: this.bookmarkBuckets.size,
    };
  }

  /** How many client watches are registered. */
  get watching(): number {
    return this.watchers.size;
  }

  /**
   * Starts a client watch: from `fromRv` (replaying the window), or with the current state as
   * ADDED events when `fromRv` is undefined or 0. Resolves once the watcher is registered.
   */
  async watch(
    fromRv: number | undefined,
    watcher: CacheWatcher,
  ): Promise<(() => void) | undefined> {
    const resuming = fromRv !== undefined && fromRv !== 0;
    if (!(await this.ready(fromRv)) || (resuming && !(await this.reachBack(fromRv)))) {
      watcher.close(errors.serverTimeout(this.definition.resource.resource, 'watch', 1));
      return undefined;
    }
    if (resuming && fromRv < this.windowStartRv) {
      watcher.close(errors.expired(`too old resource version: ${fromRv} (${this.windowStartRv})`));
      return undefined;
    }
    if (fromRv === undefined || fromRv === 0) {
      for (const cur of this.objects.values()) {
        if (matchesWith(cur.object, this.fieldsOf(cur), watcher.selectors, watcher.namespace))
          watcher.send({ type: 'ADDED', object: cur.object });
      }
    } else {
      for (let i = this.windowHead; i < this.window.length; i++) {
        const ev = this.window[i] as CachedEvent;
        if (ev.rv <= fromRv) continue;
        const frame = this.frameFor(ev, watcher);
        if (frame !== undefined) watcher.send(frame);
      }
    }
    const registered: Registered = {
      ...watcher,
      indexValue: indexedValue(this.definition.indexedField, watcher.selectors),
      afterRv: fromRv ?? 0,
      seenRv: Math.max(fromRv ?? 0, this.rv),
    };
    this.register(registered);
    return () => this.unregister(registered);
  }

  private async ready(fromRv: number | undefined): Promise<boolean> {
    if (this.isReady()) return true;
    if (this.state === 'idle') void this.start(fromRv);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.isReady();
  }

  private isReady(): boolean {
    return this.state === 'ready';
  }

  /**
   * Lists and watches the store. A cache starts with its first watch (upstream's starts with
   * the server, which costs every unwatched kind its events); that watch's version is where the
   * cache begins, read as a snapshot at that version, so a client that listed and then watches
   * sees every change in between. A version the store no longer has starts from the newest
   * (and that watch gets its 410).
   */
  private async start(fromRv: number | undefined): Promise<void> {
    this.state = 'starting';
    const at = fromRv === undefined || fromRv === 0 ? undefined : fromRv;
    let list =
      at === undefined ? undefined : await this.storage.list<KObject>(this.prefix, { atRv: at });
    let listRv = at;
    if (list !== undefined && !list.ok) this.noteCompaction(list.failure);
    if (list === undefined || !list.ok) {
      list = await this.storage.list<KObject>(this.prefix);
      listRv = undefined;
    }
    if (!list.ok) {
      this.state = 'idle';
      this.wake();
      return;
    }
    const rv = listRv ?? Number(list.value.resourceVersion);
    this.serverStart.rv ??= rv;
    this.begin(list.value.items, rv);
    this.wake();
  }

  /**
   * Makes the cache the store's state at `rv`, watched from there; a store watch already
   * running is replaced. Watchers stay registered: what the new store watch sends again up to
   * each one's `seenRv` is skipped.
   */
  private begin(items: readonly KObject[], rv: number): void {
    this.storeWatch?.cancel();
    const generation = ++this.generation;
    this.replayingToRv = this.state === 'ready' ? this.rv : 0;
    this.objects.clear();
    for (const obj of items) this.objects.set(keyOf(obj), { object: obj, fields: undefined });
    this.rv = rv;
    this.windowStartRv = rv;
    this.trimmed = false;
    this.window.length = 0;
    this.windowHead = 0;
    this.storeWatch = this.storage.watch<KObject>(this.prefix, rv, {
      onEvent: (ev) => {
        if (generation === this.generation) this.onEvent(ev);
      },
      onClose: () => {
        if (generation === this.generation) this.reset();
      },
    });
    this.state = 'ready';
  }

  /**
   * Makes the window reach back to `rv` when a watch resumes from before the cache started:
   * a client that listed (from the store) before another client's watch started the cache
   * holds a version the cache never had, where upstream's cache, started with the server,
   * would hold it (watch_cache.go's getAllEventsSinceLocked takes any version from its list's
   * on until it drops an event). The cache begins again from a list at `rv`, as `start` does,
   * so every watch from `rv` on gets its changes. A window that dropped changes for its
   * capacity, a version the store compacted, and one from before the server's first cache
   * began (upstream's caches list when the server starts: older is 410 there too) reach back
   * no further: that watch gets 410. False when the cache stopped meanwhile.
   */
  private async reachBack(rv: number): Promise<boolean> {
    while (
      this.isReady() &&
      rv < this.windowStartRv &&
      !this.trimmed &&
      rv >= this.compactedRv &&
      rv >= (this.serverStart.rv ?? 0)
    ) {
      // Watches arriving together share one list; a watch from further back lists again after.
      const reaching = (this.reaching ??= this.listAt(rv).finally(() => {
        this.reaching = undefined;
      }));
      if (!(await reaching)) break;
    }
    return this.isReady();
  }

  /** Lists at `rv` and, if the cache still runs and reaches no further back, begins there. */
  private async listAt(rv: number): Promise<boolean> {
    const list = await this.storage.list<KObject>(this.prefix, { atRv: rv });
    if (!list.ok) {
      this.noteCompaction(list.failure);
      return false;
    }
    if (this.isReady() && rv < this.windowStartRv) this.begin(list.value.items, rv);
    return true;
  }

  private noteCompaction(failure: StorageFailure): void {
    if (failure.kind === 'compacted')
      this.compactedRv = Math.max(this.compactedRv, failure.compactedRv);
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  /**
   * The resource is no longer served (its CustomResourceDefinition went away or changed): the
   * store watch ends and so does every client watch.
   */
  stop(): void {
    this.storeWatch?.cancel();
    this.storeWatch = undefined;
    this.reset();
  }

  /** The store watch broke: end every client watch (they resume) and start afresh on demand. */
  private reset(): void {
    this.state = 'idle';
    this.generation++;
    for (const w of [...this.watchers]) w.close();
    this.watchers.clear();
    this.byValue.clear();
    this.unindexed.clear();
    this.bookmarkBuckets.clear();
    if (this.bookmarkTimer !== undefined) this.clock.cancelTimer(this.bookmarkTimer.id);
    this.bookmarkTimer = undefined;
  }

  private onEvent(ev: StorageEvent<KObject>): void {
    // A progress notification only moves the cache's version: watchers get it in their next
    // bookmark, on their own schedule (scheduleBookmark), as upstream's cacher does.
    if (ev.type === 'progress') {
      this.rv = Math.max(this.rv, Number(ev.resourceVersion));
      return;
    }
    const rv = Number(ev.object.metadata?.resourceVersion);
    const key = keyOf(ev.object);
    const fields = this.definition.fields(ev.object);
    const cached: CachedEvent = {
      rv,
      type: ev.type,
      created: ev.type === 'put' && ev.created,
      object: ev.object,
      previous: ev.previous,
      fields,
      previousFields: this.previousFields(key, ev.previous),
    };
    this.rv = rv;
    if (ev.type === 'delete') this.objects.delete(key);
    else this.objects.set(key, { object: ev.object, fields });
    this.remember(cached);
    this.dispatch(cached);
  }

  private fieldsOf(cur: Current): FieldSet {
    cur.fields ??= this.definition.fields(cur.object);
    return cur.fields;
  }

  /**
   * The fields of an event's `previous`: objects are immutable and shared (storage.ts), so when
   * it is the key's current object (as it is unless the cache restarted in between), its
   * fields were computed for the event before.
   */
  private previousFields(key: string, previous: KObject | undefined): FieldSet | undefined {
    if (previous === undefined) return undefined;
    const cur = this.objects.get(key);
    return cur !== undefined && cur.object === previous
      ? this.fieldsOf(cur)
      : this.definition.fields(previous);
  }

  private remember(ev: CachedEvent): void {
    this.window.push(ev);
    if (this.window.length - this.windowHead > this.capacity) {
      const dropped = this.window[this.windowHead++] as CachedEvent;
      this.windowStartRv = dropped.rv;
      this.trimmed = true;
      if (this.windowHead > this.capacity) {
        this.window.splice(0, this.windowHead);
        this.windowHead = 0;
      }
    }
  }

  private dispatch(ev: CachedEvent): void {
    const send = (w: Registered): void => {
      if (ev.rv <= w.seenRv) return;
      w.seenRv = ev.rv;
      const frame = this.frameFor(ev, w);
      if (frame !== undefined) w.send(frame);
    };
    for (const w of this.unindexed) send(w);
    const field = this.definition.indexedField;
    if (this.byValue.size === 0 || field === undefined) return;
    const value = ev.fields[field];
    const before = ev.previousFields?.[field];
    if (value) this.byValue.get(value)?.forEach(send);
    if (before && before !== value) this.byValue.get(before)?.forEach(send);
  }

  /** Upstream's watch filtering: leaving the selection is DELETED, entering it is ADDED. */
  private frameFor(ev: CachedEvent, w: CacheWatcher): WatchFrame | undefined {
    const now = matchesWith(ev.object, ev.fields, w.selectors, w.namespace);
    const before =
      !ev.created &&
      ev.previous !== undefined &&
      matchesWith(ev.previous, ev.previousFields as FieldSet, w.selectors, w.namespace);
    if (ev.type === 'delete') return before ? { type: 'DELETED', object: ev.object } : undefined;
    if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: ev.object };
    return before ? { type: 'DELETED', object: ev.object } : undefined;
  }

  /**
   * Upstream's cacheWatcher.nextBookmarkTime: roughly every minute, and once 2 s before the
   * watch's deadline; none once that moment has passed.
   */
  private scheduleBookmark(w: Registered): void {
    if (!w.bookmarks) return;
    const now = this.clock.now();
    let at = now + BOOKMARK_FREQUENCY_US;
    if (w.deadlineUs !== undefined) at = Math.min(at, w.deadlineUs - BOOKMARK_BEFORE_DEADLINE_US);
    // At or past that moment (the bookmark before the deadline just went): none until it ends.
    if (at <= now) return;
    const bucket = Math.ceil(at / BOOKMARK_BUCKET_US);
    let due = this.bookmarkBuckets.get(bucket);
    if (due === undefined) {
      due = new Set();
      this.bookmarkBuckets.set(bucket, due);
    }
    due.add(w);
    w.bookmarkBucket = bucket;
    if (this.bookmarkTimer === undefined || bucket < this.bookmarkTimer.bucket) this.armBookmarks();
  }

  /** One timer, at the earliest bucket with watchers in it. */
  private armBookmarks(): void {
    if (this.bookmarkTimer !== undefined) this.clock.cancelTimer(this.bookmarkTimer.id);
    this.bookmarkTimer = undefined;
    let first: number | undefined;
    for (const bucket of this.bookmarkBuckets.keys()) {
      if (first === undefined || bucket < first) first = bucket;
    }
    if (first === undefined) return;
    const delay = Math.max(0, first * BOOKMARK_BUCKET_US - this.clock.now());
    this.bookmarkTimer = {
      id: this.clock.setTimer(delay, () => this.sendBookmarks()),
      bucket: first,
    };
  }

  /** Bookmarks at the cache's version to every watcher whose bucket is due, then the next ones. */
  private sendBookmarks(): void {
    this.bookmarkTimer = undefined;
    const now = this.clock.now();
    const due: Registered[] = [];
    for (const [bucket, watchers] of this.bookmarkBuckets) {
      if (bucket * BOOKMARK_BUCKET_US > now) continue;
      this.bookmarkBuckets.delete(bucket);
      for (const w of watchers) due.push(w);
    }
    const bookmark: WatchFrame = {
      type: 'BOOKMARK',
      object: {
        apiVersion: this.definition.resource.apiVersion,
        kind: this.definition.resource.kind,
        metadata: { resourceVersion: String(this.rv) },
      },
    };
    for (const w of due) {
      w.bookmarkBucket = undefined;
      // A watcher that resumed ahead of a cache still catching up, or whose cache reached
      // back and replays what it had, gets no version behind it.
      if (this.rv > w.afterRv && this.rv >= w.seenRv) w.send(bookmark);
      if (this.watchers.has(w)) this.scheduleBookmark(w);
    }
    if (this.bookmarkTimer === undefined) this.armBookmarks();
  }

  private register(w: Registered): void {
    this.scheduleBookmark(w);
    this.watchers.add(w);
    if (w.indexValue === undefined) {
      this.unindexed.add(w);
      return;
    }
    let set = this.byValue.get(w.indexValue);
    if (set === undefined) {
      set = new Set();
      this.byValue.set(w.indexValue, set);
    }
    set.add(w);
  }

  private unregister(w: Registered): void {
    if (w.bookmarkBucket !== undefined) {
      const due = this.bookmarkBuckets.get(w.bookmarkBucket);
      due?.delete(w);
      if (due?.size === 0) this.bookmarkBuckets.delete(w.bookmarkBucket);
      w.bookmarkBucket = undefined;
    }
    this.watchers.delete(w);
    this.unindexed.delete(w);
    if (w.indexValue !== undefined) {
      const set = this.byValue.get(w.indexValue);
      set?.delete(w);
      if (set?.size === 0) this.byValue.delete(w.indexValue);
    }
  }
}

/** The value a field selector pins the indexed field to with `<field>=<value>` (non-empty), if any. */
function indexedValue(field: string | undefined, sel: Selectors): string | undefined {
  if (field === undefined) return undefined;
  for (const r of sel.fields?.requirements ?? []) {
    if (r.field === field && r.operator === '=' && r.value !== '') return r.value;
  }
  return undefined;
}
