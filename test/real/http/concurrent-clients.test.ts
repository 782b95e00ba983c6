/**
 * Many clients at once against `ksim serve` (the HTTP-front issue: "100 concurrent watchers and
 * 50 concurrent writers from outside keep working"): every write is answered 201, every watcher
 * sees every create exactly once and in resourceVersion order (the same sequence for all), and
 * a plain GET is answered while all of that is going on.
 */
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serve, type ServedCluster } from './serve-process.ts';

const WATCHERS = 100;
const WRITERS = 50;
const WRITES_EACH = 4;
const PATH = '/api/v1/namespaces/default/configmaps';

interface Answer {
  readonly status: number;
  readonly body: string;
}

interface WatchEvent {
  readonly type: string;
  readonly object: {
    readonly metadata: { readonly name: string; readonly resourceVersion: string };
  };
}

let cluster: ServedCluster;
let token: string;
const agent = new Agent({ keepAlive: true, maxSockets: WRITERS + 10 });

function call(method: string, path: string, body?: unknown): Promise<Answer> {
  const url = new URL(path, cluster.url);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A watch on its own connection; `events` fills as lines arrive; `close` ends it. */
function watch(fromRv: string): { events: WatchEvent[]; opened: Promise<void>; close(): void } {
  const events: WatchEvent[] = [];
  const url = new URL(`${PATH}?watch=true&resourceVersion=${fromRv}`, cluster.url);
  let opened!: () => void;
  const openedPromise = new Promise<void>((r) => (opened = r));
  const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
    expect(res.statusCode).toBe(200);
    opened();
    res.setEncoding('utf8');
    let buffered = '';
    res.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const l of lines) if (l !== '') events.push(JSON.parse(l) as WatchEvent);
    });
  });
  // Closing below ends the request with "socket hang up": expected.
  req.on('error', () => {});
  req.end();
  return { events, opened: openedPromise, close: () => req.destroy() };
}

async function until(what: string, holds: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ksim serve with 100 watchers and 50 writers at once', () => {
  beforeAll(async () => {
    cluster = await serve('scenarios/quickstart.yaml', ['--plain-http']);
    const config = parse(readFileSync(cluster.kubeconfig, 'utf8')) as {
      users: { user: { token?: string } }[];
    };
    token = config.users[0]?.user.token ?? '';
    expect(token).not.toBe('');
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    expect(await cluster.stop()).toBe(0);
  });

  it('answers every write, delivers every create to every watcher in order, and serves a GET meanwhile', async () => {
    const list = await call('GET', PATH);
    expect(list.status).toBe(200);
    const startRv = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata
      .resourceVersion;

    const watchers = Array.from({ length: WATCHERS }, () => watch(startRv));
    await Promise.all(watchers.map((w) => w.opened));

    const writers = Array.from({ length: WRITERS }, async (_, i) => {
      const codes: number[] = [];
      for (let j = 0; j < WRITES_EACH; j++) {
        const r = await call('POST', PATH, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `w${i}-${j}` },
          data: { writer: String(i), n: String(j) },
        });
        codes.push(r.status);
      }
      return codes;
    });
    // Served while the writers and watchers are busy.
    const node = await call('GET', '/api/v1/nodes/node-1');
    expect(node.status).toBe(200);

    const codes = (await Promise.all(writers)).flat();
    expect(codes).toEqual(Array<number>(WRITERS * WRITES_EACH).fill(201));

    const total = WRITERS * WRITES_EACH;
    await until(
      `${WATCHERS} watchers to see ${total} creates`,
      () => watchers.every((w) => w.events.length >= total),
      60_000,
    );
    const sequences = watchers.map((w) =>
      w.events.map(
        (e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`,
      ),
    );
    const first = sequences[0] ?? [];
    expect(first).toHaveLength(total);
    expect(first.every((l) => l.startsWith('ADDED w'))).toBe(true);
    // Each create once, in strictly increasing resourceVersion order.
    expect(new Set(first.map((l) => l.split(' ')[1])).size).toBe(total);
    const rvs = first.map((l) => Number(l.split(' ')[2]));
    expect(rvs.every((rv, i) => i === 0 || rv > (rvs[i - 1] ?? 0))).toBe(true);
    for (const s of sequences) expect(s).toEqual(first);
    for (const w of watchers) w.close();
  }, 180_000);
});
