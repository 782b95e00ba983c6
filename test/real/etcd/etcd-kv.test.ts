/**
 * EtcdKv (real/etcd/etcd-kv.ts) against a real etcd 3.4: every Op the API server sends comes
 * back as the built-in store's result would (revisions, compares, prevKv, limits), a watch from
 * a past revision replays exactly what happened, a watch from a compacted revision ends with the
 * 'compacted' StoreError, and a lease that expires takes its keys with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KvWatchHandlers } from '../../../core/store/kv-client.ts';
import {
  FROM_KEY,
  leaseId,
  revision,
  type Op,
  type StoreError,
  type WatchResponse,
} from '../../../core/store/types.ts';
import { EtcdKv, parseEtcdUrl } from '../../../real/etcd/etcd-kv.ts';
import { etcdUnavailable, startTestEtcd, type TestEtcd } from './etcd-harness.ts';

if (etcdUnavailable !== undefined) console.warn(`etcd adapter test skipped: ${etcdUnavailable}`);

describe('parseEtcdUrl', () => {
  it('takes etcd://HOST:PORT[,HOST:PORT] and names what is wrong otherwise', () => {
    expect(parseEtcdUrl('etcd://127.0.0.1:2379,localhost:2380')).toEqual([
      '127.0.0.1:2379',
      'localhost:2380',
    ]);
    expect(parseEtcdUrl('http://127.0.0.1:2379')).toMatch(/must be etcd:\/\//);
    expect(parseEtcdUrl('etcd://127.0.0.1')).toMatch(/'127.0.0.1' is not HOST:PORT/);
    expect(parseEtcdUrl('etcd://h:99999')).toMatch(/is not HOST:PORT/);
  });
});

describe.skipIf(etcdUnavailable !== undefined)('EtcdKv on etcd 3.4', () => {
  let store: TestEtcd;
  let kv: EtcdKv;
  beforeAll(async () => {
    store = await startTestEtcd(1);
    kv = new EtcdKv({ endpoints: store.etcd.endpoints });
  }, 90_000);
  afterAll(async () => {
    kv?.close();
    await store?.stop();
  });

  const rev = async (): Promise<number> => {
    const r = await kv.do({ kind: 'range', key: '/', rangeEnd: FROM_KEY, countOnly: true });
    if (r.kind !== 'range') throw new Error(JSON.stringify(r));
    return r.header.revision;
  };

  it('answers a table of ops as the built-in store does', async () => {
    const r0 = await rev();
    const steps: { op: Op; expect: (r0: number) => unknown }[] = [
      {
        op: { kind: 'put', key: '/t/a', value: '1' },
        expect: (b) => ({ kind: 'put', header: { revision: b + 1 } }),
      },
      {
        op: { kind: 'put', key: '/t/a', value: '2', prevKv: true },
        expect: (b) => ({
          kind: 'put',
          header: { revision: b + 2 },
          prevKv: {
            key: '/t/a',
            value: '1',
            createRevision: b + 1,
            modRevision: b + 1,
            version: 1,
            lease: 0,
          },
        }),
      },
      {
        op: { kind: 'put', key: '/t/b', value: 'x' },
        expect: (b) => ({ kind: 'put', header: { revision: b + 3 } }),
      },
      {
        op: { kind: 'range', key: '/t/', rangeEnd: '/t0', limit: 1 },
        expect: (b) => ({
          kind: 'range',
          header: { revision: b + 3 },
          kvs: [
            {
              key: '/t/a',
              value: '2',
              createRevision: b + 1,
              modRevision: b + 2,
              version: 2,
              lease: 0,
            },
          ],
          count: 2,
          more: true,
        }),
      },
      {
        op: { kind: 'range', key: '/t/', rangeEnd: '/t0', revision: revision(r0 + 1) },
        expect: (b) => ({
          kind: 'range',
          header: { revision: b + 3 },
          kvs: [
            {
              key: '/t/a',
              value: '1',
              createRevision: b + 1,
              modRevision: b + 1,
              version: 1,
              lease: 0,
            },
          ],
          count: 1,
          more: false,
        }),
      },
      {
        op: { kind: 'range', key: '/t/', rangeEnd: '/t0', keysOnly: true },
        expect: (b) => ({
          kind: 'range',
          header: { revision: b + 3 },
          kvs: [
            {
              key: '/t/a',
              value: '',
              createRevision: b + 1,
              modRevision: b + 2,
              version: 2,
              lease: 0,
            },
            {
              key: '/t/b',
              value: '',
              createRevision: b + 3,
              modRevision: b + 3,
              version: 1,
              lease: 0,
            },
          ],
          count: 2,
          more: false,
        }),
      },
      {
        // A create guard (mod = 0) on an existing key fails and reads the current value.
        op: {
          kind: 'txn',
          compare: [{ target: 'mod', key: '/t/a', result: '=', value: revision(0) }],
          success: [{ kind: 'put', key: '/t/a', value: 'no' }],
          failure: [{ kind: 'range', key: '/t/a', countOnly: true }],
        },
        expect: (b) => ({
          kind: 'txn',
          header: { revision: b + 3 },
          succeeded: false,
          responses: [
            { kind: 'range', header: { revision: b + 3 }, kvs: [], count: 1, more: false },
          ],
        }),
      },
      {
        // Guards on value, version and create revision together; the success branch writes.
        op: {
          kind: 'txn',
          compare: [
            { target: 'value', key: '/t/a', result: '=', value: '2' },
            { target: 'version', key: '/t/a', result: '>', value: 1 },
            { target: 'create', key: '/t/b', result: '!=', value: revision(0) },
          ],
          success: [
            { kind: 'put', key: '/t/a', value: '3' },
            { kind: 'delete-range', key: '/t/b', prevKv: true },
          ],
          failure: [],
        },
        expect: (b) => ({
          kind: 'txn',
          header: { revision: b + 4 },
          succeeded: true,
          responses: [
            { kind: 'put', header: { revision: b + 4 } },
            {
              kind: 'delete-range',
              header: { revision: b + 4 },
              deleted: 1,
              prevKvs: [
                {
                  key: '/t/b',
                  value: 'x',
                  createRevision: b + 3,
                  modRevision: b + 3,
                  version: 1,
                  lease: 0,
                },
              ],
            },
          ],
        }),
      },
      {
        op: { kind: 'delete-range', key: '/t/', rangeEnd: '/t0' },
        expect: (b) => ({ kind: 'delete-range', header: { revision: b + 5 }, deleted: 1 }),
      },
      {
        op: { kind: 'range', key: '/t/a', revision: revision(r0 + 1000) },
        expect: () => ({ kind: 'error', reason: 'future-revision', header: { revision: 0 } }),
      },
      {
        op: { kind: 'put', key: '/t/c', value: '', ignoreValue: true },
        expect: () => ({ kind: 'error', reason: 'key-not-found', header: { revision: 0 } }),
      },
      {
        op: { kind: 'put', key: '/t/c', value: 'v', lease: leaseId(12345) },
        expect: () => ({ kind: 'error', reason: 'lease-not-found', header: { revision: 0 } }),
      },
    ];
    for (const step of steps) {
      const got = await kv.do(step.op);
      expect({ op: step.op, got }).toEqual({ op: step.op, got: step.expect(r0) });
    }
  });

  /** Collects a watch's deliveries until it closes or the test stops it. */
  function collect(): {
    handlers: KvWatchHandlers;
    responses: WatchResponse[];
    progress: number[];
    closed: Promise<{ reason: string; error?: StoreError }>;
  } {
    const responses: WatchResponse[] = [];
    const progress: number[] = [];
    let close!: (c: { reason: string; error?: StoreError }) => void;
    const closed = new Promise<{ reason: string; error?: StoreError }>((r) => (close = r));
    return {
      responses,
      progress,
      closed,
      handlers: {
        onEvents: (r) => responses.push(r),
        onProgress: (r) => progress.push(r),
        onClose: (reason, error) => close({ reason, ...(error ? { error } : {}) }),
      },
    };
  }

  async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('replays a watch from a past revision one revision at a time, with prevKv and progress', async () => {
    const start = (await rev()) + 1;
    await kv.do({ kind: 'put', key: '/w/a', value: '1' });
    await kv.do({
      kind: 'txn',
      compare: [],
      success: [
        { kind: 'put', key: '/w/a', value: '2' },
        { kind: 'put', key: '/w/b', value: '1' },
      ],
      failure: [],
    });
    await kv.do({ kind: 'delete-range', key: '/w/a' });
    const w = collect();
    const watch = kv.watch(
      {
        key: '/w/',
        rangeEnd: '/w0',
        startRevision: revision(start),
        prevKv: true,
        progressNotify: true,
      },
      w.handlers,
    );
    await until('three revisions', () => w.responses.length === 3);
    expect(
      w.responses.map((r) => [
        r.revision,
        r.events.map((e) => [e.type, e.kv.key, e.kv.value, e.prevKv?.value]),
      ]),
    ).toEqual([
      [start, [['PUT', '/w/a', '1', undefined]]],
      [
        start + 1,
        [
          ['PUT', '/w/a', '2', '1'],
          ['PUT', '/w/b', '1', undefined],
        ],
      ],
      [start + 2, [['DELETE', '/w/a', '', '2']]],
    ]);
    // A DELETE's kv is a tombstone, as in our store.
    expect(w.responses[2]!.events[0]!.kv).toMatchObject({
      createRevision: 0,
      version: 0,
      modRevision: start + 2,
    });
    // The harness asks etcd for a progress notification every second.
    await until('a progress notification', () => w.progress.length > 0, 15_000);
    expect(w.progress[0]).toBeGreaterThanOrEqual(start + 2);
    watch.cancel();
  }, 30_000);

  it('refuses reads and watches below a compaction with the compacted error', async () => {
    await kv.do({ kind: 'put', key: '/c/a', value: '1' });
    const old = await rev();
    await kv.do({ kind: 'put', key: '/c/a', value: '2' });
    const now = await rev();
    expect(await kv.do({ kind: 'compact', revision: revision(now) })).toEqual({
      kind: 'compact',
      header: { revision: now },
    });
    const read = await kv.do({ kind: 'range', key: '/c/a', revision: revision(old) });
    expect(read).toMatchObject({ kind: 'error', reason: 'compacted' });
    const w = collect();
    kv.watch({ key: '/c/', rangeEnd: '/c0', startRevision: revision(old) }, w.handlers);
    const closed = await w.closed;
    expect(closed.error).toMatchObject({
      kind: 'error',
      reason: 'compacted',
      compactRevision: now,
    });
    expect(w.responses).toEqual([]);
  }, 30_000);

  it('deletes the keys of a lease when it expires, and the watch sees the deletion', async () => {
    const grant = await kv.do({ kind: 'lease-grant', id: leaseId(0), ttlSeconds: 2 });
    if (grant.kind !== 'lease-grant') throw new Error(JSON.stringify(grant));
    expect(Number.isSafeInteger(grant.id) && grant.id > 0).toBe(true);
    const put = await kv.do({ kind: 'put', key: '/l/a', value: 'v', lease: grant.id });
    expect(put.kind).toBe('put');
    const w = collect();
    const watch = kv.watch({ key: '/l/', rangeEnd: '/l0', prevKv: true }, w.handlers);
    await until('the lease to expire', () => w.responses.length > 0, 20_000);
    expect(w.responses[0]!.events.map((e) => [e.type, e.kv.key, e.prevKv?.lease])).toEqual([
      ['DELETE', '/l/a', grant.id],
    ]);
    expect(await kv.do({ kind: 'range', key: '/l/a' })).toMatchObject({ kind: 'range', count: 0 });
    expect(await kv.do({ kind: 'lease-revoke', id: grant.id })).toMatchObject({
      kind: 'error',
      reason: 'lease-not-found',
    });
    watch.cancel();
  }, 30_000);

  it('reports reads to a dead etcd as not applied and writes as unknown', async () => {
    const dead = new EtcdKv({ endpoints: ['127.0.0.1:1'], requestTimeoutMs: 500, readRetries: 1 });
    try {
      expect(await dead.do({ kind: 'range', key: '/x' })).toMatchObject({ kind: 'not-applied' });
      expect(await dead.do({ kind: 'put', key: '/x', value: '1' })).toMatchObject({
        kind: 'unknown',
      });
    } finally {
      dead.close();
    }
  }, 30_000);
});
