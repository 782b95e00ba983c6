/**
 * `watch-gap-free`: every API watch stream, as its client receives it, carries the committed
 * changes of what it watches (resource, namespace, label and field selectors) after its start
 * resourceVersion, in revision order, each once, with no change left out before a later one
 * (or before a bookmark's version), until the stream ends: a 410 or any close ends it, and the
 * client's next stream is checked on its own from where that one resumes.
 *
 * The truth is the committed store history (committed-objects.ts), change by change with its
 * revision, so a change a watch cache dropped, reordered or invented is seen at the first frame
 * after it. Watches that start without a resourceVersion (the current state as ADDED events
 * first, in no revision order) are not checked; informers always resume from a version.
 * Resources the committed objects do not decode (Events, Leases) are not checked either.
 *
 * Matching an object against a watch's selectors reuses the API server's own selector code:
 * this checks the watch machinery (caches, streams, resumption), not the selector parser.
 */
import type { ResourceDefinition } from '../../core/api/kinds/definition.ts';
import type { WatchFrame } from '../../core/api/http.ts';
import type { KObject } from '../../core/api/types.ts';
import { collectionPrefix } from '../../core/apiserver/keys.ts';
import { storageResourceOf } from '../../core/apiserver/registry/context.ts';
import {
  matches,
  parseSelectors,
  type Selectors,
} from '../../core/apiserver/registry/selectors.ts';
import { parseRequest } from '../../core/apiserver/request-info.ts';
import type { CommittedObject, ObjectChange } from './committed-objects.ts';

interface Change {
  readonly revision: number;
  readonly key: string;
  readonly before: CommittedObject | undefined;
  readonly after: CommittedObject | undefined;
}

interface WatchedStream {
  readonly client: string;
  readonly path: string;
  readonly resource: string;
  readonly prefix: string;
  readonly namespace: string | undefined;
  readonly definition: ResourceDefinition;
  readonly selectors: Selectors;
  /** The last revision the client was given (an event's, or a bookmark's). */
  lastRv: number;
  ended: boolean;
}

interface WatchRequest {
  readonly method?: string;
  readonly path?: string;
  readonly query?: Readonly<Record<string, string>>;
}

/** Resources whose changes CommittedObjects does not decode: nothing to compare against. */
const UNCHECKED = new Set(['events', 'leases']);

export class WatchStreamChecker {
  /** Committed changes by storage resource, in revision order. */
  private readonly changes = new Map<string, Change[]>();
  private readonly streams = new Map<number, WatchedStream>();

  constructor(private readonly flag: (message: string) => void) {}

  committed(c: ObjectChange): void {
    let list = this.changes.get(c.resource);
    if (list === undefined) this.changes.set(c.resource, (list = []));
    list.push({ revision: c.revision, key: c.key, before: c.before, after: c.after });
  }

  opened(id: number, client: string, request: unknown): void {
    const req = request as WatchRequest;
    const query = req.query ?? {};
    const rv = Number(query.resourceVersion ?? '0');
    if (req.method !== 'GET' || req.path === undefined || !(rv > 0)) return;
    const parsed = parseRequest('GET', req.path, { ...query, watch: 'true' });
    if (!parsed.ok || parsed.info.subresource !== undefined) return;
    const definition = parsed.info.definition;
    const resource = storageResourceOf(definition);
    if (UNCHECKED.has(resource)) return;
    const selectors = parseSelectors(definition, query);
    if ('code' in selectors) return;
    const namespace = parsed.info.resource.namespaced ? parsed.info.namespace : undefined;
    this.streams.set(id, {
      client,
      path: req.path,
      resource,
      prefix: collectionPrefix(resource, namespace),
      namespace,
      definition,
      selectors,
      lastRv: rv,
      ended: false,
    });
  }

  delivered(id: number, message: unknown): void {
    const s = this.streams.get(id);
    if (s === undefined || s.ended) return;
    const frame = message as WatchFrame & { readonly object: KObject };
    if (frame.type === 'ERROR') {
      s.ended = true;
      this.streams.delete(id);
      return;
    }
    const rv = Number(frame.object.metadata?.resourceVersion);
    if (!Number.isSafeInteger(rv)) return;
    if (frame.type === 'BOOKMARK') {
      if (rv < s.lastRv) this.fail(s, `a bookmark at ${rv} after revision ${s.lastRv}`);
      else this.gaps(s, rv, true);
      s.lastRv = Math.max(s.lastRv, rv);
      return;
    }
    const meta = frame.object.metadata;
    const ns =
      s.namespace === undefined && meta?.namespace !== undefined ? `${meta.namespace}/` : '';
    const key = `${s.prefix}${ns}${meta?.name ?? ''}`;
    const what = `${frame.type} ${key} at ${rv}`;
    if (rv <= s.lastRv) {
      this.fail(s, `${what} after revision ${s.lastRv} (out of order or delivered twice)`);
      return;
    }
    if (!this.committedAt(s.resource, rv, key)) {
      this.fail(s, `${what}: no such change was committed`);
      return;
    }
    this.gaps(s, rv, false);
    s.lastRv = rv;
  }

  /** Matching changes in (lastRv, rv) (or up to rv inclusive for a bookmark) not delivered. */
  private gaps(s: WatchedStream, rv: number, inclusive: boolean): void {
    const list = this.changes.get(s.resource) ?? [];
    for (let i = firstAfter(list, s.lastRv); i < list.length; i++) {
      const c = list[i]!;
      if (c.revision > rv || (!inclusive && c.revision === rv)) break;
      if (!this.watched(s, c)) continue;
      this.fail(
        s,
        `${c.after === undefined ? 'the delete' : 'the change'} of ${c.key} at ${c.revision} never arrived, and the stream went on to ${inclusive ? 'a bookmark at ' : ''}${rv}`,
      );
      return;
    }
  }

  private watched(s: WatchedStream, c: Change): boolean {
    if (!c.key.startsWith(s.prefix)) return false;
    const match = (o: CommittedObject | undefined): boolean =>
      o !== undefined && matches(s.definition, o as unknown as KObject, s.selectors);
    return match(c.before) || match(c.after);
  }

  private committedAt(resource: string, rv: number, key: string): boolean {
    const list = this.changes.get(resource) ?? [];
    for (let i = firstAfter(list, rv - 1); i < list.length && list[i]!.revision === rv; i++)
      if (list[i]!.key === key) return true;
    return false;
  }

  private fail(s: WatchedStream, message: string): void {
    // One violation per stream: what follows a gap is the same fault seen again.
    s.ended = true;
    this.flag(`${s.client}'s watch of ${s.path}: ${message}`);
  }
}

/** The index of the first change with a revision above `rv` (binary search). */
function firstAfter(list: readonly Change[], rv: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.revision <= rv) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
