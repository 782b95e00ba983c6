import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiRequest, ApiResponse, WatchFrame } from '../../../core/api/http.ts';
import type { CallResult, StreamHandlers } from '../../../core/ports/transport.ts';
import { startApiFront, type ApiBackend, type ApiFront } from '../../../real/http/api-front.ts';
import {
  makeServingCertificates,
  signClientCertificate,
  type ClientCertificate,
} from '../../../real/http/certificates.ts';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function call(
  front: ApiFront,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${front.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A backend that records what it was sent and answers with `answer`. */
function backend(answer: (req: ApiRequest) => CallResult<ApiResponse>): {
  backend: ApiBackend;
  seen: ApiRequest[];
  watches: { req: ApiRequest; handlers: StreamHandlers<WatchFrame>; closed: boolean }[];
} {
  const seen: ApiRequest[] = [];
  const watches: { req: ApiRequest; handlers: StreamHandlers<WatchFrame>; closed: boolean }[] = [];
  return {
    seen,
    watches,
    backend: {
      request: (req) => {
        seen.push(req);
        return Promise.resolve(answer(req));
      },
      watch: (req, handlers) => {
        const w = { req, handlers, closed: false };
        watches.push(w);
        return { close: () => (w.closed = true) };
      },
    },
  };
}

const reply = (r: ApiResponse): CallResult<ApiResponse> => ({ kind: 'reply', body: r });

let front: ApiFront | undefined;
afterEach(async () => {
  await front?.close();
  front = undefined;
});

describe('the HTTP front', () => {
  it('translates the request line, headers and body into an ApiRequest', async () => {
    const b = backend(() => reply({ status: 201, body: { kind: 'ConfigMap' } }));
    front = await startApiFront(b.backend);
    const body = '{"kind":"ConfigMap","metadata":{"name":"a"}}';
    const r = await call(
      front,
      'POST',
      '/api/v1/namespaces/default/configmaps?dryRun=All&fieldManager=me&dryRun=ignored',
      {
        authorization: 'Bearer t0ken',
        accept: 'application/json',
        'content-type': 'application/json; charset=utf-8',
      },
      body,
    );
    expect(r.status).toBe(201);
    expect(JSON.parse(r.body.toString())).toEqual({ kind: 'ConfigMap' });
    expect(r.headers['audit-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.seen).toEqual([
      {
        kind: 'http',
        method: 'POST',
        path: '/api/v1/namespaces/default/configmaps',
        query: { dryRun: 'All', fieldManager: 'me' },
        authorization: 'Bearer t0ken',
        accept: 'application/json',
        contentType: 'application/json',
        body: { kind: 'ConfigMap', metadata: { name: 'a' } },
        rawBody: body,
      },
    ]);
  });

  it('passes patch content types through and reads apply bodies as YAML', async () => {
    const b = backend(() => reply({ status: 200, body: {} }));
    front = await startApiFront(b.backend);
    await call(
      front,
      'PATCH',
      '/api/v1/nodes/n',
      { 'content-type': 'application/apply-patch+yaml' },
      'metadata:\n  labels: {a: b}\n',
    );
    await call(front, 'PATCH', '/api/v1/nodes/n', { 'content-type': 'text/plain' }, 'not json');
    expect(b.seen[0]).toMatchObject({
      contentType: 'application/apply-patch+yaml',
      body: { metadata: { labels: { a: 'b' } } },
    });
    // The API server answers 415 for a patch type it does not take: the front does not guess.
    expect(b.seen[1]).toMatchObject({ method: 'PATCH', contentType: 'text/plain' });
    expect(b.seen[1]?.body).toBeUndefined();
  });

  it('answers malformed bodies, unknown media types and methods with Status errors', async () => {
    const b = backend(() => reply({ status: 200, body: {} }));
    front = await startApiFront(b.backend, { maxBodyBytes: 1024 });
    const invalid = await call(
      front,
      'POST',
      '/api/v1/namespaces',
      { 'content-type': 'application/json' },
      '{"kind":',
    );
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body.toString())).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      code: 400,
    });
    const xml = await call(
      front,
      'POST',
      '/api/v1/namespaces',
      { 'content-type': 'application/xml' },
      '<a/>',
    );
    expect(xml.status).toBe(415);
    const method = await call(front, 'OPTIONS', '/api/v1/namespaces');
    expect(method.status).toBe(405);
    const large = await call(
      front,
      'POST',
      '/api/v1/namespaces',
      { 'content-type': 'application/json' },
      Buffer.alloc(4096, 32),
    );
    expect(large.status).toBe(413);
    expect(JSON.parse(large.body.toString())).toMatchObject({ reason: 'RequestEntityTooLarge' });
    expect(b.seen).toEqual([]);
  });

  it('sends warnings as 299 Warning headers, other headers as given, and text bodies as text', async () => {
    const b = backend((req) =>
      req.path === '/healthz'
        ? reply({ status: 200, body: 'ok' })
        : reply({
            status: 429,
            body: { kind: 'Status', code: 429 },
            warnings: ['unknown field "spec.x"', 'a "quoted" \\ text'],
            headers: { 'Retry-After': '1' },
          }),
    );
    front = await startApiFront(b.backend);
    const r = await call(front, 'GET', '/api/v1/pods');
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.headers.warning).toBe(
      '299 - "unknown field \\"spec.x\\"", 299 - "a \\"quoted\\" \\\\ text"',
    );
    const health = await call(front, 'GET', '/healthz');
    expect(health.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(health.body.toString()).toBe('ok');
  });

  it('compresses large answers when the client takes gzip', async () => {
    const items = Array.from({ length: 4000 }, (_, i) => ({ metadata: { name: `object-${i}` } }));
    const b = backend(() => reply({ status: 200, body: { kind: 'List', items } }));
    front = await startApiFront(b.backend);
    const gz = await call(front, 'GET', '/api/v1/pods', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gz.body).toString()).items).toHaveLength(4000);
    const plain = await call(front, 'GET', '/api/v1/pods');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(plain.body.toString()).items).toHaveLength(4000);
  });

  it('encodes an OpenAPI document once, with an ETag a client revalidates against (304)', async () => {
    const doc = { openapi: '3.0.0', components: { schemas: { big: 'x'.repeat(200_000) } } };
    const b = backend((req) =>
      reply(
        req.path === '/openapi/v3/api/v1'
          ? { status: 200, body: doc }
          : { status: 200, body: { kind: 'APIVersions' } },
      ),
    );
    front = await startApiFront(b.backend);
    const first = await call(front, 'GET', '/openapi/v3/api/v1?hash=AB', {
      'accept-encoding': 'gzip',
    });
    expect(first.status).toBe(200);
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(first.body).toString())).toEqual(doc);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[0-9A-F]{32}"$/);
    const plain = await call(front, 'GET', '/openapi/v3/api/v1');
    expect([plain.headers.etag, JSON.parse(plain.body.toString())]).toEqual([etag, doc]);
    const cached = await call(front, 'GET', '/openapi/v3/api/v1', { 'if-none-match': etag });
    expect([cached.status, cached.body.length, cached.headers.etag]).toEqual([304, 0, etag]);
    const stale = await call(front, 'GET', '/openapi/v3/api/v1', { 'if-none-match': '"OLD"' });
    expect(stale.status).toBe(200);
    // Only OpenAPI documents are served this way.
    expect((await call(front, 'GET', '/api')).headers.etag).toBeUndefined();
  });

  it('turns an unanswered or refused call into 504 and 503 Status answers', async () => {
    const b = backend((req) => (req.path === '/slow' ? { kind: 'timeout' } : { kind: 'refused' }));
    front = await startApiFront(b.backend);
    expect((await call(front, 'GET', '/slow')).status).toBe(504);
    expect((await call(front, 'GET', '/down')).status).toBe(503);
  });

  it('streams a watch as JSON lines and closes the backend stream when the client leaves', async () => {
    const b = backend(() => reply({ status: 200, body: {} }));
    front = await startApiFront(b.backend);
    const f = front;
    const lines: string[] = [];
    let statusCode = 0;
    const done = new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${f.url}/api/v1/pods?watch=true&resourceVersion=5`, (res) => {
        statusCode = res.statusCode ?? 0;
        res.setEncoding('utf8');
        let buffered = '';
        res.on('data', (chunk: string) => {
          buffered += chunk;
          const parts = buffered.split('\n');
          buffered = parts.pop() ?? '';
          lines.push(...parts);
        });
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    while (b.watches.length === 0) await new Promise((r) => setTimeout(r, 5));
    const w = b.watches[0];
    expect(w?.req).toMatchObject({
      path: '/api/v1/pods',
      query: { watch: 'true', resourceVersion: '5' },
    });
    expect(front.watches).toBe(1);
    w?.handlers.onMessage({ type: 'ADDED', object: { kind: 'Pod', metadata: { name: 'a' } } });
    w?.handlers.onMessage({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired' },
    });
    w?.handlers.onClose('expired');
    await done;
    expect(statusCode).toBe(200);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { type: 'ADDED', object: { kind: 'Pod', metadata: { name: 'a' } } },
      { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } },
    ]);
    expect(front.watches).toBe(0);

    // A client that goes away closes the stream it opened.
    const gone = httpRequest(`${f.url}/api/v1/pods?watch=1`);
    // Destroying it below fails it with "socket hang up" (ECONNRESET): expected, not an error.
    gone.on('error', () => {});
    gone.end();
    while (b.watches.length < 2) await new Promise((r) => setTimeout(r, 5));
    gone.destroy();
    while (b.watches[1]?.closed !== true) await new Promise((r) => setTimeout(r, 5));
    expect(front.watches).toBe(0);
  });

  it('authenticates a client certificate its CA signed as CN and O, and refuses another with 401', async () => {
    const pki = makeServingCertificates();
    const b = backend(() => reply({ status: 200, body: { kind: 'Status' } }));
    front = await startApiFront(b.backend, {
      tls: {
        ...pki,
        clientAuth: {
          clientCA: pki.ca,
          credential: (s) => `Bearer as:${s.user}:${s.groups.join('+')}`,
        },
      },
    });
    const url = front.url;
    const get = (client?: ClientCertificate, token?: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest(
          `${url}/api`,
          {
            ca: pki.ca,
            ...(client ?? {}),
            headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const signed = signClientCertificate(pki, { user: 'ann', groups: ['dev', 'ops'] });
    expect(await get(signed, 'ignored')).toBe(200);
    expect(b.seen.at(-1)?.authorization).toBe('Bearer as:ann:dev+ops');
    // No certificate: the token goes through as it came.
    expect(await get(undefined, 'tok')).toBe(200);
    expect(b.seen.at(-1)?.authorization).toBe('Bearer tok');
    // A certificate another CA signed authenticates nobody: 401 without a token, the token
    // with one (upstream's union authenticator).
    const rogue = signClientCertificate(makeServingCertificates(), { user: 'ann', groups: [] });
    const seen = b.seen.length;
    expect(await get(rogue)).toBe(401);
    expect(b.seen.length).toBe(seen);
    expect(await get(rogue, 'tok')).toBe(200);
    expect(b.seen.at(-1)?.authorization).toBe('Bearer tok');
  });
});
