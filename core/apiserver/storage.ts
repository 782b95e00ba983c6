import type { KvOutcome, KvWatch, StoreClient } from '../store/kv-client.ts';
import { DecodedObjects } from './decoded-objects.ts';
import type { LeaseManager } from './lease-manager.ts';
import { prefixEnd } from './keys.ts';
import { isPlainJson } from './plain-json.ts';
import {
  revision,
  type KeyValue,
  type LeaseId,
  type Revision,
  type TxnOp,
  type TxnRequestOp,
  type WatchEvent,
} from '../store/types.ts';

/**
 * The API server's view of the store (upstream k8s.io/apiserver/pkg/storage.Interface, etcd3
 * implementation): objects as JSON under keys, resourceVersion = the key's mod revision,
 * optimistic concurrency through txn compares. Failures are values; the registry turns them
 * into Status objects that name the resource.
 *
 * Every object it returns or reports is shared and immutable (decoded-objects.ts): callers
 * must copy before changing one; in check mode they are frozen, so a mutation throws.
 */
export type StorageFailure =
  | { readonly kind: 'not-found' }
  | { readonly kind: 'exists' }
  | {
      readonly kind: 'conflict';
      readonly currentRv: string;
      /**
       * The object as the failed write's txn read it (its failure branch reads the key, as
       * upstream's etcd3 store does), so a read-modify-write can retry from it without a read.
       */
      readonly current?: StoredObject;
    }
  | { readonly kind: 'compacted'; readonly requestedRv: string; readonly compactedRv: number }
  | { readonly kind: 'unavailable'; readonly reason: string };

export type StorageResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: StorageFailure };

export interface StoredObject {
  readonly metadata?: { readonly resourceVersion?: string };
}

export interface ListResult<T> {
  readonly items: T[];
  /** The store keys of `items`, in the same order (where a next page starts). */
  readonly keys: string[];
  readonly resourceVersion: string;
  /** `limit` cut the range short. */
  readonly more: boolean;
  /** Keys in the whole range, regardless of `limit`. */
  readonly count: number;
}

/** A page of a range: from `startKey` (default the prefix), at most `limit` (0: all). */
export interface ListPage {
  readonly atRv?: number | undefined;
  readonly startKey?: string | undefined;
  readonly limit?: number | undefined;
}

export type StorageEvent<T> =
  | {
      readonly type: 'put';
      readonly object: T;
      readonly previous: T | undefined;
      readonly created: boolean;
    }
  | { readonly type: 'delete'; readonly object: T; readonly previous: T }
  | { readonly type: 'progress'; readonly resourceVersion: string };

export interface StorageWatchHandlers<T> {
  onEvent(event: StorageEvent<T>): void;
  onClose(failure: StorageFailure | undefined, reason: string): void;
}

const ok = <T>(value: T): StorageResult<T> => ({ ok: true, value });
const fail = <T>(failure: StorageFailure): StorageResult<T> => ({ ok: false, failure });
const unavailable = (reason: string): StorageFailure => ({ kind: 'unavailable', reason });

/** Decodes a stored value and stamps the revision it was read at as its resourceVersion. */
export function decode<T extends StoredObject>(value: string, rv: number): T {
  const obj = JSON.parse(value) as { metadata?: Record<string, unknown> };
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(rv) };
  return obj as T;
}

/** A value to write, and how to make its decoded object without parsing it back. */
interface Encoded {
  readonly value: string;
  /** The decoded object stamped with `rv`, or undefined when only parsing `value` gives it. */
  readonly decoded: ((rv: number) => StoredObject) | undefined;
}

/**
 * Encodes `obj` without its resourceVersion (the store's revision is the version). When the
 * result is plain JSON already (plain-json.ts), the decoded object is that same shape with the
 * metadata restamped, members in the order parsing would give, sharing the rest with `obj`:
 * stored objects are immutable (frozen in check mode), so sharing is safe, and it saves parsing
 * back every object the API server writes.
 */
function encodeForWrite(obj: StoredObject): Encoded {
  const stored = withoutResourceVersion(obj);
  const metadata = stored.metadata;
  const value = JSON.stringify(stored);
  if (!isPlainJson(stored)) return { value, decoded: undefined };
  return {
    value,
    decoded: (rv) => ({ ...stored, metadata: { ...metadata, resourceVersion: String(rv) } }),
  };
}

/**
 * `obj` with metadata and no resourceVersion member: itself when it already is (a create's
 * object), so the encoding copies nothing it does not have to.
 */
function withoutResourceVersion(obj: StoredObject): { metadata: Record<string, unknown> } {
  const meta = obj.metadata;
  if (meta !== undefined && !('resourceVersion' in meta)) {
    return obj as { metadata: Record<string, unknown> };
  }
  const { resourceVersion: _dropped, ...metadata } = meta ?? {};
  return { ...obj, metadata };
}

function putOp(key: string, value: string, lease: LeaseId | undefined): TxnRequestOp {
  return lease === undefined ? { kind: 'put', key, value } : { kind: 'put', key, value, lease };
}

export function parseResourceVersion(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  return /^\d+$/.test(rv) ? Number(rv) : Number.NaN;
}

export class ObjectStorage {
  private readonly decoded: DecodedObjects;
  /**
   * This server's writes in flight, by key: the store's watch event for a write may arrive
   * before the write's response, and should find its object made rather than parse it.
   */
  private readonly writing = new Map<string, Encoded>();

  /**
   * `checkImmutability`: freeze every object handed out (ProcessPorts.checkImmutability).
   * `leases`: where writes with a TTL get their store lease (none: a TTL is refused).
   */
  constructor(
    private readonly kv: StoreClient,
    checkImmutability = false,
    private readonly leases?: LeaseManager,
  ) {
    this.decoded = new DecodedObjects(checkImmutability);
  }

  /**
   * The lease a write with `ttlSeconds` attaches its key to (upstream's etcd3 store ttlOpts):
   * the store deletes the key when the lease expires, unless a later write moves it to another.
   */
  private async leaseFor(
    ttlSeconds: number | undefined,
  ): Promise<StorageResult<LeaseId | undefined>> {
    if (ttlSeconds === undefined) return ok(undefined);
    if (this.leases === undefined) return fail(unavailable('this storage grants no leases'));
    const lease = await this.leases.leaseFor(ttlSeconds);
    return lease.ok ? ok(lease.id) : fail(unavailable(lease.reason));
  }

  /** A write that named a lease the store does not know: the next write gets a new one. */
  private leaseLost(r: { kind: string; reason?: string }, lease: LeaseId | undefined): void {
    if (lease !== undefined && r.kind === 'error' && r.reason === 'lease-not-found') {
      this.leases?.forget(lease);
    }
  }

  /** The shared decoded object of `value`, stored under `key`, stamped with `rv`. */
  private decode<T extends StoredObject>(key: string, value: string, rv: number): T {
    return this.decoded.get(key, value, rv, () => {
      const w = this.writing.get(key);
      return w?.decoded !== undefined && w.value === value
        ? (w.decoded(rv) as T)
        : decode<T>(value, rv);
    });
  }

  /**
   * Sends a write of `enc` under `key`, known to `decode` until its answer is back, and answers
   * what `settle` makes of the outcome: in the same microtask as the store's answer, so a
   * write's result is one hop away from it, not two.
   */
  private write<R>(
    key: string,
    enc: Encoded,
    op: TxnOp,
    settle: (r: KvOutcome<TxnOp>) => StorageResult<R>,
  ): Promise<StorageResult<R>> {
    this.writing.set(key, enc);
    const done = (): void => {
      if (this.writing.get(key) === enc) this.writing.delete(key);
    };
    return this.kv.do(op).then(
      (r) => {
        done();
        return settle(r);
      },
      (e: unknown) => {
        done();
        throw e;
      },
    );
  }

  /** The shared decoded object of a value this server has just written. */
  private written<T extends StoredObject>(key: string, enc: Encoded, rv: number): T {
    const make = enc.decoded;
    if (make === undefined) return this.decode<T>(key, enc.value, rv);
    return this.decoded.get(key, enc.value, rv, () => make(rv) as T);
  }

  get<T extends StoredObject>(key: string): Promise<StorageResult<T>> {
    return this.getThen<T, StorageResult<T>>(key, (r) => r);
  }

  /**
   * `get`, with `then` applied to its result in the store answer's callback: a reader that
   * goes on from the result saves a promise and a microtask hop per step it adds here instead
   * of chaining.
   */
  getThen<T extends StoredObject, R>(key: string, then: (r: StorageResult<T>) => R): Promise<R> {
    return this.kv.do({ kind: 'range', key }).then((r) => {
      if (r.kind !== 'range') return then(fail(this.failureOf(r)));
      const kv = r.kvs[0];
      if (kv === undefined) return then(fail({ kind: 'not-found' }));
      return then(ok(this.decode<T>(key, kv.value, kv.modRevision)));
    });
  }

  async list<T extends StoredObject>(
    prefix: string,
    page: ListPage = {},
  ): Promise<StorageResult<ListResult<T>>> {
    const { atRv, startKey, limit } = page;
    const r = await this.kv.do({
      kind: 'range',
      key: startKey ?? prefix,
      rangeEnd: prefixEnd(prefix),
      ...(atRv === undefined ? {} : { revision: revision(atRv) }),
      ...(limit === undefined || limit === 0 ? {} : { limit }),
    });
    if (r.kind !== 'range') return fail(this.failureOf(r, atRv));
    return ok({
      items: r.kvs.map((kv) => this.decode<T>(kv.key, kv.value, kv.modRevision)),
      keys: r.kvs.map((kv) => kv.key),
      resourceVersion: String(r.header.revision),
      more: r.more,
      count: r.count,
    });
  }

  /** The store's current revision (the resourceVersion a list now would have). */
  async revision(): Promise<StorageResult<number>> {
    const r = await this.kv.do({ kind: 'range', key: '/', rangeEnd: '\0', countOnly: true });
    if (r.kind !== 'range') return fail(this.failureOf(r));
    return ok(r.header.revision);
  }

  /** Creates the object; with `ttlSeconds`, on a lease that expires it (see leaseFor). */
  create<T extends StoredObject>(
    key: string,
    obj: T,
    ttlSeconds?: number,
  ): Promise<StorageResult<T>> {
    if (ttlSeconds !== undefined) {
      return this.onLease(ttlSeconds, (lease) => this.createOn<T>(key, obj, lease));
    }
    return this.createOn<T>(key, obj, undefined);
  }

  private createOn<T extends StoredObject>(
    key: string,
    obj: T,
    lease: LeaseId | undefined,
  ): Promise<StorageResult<T>> {
    const enc = encodeForWrite(obj);
    const op: TxnOp = {
      kind: 'txn',
      compare: [{ target: 'mod', key, result: '=', value: revision(0) }],
      success: [putOp(key, enc.value, lease)],
      failure: [],
    };
    return this.write(key, enc, op, (r) => {
      this.leaseLost(r, lease);
      if (r.kind !== 'txn') return fail(this.failureOf(r));
      if (!r.succeeded) return fail({ kind: 'exists' });
      return ok(this.written<T>(key, enc, r.header.revision));
    });
  }

  /**
   * Replaces the object if its current resourceVersion is `expectedRv` (or unconditionally
   * when `expectedRv` is undefined, for strategies that allow it); a mismatch is a conflict.
   * With `ttlSeconds` the object's life starts again (upstream recomputes the TTL on update).
   */
  update<T extends StoredObject>(
    key: string,
    obj: T,
    expectedRv: number | undefined,
    ttlSeconds?: number,
  ): Promise<StorageResult<T>> {
    if (ttlSeconds !== undefined) {
      return this.onLease(ttlSeconds, (lease) => this.updateOn<T>(key, obj, expectedRv, lease));
    }
    return this.updateOn<T>(key, obj, expectedRv, undefined);
  }

  private updateOn<T extends StoredObject>(
    key: string,
    obj: T,
    expectedRv: number | undefined,
    lease: LeaseId | undefined,
  ): Promise<StorageResult<T>> {
    const compare =
      expectedRv === undefined
        ? { target: 'mod' as const, key, result: '>' as const, value: revision(0) }
        : { target: 'mod' as const, key, result: '=' as const, value: revision(expectedRv) };
    const enc = encodeForWrite(obj);
    const op: TxnOp = {
      kind: 'txn',
      compare: [compare],
      success: [putOp(key, enc.value, lease)],
      failure: [{ kind: 'range', key }],
    };
    return this.write(key, enc, op, (r) => {
      this.leaseLost(r, lease);
      if (r.kind !== 'txn') return fail(this.failureOf(r));
      if (!r.succeeded) return fail(this.missingOrConflict(key, r.responses[0]));
      return ok(this.written<T>(key, enc, r.header.revision));
    });
  }

  /** Runs `write` on the lease for `ttlSeconds`, or fails as leaseFor does. */
  private async onLease<R>(
    ttlSeconds: number,
    write: (lease: LeaseId | undefined) => Promise<StorageResult<R>>,
  ): Promise<StorageResult<R>> {
    const lease = await this.leaseFor(ttlSeconds);
    if (!lease.ok) return lease;
    return write(lease.value);
  }

  /** Deletes the object if its resourceVersion is still `expectedRv` (when given). */
  async delete<T extends StoredObject>(
    key: string,
    expectedRv: number | undefined,
  ): Promise<StorageResult<T>> {
    const guard =
      expectedRv === undefined
        ? { target: 'mod' as const, key, result: '>' as const, value: revision(0) }
        : { target: 'mod' as const, key, result: '=' as const, value: revision(expectedRv) };
    const del: TxnRequestOp = { kind: 'delete-range', key, prevKv: true };
    const r = await this.kv.do({
      kind: 'txn',
      compare: [guard],
      success: [del],
      failure: [{ kind: 'range', key }],
    });
    if (r.kind !== 'txn') return fail(this.failureOf(r));
    if (!r.succeeded) return fail(this.missingOrConflict(key, r.responses[0]));
    const resp = r.responses[0];
    const prev = resp?.kind === 'delete-range' ? resp.prevKvs?.[0] : undefined;
    if (prev === undefined) return fail({ kind: 'not-found' });
    return ok(this.decode<T>(key, prev.value, r.header.revision));
  }

  /** Watches every key under `prefix` for changes after `afterRv`. */
  watch<T extends StoredObject>(
    prefix: string,
    afterRv: number,
    handlers: StorageWatchHandlers<T>,
  ): KvWatch {
    return this.kv.watch(
      {
        key: prefix,
        rangeEnd: prefixEnd(prefix),
        startRevision: revision(afterRv + 1),
        prevKv: true,
        progressNotify: true,
      },
      {
        onEvents: (response) => {
          for (const ev of response.events) handlers.onEvent(this.toStorageEvent<T>(ev));
        },
        onProgress: (rev) => handlers.onEvent({ type: 'progress', resourceVersion: String(rev) }),
        onClose: (reason, error) => {
          if (error?.reason === 'compacted') {
            return handlers.onClose(
              {
                kind: 'compacted',
                requestedRv: String(afterRv),
                compactedRv: error.compactRevision ?? 0,
              },
              reason,
            );
          }
          handlers.onClose(error === undefined ? undefined : unavailable(error.reason), reason);
        },
      },
    );
  }

  private missingOrConflict(key: string, resp: unknown): StorageFailure {
    const current = (resp as { kind?: string; kvs?: readonly KeyValue[] } | undefined)?.kvs?.[0];
    if (current === undefined) return { kind: 'not-found' };
    return {
      kind: 'conflict',
      currentRv: String(current.modRevision),
      current: this.decode(key, current.value, current.modRevision),
    };
  }

  private failureOf(
    r: { kind: string; reason?: string; compactRevision?: Revision },
    atRv?: number,
  ): StorageFailure {
    if (r.kind === 'unknown') return unavailable(`store request outcome unknown: ${r.reason}`);
    if (r.kind === 'not-applied') return unavailable(`store unavailable: ${r.reason}`);
    if (r.reason === 'compacted') {
      return {
        kind: 'compacted',
        requestedRv: String(atRv ?? ''),
        compactedRv: r.compactRevision ?? 0,
      };
    }
    return unavailable(`store error: ${r.reason ?? r.kind}`);
  }

  private toStorageEvent<T extends StoredObject>(ev: WatchEvent): StorageEvent<T> {
    const key = ev.kv.key;
    const previous =
      ev.prevKv === undefined
        ? undefined
        : this.decode<T>(key, ev.prevKv.value, ev.prevKv.modRevision);
    if (ev.type === 'DELETE') {
      // Upstream stamps a deleted object with the revision of the delete.
      const prior = ev.prevKv;
      if (prior === undefined)
        throw new Error(`delete event for ${key} without its previous value`);
      return {
        type: 'delete',
        object: this.decode<T>(key, prior.value, ev.kv.modRevision),
        previous: previous as T,
      };
    }
    return {
      type: 'put',
      object: this.decode<T>(key, ev.kv.value, ev.kv.modRevision),
      previous,
      created: ev.kv.createRevision === ev.kv.modRevision,
    };
  }
}
