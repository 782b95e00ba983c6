/**
 * Malformed and hostile HTTP against the front: every bad request gets a Status answer or a
 * closed connection, and the front keeps serving everyone else.
 */
import { connect, type Socket } from 'node:net';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../../core/api/http.ts';
import { startApiFront, type ApiFront } from '../../../real/http/api-front.ts';

let front: ApiFront | undefined;
const seen: ApiRequest[] = [];

afterEach(async () => {
  await front?.close();
  front = undefined;
  seen.length = 0;
});

async function start(options: Parameters<typeof startApiFront>[1] = {}): Promise<ApiFront> {
  front = await startApiFront(
    {
      request: (req) => {
        seen.push(req);
        return Promise.resolve({
          kind: 'reply',
          body: { status: 200, body: { kind: 'Namespace' } },
        });
      },
      watch: () => ({ close: () => {} }),
    },
    options,
  );
  return front;
}

/** Writes raw bytes on a fresh connection; resolves with everything read until it closes. */
function raw(f: ApiFront, bytes: string | Buffer, endAfterWrite = false): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(f.port, '127.0.0.1');
    let read = '';
    socket.on('data', (d) => (read += d.toString()));
    socket.on('close', () => resolve(read));
    socket.on('error', () => {});
    socket.write(bytes, () => {
      if (endAfterWrite) socket.end();
    });
  });
}

function get(f: ApiFront, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${f.url}${path}`, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const statusLine = (response: string): string => response.split('\r\n')[0] ?? '';

describe('malformed HTTP', () => {
  it('answers invalid JSON, wrong content types and unknown methods with Status errors', async () => {
    const f = await start();
    const post = (type: string, body: string): string =>
      `POST /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
    const invalid = await raw(f, post('application/json', '{"kind": "Namespace",'));
    expect(statusLine(invalid)).toBe('HTTP/1.1 400 Bad Request');
    expect(invalid).toContain('"reason":"BadRequest"');
    expect(statusLine(await raw(f, post('text/csv', 'a,b')))).toBe(
      'HTTP/1.1 415 Unsupported Media Type',
    );
    expect(
      statusLine(await raw(f, post('application/vnd.kubernetes.protobuf', 'not protobuf'))),
    ).toBe('HTTP/1.1 415 Unsupported Media Type');
    expect(
      statusLine(await raw(f, 'TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')),
    ).toBe('HTTP/1.1 405 Method Not Allowed');
    expect(seen).toEqual([]);
  });

  it('answers a path with a broken percent-encoding with 400', async () => {
    const f = await start();
    const r = await raw(
      f,
      'GET /api/v1/namespaces/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(statusLine(r)).toBe('HTTP/1.1 400 Bad Request');
    expect(r).toContain('malformed request target');
    expect(await get(f, '/api/v1/namespaces/default')).toBe(200);
  });

  it('closes the connection of a request line that is not HTTP and keeps serving', async () => {
    const f = await start();
    const garbage = await raw(f, 'HELLO THERE\r\n\r\n');
    expect(statusLine(garbage)).toBe('HTTP/1.1 400 Bad Request');
    expect(await get(f, '/api/v1/namespaces/default')).toBe(200);
  });

  it('refuses a 10 MB body with 413 (the rest is read and dropped) and keeps serving', async () => {
    const f = await start();
    const body = Buffer.alloc(10 * 1024 * 1024, 0x20);
    const head = `POST /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const response = await raw(f, Buffer.concat([Buffer.from(head), body]));
    expect(statusLine(response)).toBe('HTTP/1.1 413 Payload Too Large');
    expect(response).toContain('"reason":"RequestEntityTooLarge"');
    expect(seen).toEqual([]);
    expect(await get(f, '/api/v1/namespaces/default')).toBe(200);
  });

  it('answers a body cut short by the client with 400 and serves the next client', async () => {
    const f = await start();
    const head =
      'POST /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    const response = await raw(f, `${head}{"kind":`, true);
    expect(statusLine(response)).toBe('HTTP/1.1 400 Bad Request');
    expect(response).toContain('"kind":"Status"');
    expect(seen).toEqual([]);
    expect(await get(f, '/api/v1/namespaces/default')).toBe(200);
  });

  it('closes a slowloris connection that never finishes its headers; others are served meanwhile', async () => {
    const f = await start({ headersTimeoutMs: 300, requestTimeoutMs: 300 });
    const slow: Socket = connect(f.port, '127.0.0.1');
    slow.on('error', () => {});
    let answer = '';
    slow.on('data', (d) => (answer += d.toString()));
    const closed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
    slow.write('GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => slow.write('X-Slow: 1\r\n'), 50);
    try {
      expect(await get(f, '/api/v1/namespaces/default')).toBe(200);
      await closed;
    } finally {
      clearInterval(drip);
    }
    expect(slow.destroyed).toBe(true);
    expect(statusLine(answer)).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('survives 1,000 connections opened and dropped at once', async () => {
    const f = await start();
    await Promise.all(
      Array.from(
        { length: 1000 },
        () =>
          new Promise<void>((resolve) => {
            const s = connect(f.port, '127.0.0.1', () => s.destroy());
            s.on('error', () => resolve());
            s.on('close', () => resolve());
          }),
      ),
    );
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => get(f, '/api/v1/namespaces/default')),
    );
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
  });
});
