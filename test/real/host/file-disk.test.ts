import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileDisk } from '../../../real/host/file-disk.ts';
import { diskContract } from '../../support/disk-contract.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function freshDisk(): { disk: FileDisk; root: string; failures: string[] } {
  const dir = tempDir('disk');
  dirs.push(dir);
  const failures: string[] = [];
  return { disk: new FileDisk(dir.path, (what) => failures.push(what)), root: dir.path, failures };
}

diskContract('files', async (script) => {
  const { disk, failures } = freshDisk();
  await script(disk);
  await disk.close();
  expect(failures).toEqual([]);
});

describe('FileDisk', () => {
  it('keeps port paths as files under its root, leaving no temporary file behind', async () => {
    const { disk, root } = freshDisk();
    await disk.writeFile('m/snap/1.snap', new TextEncoder().encode('s'));
    await disk.append('m/wal/1.wal', new TextEncoder().encode('w'));
    await disk.fsync('m/wal/1.wal');
    await disk.close();
    expect(readFileSync(join(root, 'm', 'snap', '1.snap'), 'utf8')).toBe('s');
    expect(readFileSync(join(root, 'm', 'wal', '1.wal'), 'utf8')).toBe('w');
    expect(readdirSync(join(root, 'm', 'snap'))).toEqual(['1.snap']);
  });

  it('finds what an earlier process made durable, and removes a crash-left temporary file', async () => {
    const first = freshDisk();
    await first.disk.append('wal', new TextEncoder().encode('synced'));
    await first.disk.fsync('wal');
    writeFileSync(join(first.root, 'snap.3.ksim-tmp'), 'torn');
    const again = new FileDisk(first.root, () => {});
    const r = await again.read('wal');
    expect(r.ok && new TextDecoder().decode(r.data)).toBe('synced');
    expect(await again.list()).toEqual(['wal']);
    expect(readdirSync(first.root)).toEqual(['wal']);
    await again.close();
    await first.disk.close();
  });

  it('reports a failed write to the host, whose promise then never settles', async () => {
    const { disk, root, failures } = freshDisk();
    writeFileSync(join(root, 'blocker'), 'a file where a directory should be');
    let settled = false;
    void disk.append('blocker/wal', new Uint8Array([1])).then(() => (settled = true));
    await disk.list();
    expect(failures).toEqual(['append blocker/wal']);
    expect(settled).toBe(false);
    expect(existsSync(join(root, 'blocker'))).toBe(true);
  });

  it('answers a read that fails for a reason other than absence as an I/O error', async () => {
    const { disk } = freshDisk();
    await disk.writeFile('d/f', new Uint8Array([1]));
    expect(await disk.read('d')).toEqual({ ok: false, error: 'io' });
  });

  it('refuses paths that could leave its root', () => {
    const { disk } = freshDisk();
    expect(() => disk.read('../x')).toThrow(/relative/);
    expect(() => disk.read('/etc/passwd')).toThrow(/relative/);
  });
});
