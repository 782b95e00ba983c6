/**
 * Watchers over the store's changes (etcd watchable_store.go, watcher_group.go), pull-based so
 * the host decides when events travel: `onCommit` files each new revision's changes with the
 * watchers they match, `drain()` hands over everything filed since the last drain.
 *
 * Guarantee: a watcher receives every change to its keys from its start revision on, exactly
 * once, in revision order, one response per revision. A start revision in the past is caught
 * up from the store's history when the watch is created, so there is no unsynced phase in which
 * compaction could overtake it and nothing is ever cancelled for being slow.
 *
 * Boundary: etcd accepts a start revision equal to the compaction revision, but by then it may
 * already have dropped tombstones written at that revision, so the stream can miss a delete. We
 * refuse it ('compacted') so that an accepted watch is always gap-free; clients relist, as they
 * already do for etcd's ErrCompacted.
 *
 * Fan-out: watchers are grouped by identical key or range; single-key groups sit in a Map by
 * key, and each change is tested once per distinct range (Kubernetes watches a few dozen
 * resource prefixes, each shared by many watchers). Cost per revision with e changes:
 * O(e × distinct ranges + matching watchers), one small response object per matching watcher.
 *
 * Pending responses are not bounded here: the host drains after every apply, and a backlog from
 * a past start revision is bounded by the retained history.
 */
import { assertNever } from '../util/assert.ts';
import { keySpan, spanContains, type KeySpan } from './key-range.ts';
import {
  watchId,
  type CommittedRevision,
  type ProgressNotification,
  type Revision,
  type StoreError,
  type WatchCreateResult,
  type WatchEvent,
  type WatchId,
  type WatchRequest,
  type WatchResponse,
  revision,
} from './types.ts';

/** What the hub needs from the store. */
export interface WatchSource {
  readonly revision: Revision;
  readonly compactRevision: Revision;
  /** Committed revisions from `fromRevision` (> compactRevision) on. */
  history(fromRevision: Revision): Iterable<CommittedRevision>;
}

interface Watcher {
  readonly id: WatchId;
  readonly span: KeySpan;
  readonly startRevision: Revision;
  readonly prevKv: boolean;
  readonly progressNotify: boolean;
  pending: WatchResponse[];
}

/** Watchers over the same key or range: a change is matched once for all of them. */
interface WatcherGroup {
  readonly span: KeySpan;
  readonly watchers: Set<Watcher>;
}

export class WatchHub {
  private nextId = 1;
  private readonly watchers = new Map<WatchId, Watcher>();
  /** Single-key watchers by key, range watchers by range (see groupKey). */
  private readonly byKey = new Map<string, WatcherGroup>();
  private readonly byRange = new Map<string, WatcherGroup>();
  /** Watchers with undrained responses. */
  private readonly dirty = new Set<Watcher>();

  constructor(private readonly source: WatchSource) {}

  get size(): number {
    return this.watchers.size;
  }

  watch(request: WatchRequest): WatchCreateResult {
    if (request.key === '') return this.error('empty-key');
    const requested = request.startRevision ?? 0;
    const startRevision = revision(requested > 0 ? requested : this.source.revision + 1);
    if (startRevision <= this.source.compactRevision) return this.error('compacted');
    const watcher: Watcher = {
      id: watchId(this.nextId++),
      span: keySpan(request.key, request.rangeEnd),
      startRevision,
      prevKv: request.prevKv === true,
      progressNotify: request.progressNotify === true,
      pending: [],
    };
    if (startRevision <= this.source.revision) this.catchUp(watcher);
    this.register(watcher);
    return { kind: 'created', watchId: watcher.id };
  }

  /** Stops a watcher and drops its undrained responses. False if the id is unknown. */
  cancel(id: WatchId): boolean {
    const watcher = this.watchers.get(id);
    if (watcher === undefined) return false;
    this.watchers.delete(id);
    this.dirty.delete(watcher);
    const [groups, key] = this.groupsFor(watcher.span);
    const group = groups.get(key)!;
    group.watchers.delete(watcher);
    if (group.watchers.size === 0) groups.delete(key);
    return true;
  }

  /**
   * Files one newly applied revision with every watcher it concerns. Each group's events are
   * collected once and the arrays are shared by its watchers (responses are read-only).
   */
  onCommit(committed: CommittedRevision): void {
    if (this.watchers.size === 0) return;
    const touched = new Map<WatcherGroup, WatchEvent[]>();
    const file = (group: WatcherGroup, event: WatchEvent): void => {
      const events = touched.get(group);
      if (events === undefined) touched.set(group, [event]);
      else events.push(event);
    };
    for (const event of committed.events) {
      const exact = this.byKey.get(event.kv.key);
      if (exact !== undefined) file(exact, event);
      for (const group of this.byRange.values())
        if (spanContains(group.span, event.kv.key)) file(group, event);
    }
    for (const [group, events] of touched) {
      let bare: WatchEvent[] | undefined;
      for (const watcher of group.watchers) {
        if (committed.revision < watcher.startRevision) continue;
        const shown = watcher.prevKv ? events : (bare ??= events.map(withoutPrevKv));
        this.enqueue(watcher, committed.revision, shown);
      }
    }
  }

  /** Everything filed since the last drain: by ascending watch id, then revision. */
  drain(): WatchResponse[] {
    const ready = [...this.dirty].sort((a, b) => a.id - b.id);
    this.dirty.clear();
    const responses: WatchResponse[] = [];
    for (const watcher of ready) {
      for (const response of watcher.pending) responses.push(response);
      watcher.pending = [];
    }
    return responses;
  }

  /**
   * Progress notifications at the current revision for caught-up watchers (nothing undrained):
   * the given ids (etcd RequestProgress), or else every watcher created with progressNotify
   * (the host calls this on its own period, as etcd does every 10 minutes).
   */
  progress(ids?: readonly WatchId[]): ProgressNotification[] {
    const candidates =
      ids === undefined
        ? [...this.watchers.values()].filter((w) => w.progressNotify)
        : ids.flatMap((id) => this.watchers.get(id) ?? []);
    return candidates
      .filter((w) => w.pending.length === 0)
      .map((w) => ({ watchId: w.id, revision: this.source.revision }));
  }

  private catchUp(watcher: Watcher): void {
    for (const committed of this.source.history(watcher.startRevision)) {
      const events = committed.events
        .filter((event) => spanContains(watcher.span, event.kv.key))
        .map((event) => (watcher.prevKv ? event : withoutPrevKv(event)));
      if (events.length > 0) this.enqueue(watcher, committed.revision, events);
    }
  }

  private register(watcher: Watcher): void {
    this.watchers.set(watcher.id, watcher);
    const [groups, key] = this.groupsFor(watcher.span);
    const group = groups.get(key) ?? { span: watcher.span, watchers: new Set<Watcher>() };
    group.watchers.add(watcher);
    groups.set(key, group);
  }

  /** The group map a span belongs in, and its key there. */
  private groupsFor(span: KeySpan): [Map<string, WatcherGroup>, string] {
    if (span.end === null) return [this.byKey, span.start];
    return [this.byRange, JSON.stringify([span.start, span.end])];
  }

  private enqueue(watcher: Watcher, rev: Revision, events: readonly WatchEvent[]): void {
    watcher.pending.push({ watchId: watcher.id, revision: rev, events });
    this.dirty.add(watcher);
  }

  private error(reason: 'empty-key' | 'compacted'): StoreError {
    const header = { revision: this.source.revision };
    switch (reason) {
      case 'empty-key':
        return { kind: 'error', reason, header };
      case 'compacted':
        return { kind: 'error', reason, header, compactRevision: this.source.compactRevision };
      default:
        return assertNever(reason, 'watch error');
    }
  }
}

function withoutPrevKv(event: WatchEvent): WatchEvent {
  return event.prevKv === undefined ? event : { type: event.type, kv: event.kv };
}
