/**
 * Many clients at once against `ksim serve` (the HTTP-front issue: "100 concurrent watchers and
 * 50 concurrent writers from outside keep working"): every write is answered 201, every watcher
 * sees every create exactly once and in resourceVersion order (the same sequence for all), and
 * a plain GET is answered while all of that is going on.
 *
 * The watchers list first and watch from the list's version, as informers do. That list is
 * answered early in the served cluster's life, often before the controller manager's first
 * configmaps watch starts the API server's watch cache: under load the watches came after it,
 * and each got 410 Gone and nothing else until the watch cache learned to reach back
 * (test/core/apiserver/watch-cache-reach-back.test.ts). A failure names each watcher that fell
 * short: what it missed, whether its stream ended, and any ERROR it was sent.
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
    readonly metadata?: { readonly name?: string; readonly resourceVersion?: string };
    readonly code?: number;
    readonly message?: string;
  };
}

/** One watch stream as its client saw it. */
interface Watcher {
  /** `TYPE name resourceVersion` per event; an ERROR as `ERROR code message`. */
  readonly lines: string[];
  /** The stream ended (the server closed it, or the connection broke). */
  readonly ended: () => boolean;
  readonly opened: Promise<void>;
  close(): void;
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

function describeEvent(e: WatchEvent): string {
  if (e.type === 'ERROR') return `ERROR ${e.object.code ?? ''} ${e.object.message ?? ''}`;
  return `${e.type} ${e.object.metadata?.name ?? ''} ${e.object.metadata?.resourceVersion ?? ''}`;
}

/** A watch on its own connection; `lines` fills as events arrive; `close` ends it. */
function watch(fromRv: string): Watcher {
  const lines: string[] = [];
  let ended = false;
  let closing = false;
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
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const l of parts) if (l !== '') lines.push(describeEvent(JSON.parse(l) as WatchEvent));
    });
    res.on('close', () => (ended = true));
  });
  req.on('error', (e) => {
    ended = true;
    // Closing below ends the request with "socket hang up": expected then, not before.
    if (!closing) lines.push(`CONNECTION ${e.message}`);
  });
  req.end();
  return {
    lines,
    ended: () => ended,
    opened: openedPromise,
    close: () => {
      closing = true;
      req.destroy();
    },
  };
}

/**
 * What each watcher lacks against `expected` (the creates in resourceVersion order): none when
 * it has exactly those lines; otherwise which it missed, what else it got, and its stream's state.
 */
function shortfalls(watchers: readonly Watcher[], expected: readonly string[]): string[] {
  const problems: string[] = [];
  watchers.forEach((w, i) => {
    if (w.lines.length === expected.length && w.lines.every((l, k) => l === expected[k])) return;
    const got = new Set(w.lines);
    const missing = expected.filter((l) => !got.has(l));
    const wanted = new Set(expected);
    const extra = w.lines.filter((l) => !wanted.has(l));
    const order = missing.length === 0 && extra.length === 0 ? ', out of order or repeated' : '';
    problems.push(
      `watcher ${i}: ${w.lines.length} of ${expected.length} events${order}, stream ${w.ended() ? 'ended' : 'open'}` +
        (missing.length === 0
          ? ''
          : `; missing ${missing.length} (${missing
              .slice(0, 5)
              .map((l) => l.split(' ')[1])
              .join(', ')}${missing.length > 5 ? ', ...' : ''})`) +
        (extra.length === 0 ? '' : `; also got ${extra.slice(0, 3).join(' | ')}`),
    );
  });
  return problems;
}

/** Waits until `done` holds or `timeoutMs` passes; the caller then checks what happened. */
async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() <= deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('ksim serve with 100 watchers and 50 writers at once', () => {
  beforeAll(async () => {
    cluster = await serve('scenarios/quickstart.yaml', ['--plain-http']);
    const config = parse(readFileSync(cluster.kubeconfig, 'utf8')) as {
      users: { user: { token?: string } }[];
    };
    token = config.users[0]?.user.token ?? '';
    expect(token).not.toBe('');
  }, 120_000);

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
      const answers: { status: number; line: string }[] = [];
      for (let j = 0; j < WRITES_EACH; j++) {
        const r = await call('POST', PATH, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `w${i}-${j}` },
          data: { writer: String(i), n: String(j) },
        });
        const rv =
          r.status === 201
            ? ((JSON.parse(r.body) as WatchEvent['object']).metadata?.resourceVersion ?? '')
            : '';
        answers.push({ status: r.status, line: `ADDED w${i}-${j} ${rv}` });
      }
      return answers;
    });
    // Served while the writers and watchers are busy.
    const node = await call('GET', '/api/v1/nodes/node-1');
    expect(node.status).toBe(200);

    const answers = (await Promise.all(writers)).flat();
    expect(answers.map((a) => a.status)).toEqual(Array<number>(WRITERS * WRITES_EACH).fill(201));
    // What every watcher must see: each create once, in the order of the versions it was given.
    const expected = answers
      .map((a) => a.line)
      .sort((a, b) => Number(a.split(' ')[2]) - Number(b.split(' ')[2]));

    // Until every watcher has them all, or a stream ended (it will get no more).
    await waitFor(
      () =>
        watchers.every((w) => w.lines.length >= expected.length) || watchers.some((w) => w.ended()),
      60_000,
    );
    expect(shortfalls(watchers, expected)).toEqual([]);
    for (const w of watchers) w.close();
  }, 180_000);
});
