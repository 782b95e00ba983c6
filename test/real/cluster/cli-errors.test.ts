/** `ksim real up | status | down`: bad input ends with a clear message and exit code 2. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runKsim as ksim } from '../../support/ksim-cli.ts';

describe('ksim real up/status/down input errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ksim-real-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [['--nodes', '17'], '--nodes must be an integer from 1 to 16, got 17'],
    [['--store-members', '8'], '--store-members must be an integer from 1 to 7, got 8'],
    [['--port', '70000'], '--port must be a port number (1-65535), got 70000'],
    [
      ['--store', 'http://127.0.0.1:2379'],
      '--store must be etcd://HOST:PORT[,HOST:PORT...] or etcds://... (TLS), got http://127.0.0.1:2379',
    ],
    [
      ['--store', 'etcd://127.0.0.1:2379,x'],
      "--store etcd://127.0.0.1:2379,x: 'x' is not HOST:PORT",
    ],
    [
      ['--store', 'etcd://127.0.0.1:2379', '--store-members', '3'],
      '--store-members and --store exclude each other: etcd has its own members',
    ],
  ])('up %j', async (args, message) => {
    const r = await ksim('real', 'up', '--dir', join(dir, 'c1'), ...args);
    expect(r.code).toBe(2);
    expect(r.errors).toBe(`ksim: ${message}`);
  });

  // As root only: the root check comes before the port's.
  it.skipIf(process.getuid?.() !== 0)('up refuses a port in use', async () => {
    const server: Server = createServer();
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await ksim('real', 'up', '--dir', join(dir, 'c2'), '--port', String(port));
      expect(r.code).toBe(2);
      expect(r.errors).toBe(`ksim: cannot use port ${port} on 127.0.0.1: address already in use`);
    } finally {
      server.close();
    }
  });

  // As root only: the root check comes before etcd's.
  it.skipIf(process.getuid?.() !== 0)('up refuses an etcd that does not answer', async () => {
    const server: Server = createServer();
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((ok) => server.close(() => ok()));
    const r = await ksim(
      'real',
      'up',
      '--dir',
      join(dir, 'c3'),
      '--store',
      `etcd://127.0.0.1:${port}`,
    );
    expect(r.code).toBe(2);
    expect(r.errors).toMatch(
      new RegExp(`^ksim: --store: etcd at 127.0.0.1:${port} does not answer: `),
    );
  });

  it('status and down name a directory without a cluster', async () => {
    for (const command of ['status', 'down']) {
      const r = await ksim('real', command, '--dir', dir);
      expect(r.code).toBe(2);
      expect(r.errors).toBe(`ksim: no cluster in ${dir} (ksim real up --dir ${dir} makes one)`);
    }
  });

  it('status --json prints one error document', async () => {
    const r = await ksim('real', 'status', '--dir', dir, '--json');
    expect(JSON.parse(r.output)).toEqual({
      error: { message: `no cluster in ${dir} (ksim real up --dir ${dir} makes one)`, exitCode: 2 },
    });
  });
});
