/**
 * The API server behaves the same on the built-in store and on a real etcd 3.4: one test body
 * (create / get / list with resourceVersion, an update conflict 409, a watch from a
 * resourceVersion, a 410 for a list at a compacted resourceVersion and for a watch older than
 * the window) runs against an API server process on each store, and the two transcripts —
 * statuses, resourceVersions as ranks among those the client saw, watch frames — are compared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PROTOCOL } from '../../../core/api/http-codec.ts';
import type { ApiRequest, ApiResponse, WatchFrame } from '../../../core/api/http.ts';
import { ApiServer, type ApiServerOptions } from '../../../core/apiserver/server.ts';
import { KvService } from '../../../core/store/kv-service.ts';
import { EtcdKv } from '../../../real/etcd/etcd-kv.ts';
import type { AddressBook } from '../../../real/host/address-book.ts';
import { hostProcess, type HostProcess } from '../../../real/host/host-process.ts';
import { TcpTransport } from '../../../real/host/tcp-transport.ts';
import { etcdUnavailable, startTestEtcd, type TestEtcd } from './etcd-harness.ts';

if (etcdUnavailable !== undefined)
  console.warn(`API-server-on-etcd test skipped: ${etcdUnavailable}`);

const TIMEOUT_US = 10_000_000;
const CMS = '/api/v1/namespaces/default/configmaps';
/** Compaction every second, and a watch window of 4 changes: both show within the test. */
const SERVER: Omit<ApiServerOptions, 'storeMembers'> = {
  compactionIntervalUs: 1_000_000,
  watchCacheCapacity: 4,
};

interface Backend {
  readonly client: TcpTransport;
  stop(): Promise<void>;
}

/** Processes of this file, each a host process on the TCP transport. */
class Processes {
  readonly book: AddressBook = new Map();
  private readonly stops: (() => Promise<void>)[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'ksim-apistores-'));

  async transport(name: string): Promise<TcpTransport> {
    this.book.set(name, { host: '127.0.0.1', port: 0 });
    const t = new TcpTransport(name, this.book);
    await t.start();
    this.stops.push(() => t.close());
    return t;
  }

  async process(name: string, start: (hp: HostProcess) => void): Promise<void> {
    const transport = await this.transport(name);
    const hp = hostProcess({ name, dataDir: join(this.dir, name), transport });
    start(hp);
    this.stops.push(() => hp.close());
  }

  async stop(): Promise<void> {
    for (const s of this.stops.splice(0).reverse()) await s();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function builtInBackend(): Promise<Backend> {
  const p = new Processes();
  await p.process('store-0', (hp) => new KvService(hp.ports));
  await p.process(
    'apiserver',
    (hp) => new ApiServer(hp.ports, { ...SERVER, storeMembers: ['store-0'] }),
  );
  return { client: await p.transport('client'), stop: () => p.stop() };
}

async function etcdBackend(etcd: TestEtcd): Promise<Backend> {
  const p = new Processes();
  let kv: EtcdKv | undefined;
  await p.process('apiserver', (hp) => {
    const options: ApiServerOptions = {
      ...SERVER,
      storeMembers: [],
      storeClient: () => (kv = new EtcdKv({ endpoints: etcd.etcd.endpoints })),
    };
    return new ApiServer(hp.ports, options);
  });
  return {
    client: await p.transport('client'),
    stop: async () => {
      await p.stop();
      kv?.close();
    },
  };
}

async function call(b: Backend, req: Omit<ApiRequest, 'kind'>): Promise<ApiResponse> {
  const r = await b.client.request(API_PROTOCOL, 'apiserver', { kind: 'http', ...req }, TIMEOUT_US);
  if (r.kind !== 'reply') throw new Error(`${req.method} ${req.path}: ${r.kind}`);
  return r.body;
}

/** Waits until the API server serves (its system namespaces exist). */
async function ready(b: Backend): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await call(b, { method: 'GET', path: '/api/v1/namespaces/default' }).catch(
      () => undefined,
    );
    if (r?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`API server not ready: ${JSON.stringify(r)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** Frames of a watch until `count` arrived or the stream ended. */
function watchFrames(
  b: Backend,
  query: Record<string, string>,
  count: number,
): Promise<WatchFrame[]> {
  const frames: WatchFrame[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`watch: ${JSON.stringify(frames)}`)), 15_000);
    const stream = b.client.openStream(
      API_PROTOCOL,
      'apiserver',
      { kind: 'http', method: 'GET', path: CMS, query: { watch: 'true', ...query } },
      {
        onMessage: (f) => {
          frames.push(f);
          if (frames.length === count) {
            clearTimeout(timer);
            stream.close();
            resolve(frames);
          }
        },
        onClose: () => {
          clearTimeout(timer);
          resolve(frames);
        },
      },
    );
  });
}

type Meta = { metadata: { name: string; resourceVersion: string } };
const rvOf = (r: ApiResponse): number => Number((r.body as Meta).metadata.resourceVersion);
const cm = (name: string, value: string, rv?: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(rv === undefined ? {} : { resourceVersion: rv }) },
  data: { value },
});

/** Stands for a resourceVersion in a transcript until `ranked` replaces it. */
class Rv {
  constructor(readonly rv: number) {}
}

/**
 * A transcript with every resourceVersion replaced by its rank among the versions of the
 * objects it saw: the stores start at different revisions, and the API server's own writes
 * (system namespaces) land between the test's, so only the order can be compared.
 */
function ranked(out: unknown[]): unknown[] {
  const all: number[] = [];
  const collect = (v: unknown): void => {
    if (v instanceof Rv) all.push(v.rv);
    else if (Array.isArray(v)) v.forEach(collect);
  };
  collect(out);
  const order = [...new Set(all)].sort((a, b) => a - b);
  const replace = (v: unknown): unknown =>
    v instanceof Rv ? order.indexOf(v.rv) : Array.isArray(v) ? v.map(replace) : v;
  return out.map(replace);
}

/** The shared body: what a client sees (see `ranked`). */
async function transcript(b: Backend): Promise<unknown[]> {
  await ready(b);
  const out: unknown[] = [];
  const created = await call(b, { method: 'POST', path: CMS, body: cm('a', '1') });
  const base = rvOf(created);
  const rel = (rv: number | string): Rv => new Rv(Number(rv));
  out.push(['create', created.status]);
  const got = await call(b, { method: 'GET', path: `${CMS}/a` });
  out.push(['get', got.status, rel(rvOf(got)), (got.body as { data: unknown }).data]);
  const dup = await call(b, { method: 'POST', path: CMS, body: cm('a', '1') });
  out.push(['create again', dup.status, (dup.body as { reason?: string }).reason]);
  const updated = await call(b, {
    method: 'PUT',
    path: `${CMS}/a`,
    body: cm('a', '2', String(base)),
  });
  out.push(['update', updated.status, rel(rvOf(updated))]);
  const stale = await call(b, {
    method: 'PUT',
    path: `${CMS}/a`,
    body: cm('a', '3', String(base)),
  });
  out.push(['stale update', stale.status, (stale.body as { reason?: string }).reason]);
  await call(b, { method: 'POST', path: CMS, body: cm('b', '1') });
  const list = await call(b, { method: 'GET', path: CMS });
  const listBody = list.body as { metadata: { resourceVersion: string }; items: Meta[] };
  const newest = Math.max(...listBody.items.map((i) => Number(i.metadata.resourceVersion)));
  out.push([
    'list',
    list.status,
    Number(listBody.metadata.resourceVersion) >= newest,
    listBody.items.map((i) => [i.metadata.name, rel(i.metadata.resourceVersion)]),
  ]);
  const exact = await call(b, {
    method: 'GET',
    path: CMS,
    query: { resourceVersion: String(base), resourceVersionMatch: 'Exact' },
  });
  out.push([
    'list at the first version',
    exact.status,
    (exact.body as { items: Meta[] }).items.map((i) => i.metadata.name),
  ]);
  const frames = await watchFrames(b, { resourceVersion: String(base) }, 2);
  out.push([
    'watch from the first version',
    frames.map((f) => [
      f.type,
      (f.object as Meta).metadata.name,
      rel((f.object as Meta).metadata.resourceVersion),
    ]),
  ]);
  // Compaction runs every second, to the revision of one interval before: wait for it.
  const deadline = Date.now() + 20_000;
  let expired: ApiResponse | undefined;
  while (Date.now() < deadline) {
    const r = await call(b, {
      method: 'GET',
      path: CMS,
      query: { resourceVersion: String(base), resourceVersionMatch: 'Exact' },
    });
    if (r.status !== 200) {
      expired = r;
      break;
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  out.push([
    'list at the first version, compacted',
    expired?.status,
    (expired?.body as { reason?: string } | undefined)?.reason,
  ]);
  // More changes than the watch window holds: a watch from the first version is too old.
  for (let i = 0; i < 6; i++) {
    const r = await call(b, { method: 'PUT', path: `${CMS}/b`, body: cm('b', `v${i}`) });
    expect(r.status).toBe(200);
  }
  const old = await watchFrames(b, { resourceVersion: String(base) }, 1);
  out.push([
    'watch from the first version, too old',
    old.map((f) => [f.type, (f.object as { code?: number }).code]),
  ]);
  return ranked(out);
}

describe.skipIf(etcdUnavailable !== undefined)(
  'the API server on the built-in store and on etcd',
  () => {
    let etcd: TestEtcd;
    const results = new Map<string, unknown[]>();
    beforeAll(async () => {
      etcd = await startTestEtcd(1);
    }, 90_000);
    afterAll(async () => {
      await etcd?.stop();
    });

    it('answers the shared body on the built-in store', async () => {
      const b = await builtInBackend();
      try {
        results.set('built-in', await transcript(b));
      } finally {
        await b.stop();
      }
      expect(results.get('built-in')).toEqual(EXPECTED);
    }, 90_000);

    it('answers the shared body on etcd 3.4 the same', async () => {
      const b = await etcdBackend(etcd);
      try {
        results.set('etcd', await transcript(b));
      } finally {
        await b.stop();
      }
      expect(results.get('etcd')).toEqual(EXPECTED);
    }, 90_000);
  },
);

/** What a client of either store sees (resourceVersions ranked). */
const EXPECTED: unknown[] = [
  ['create', 201],
  ['get', 200, 0, { value: '1' }],
  ['create again', 409, 'AlreadyExists'],
  ['update', 200, 1],
  ['stale update', 409, 'Conflict'],
  [
    'list',
    200,
    true,
    [
      ['a', 1],
      ['b', 2],
    ],
  ],
  ['list at the first version', 200, ['a']],
  [
    'watch from the first version',
    [
      ['MODIFIED', 'a', 1],
      ['ADDED', 'b', 2],
    ],
  ],
  ['list at the first version, compacted', 410, 'Expired'],
  ['watch from the first version, too old', [['ERROR', 410]]],
];
