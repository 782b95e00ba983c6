import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerd, type Containerd } from '../../../real/containerd/daemon.ts';
import { importBusyboxImage } from '../../../real/image/import.ts';
import { LOCAL_IMAGE } from '../../../real/image/oci-image.ts';
import { realRuntimeUnavailable } from './host.ts';

const unavailable = realRuntimeUnavailable();

describe.skipIf(unavailable !== undefined)('a private containerd', () => {
  let daemon: Containerd | undefined;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ksim-containerd-'));
    daemon = await startContainerd({ dir: join(dir, 'containerd') });
  });

  afterAll(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers on its own socket, in its own namespace', async () => {
    const d = daemon!;
    expect(d.address.startsWith(dir)).toBe(true);
    expect(d.namespace).toMatch(/^ksim-[0-9a-f]{8}$/);
    const version = await d.ctr.run(['version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toContain('Server:');
  });

  it('imports the local busybox image under its ksim.local name', async () => {
    const d = daemon!;
    const r = await importBusyboxImage(d.ctr);
    expect(r).toMatchObject({ ok: true, image: LOCAL_IMAGE });
    const images = await d.ctr.run(['images', 'ls', '-q']);
    expect(images.stdout.split('\n')).toContain(LOCAL_IMAGE);
  });

  it('stop() kills running tasks and removes every file it made', async () => {
    const d = await startContainerd({ dir: join(dir, 'second') });
    try {
      expect((await importBusyboxImage(d.ctr)).ok).toBe(true);
      const run = await d.ctr.run([
        'run',
        '-d',
        '--null-io',
        LOCAL_IMAGE,
        'sleeper',
        'sleep',
        '600',
      ]);
      expect(run.code).toBe(0);
      const tasks = await d.ctr.run(['tasks', 'ls', '-q']);
      expect(tasks.stdout.trim()).toBe('sleeper');
    } finally {
      await d.stop();
    }
    expect(existsSync(join(dir, 'second'))).toBe(false);
    expect(existsSync(`/run/containerd/runc/${d.namespace}`)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/memory/${d.namespace}`)).toBe(false);
  });
});
