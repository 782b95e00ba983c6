import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../sim/cli/main.ts';
import { tempDir } from '../../support/temp-dir.ts';

async function ksim(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const code = await main(['node', 'ksim', 'real', 'store', ...args], () => {}, {
    err: (s) => err.push(s),
  });
  return { code, stderr: err.join('\n') };
}

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

describe('ksim real store: bad input exits 2 and says what is wrong', () => {
  const peers = 'etcd-0=127.0.0.1:1,etcd-1=127.0.0.1:2';
  const cases: [string, string[], string][] = [
    [
      'a peer list without addresses',
      ['--name', 'etcd-0', '--listen', '127.0.0.1:1', '--peers', 'etcd-0,etcd-1'],
      'ksim: --peers: expected name=host:port, got "etcd-0"',
    ],
    [
      'a name not among the peers',
      ['--name', 'etcd-9', '--listen', '127.0.0.1:1', '--peers', peers],
      'ksim: --name etcd-9 is not among --peers (etcd-0, etcd-1)',
    ],
    [
      'a listen address without a port',
      ['--name', 'etcd-0', '--listen', 'localhost', '--peers', peers],
      'ksim: --listen: expected host:port, got "localhost"',
    ],
    [
      'a tick below a millisecond',
      ['--name', 'etcd-0', '--listen', '127.0.0.1:1', '--peers', peers, '--tick', '500us'],
      'ksim: --tick must be at least 1ms (timers are whole milliseconds)',
    ],
  ];
  it.each(cases)('%s', async (_what, args, message) => {
    const dir = tempDir('store-cli');
    dirs.push(dir);
    const r = await ksim(['--data-dir', dir.path, ...args]);
    expect(r).toEqual({ code: 2, stderr: message });
  });

  it('an address another process listens on', async () => {
    const dir = tempDir('store-cli');
    dirs.push(dir);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await ksim([
        '--data-dir',
        dir.path,
        '--name',
        'etcd-0',
        '--listen',
        `127.0.0.1:${port}`,
        '--peers',
        `etcd-0=127.0.0.1:${port}`,
      ]);
      expect(r).toEqual({
        code: 2,
        stderr: `ksim: cannot listen on 127.0.0.1:${port}: the address is in use`,
      });
    } finally {
      server.close();
    }
  });
});
