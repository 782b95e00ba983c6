/**
 * The Disk port's contract (core/ports/disk.ts), run against every implementation: the
 * simulator's (test/sim/disk.test.ts) and the host's files (test/real/host/file-disk.test.ts).
 * What a crash keeps differs by design and is tested by each host on its own.
 */
import { describe, expect, it } from 'vitest';
import type { Disk } from '../../core/ports/disk.ts';

/** Runs `script` against a fresh, empty disk. */
export type WithDisk = (script: (disk: Disk) => Promise<void>) => Promise<void>;

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function text(disk: Disk, path: string): Promise<string | undefined> {
  const r = await disk.read(path);
  if (!r.ok) throw new Error(`read ${path} failed`);
  return r.data === undefined ? undefined : new TextDecoder().decode(r.data);
}

export function diskContract(host: string, withDisk: WithDisk): void {
  describe(`Disk port contract: ${host}`, () => {
    it('reads a missing file as undefined, and appends (synced or not) as they were made', async () => {
      const seen: (string | undefined)[] = [];
      await withDisk(async (disk) => {
        seen.push(await text(disk, 'member/wal/1.wal'));
        await disk.append('member/wal/1.wal', bytes('ab'));
        seen.push(await text(disk, 'member/wal/1.wal'));
        await disk.fsync('member/wal/1.wal');
        await disk.append('member/wal/1.wal', bytes('c'));
        seen.push(await text(disk, 'member/wal/1.wal'));
      });
      expect(seen).toEqual([undefined, 'ab', 'abc']);
    });

    it('does not keep a reference to the caller buffer', async () => {
      let seen: string | undefined;
      await withDisk(async (disk) => {
        const buf = bytes('xy');
        const append = disk.append('f', buf);
        buf[0] = 0x7a;
        await append;
        seen = await text(disk, 'f');
      });
      expect(seen).toBe('xy');
    });

    it('applies requests in issue order even when nobody awaits them', async () => {
      let listed: readonly string[] = [];
      const seen: (string | undefined)[] = [];
      await withDisk(async (disk) => {
        void disk.append('d/a', bytes('1'));
        void disk.append('d/a', bytes('2'));
        void disk.fsync('d/a');
        void disk.writeFile('d/b', bytes('old'));
        void disk.writeFile('d/b', bytes('new'));
        void disk.writeFile('d/c', bytes('gone'));
        void disk.remove('d/c');
        void disk.append('e', bytes('x'));
        listed = await disk.list('d/');
        seen.push(await text(disk, 'd/a'), await text(disk, 'd/b'), await text(disk, 'd/c'));
      });
      expect(listed).toEqual(['d/a', 'd/b']);
      expect(seen).toEqual(['12', 'new', undefined]);
    });

    it('replaces a file whole with writeFile, after which appends extend the new content', async () => {
      let seen: string | undefined;
      await withDisk(async (disk) => {
        await disk.append('snap', bytes('appended'));
        await disk.writeFile('snap', bytes('whole'));
        await disk.append('snap', bytes('+more'));
        await disk.fsync('snap');
        seen = await text(disk, 'snap');
      });
      expect(seen).toBe('whole+more');
    });

    it('lists every path under a prefix, nested ones too, sorted; removing a missing file is fine', async () => {
      let all: readonly string[] = [];
      let under: readonly string[] = [];
      await withDisk(async (disk) => {
        await disk.remove('never/was');
        await disk.writeFile('m/wal/0002.wal', bytes(''));
        await disk.append('m/wal/0001.wal', bytes('x'));
        await disk.writeFile('m/snap/0001.snap', bytes('s'));
        await disk.writeFile('other', bytes('o'));
        all = await disk.list();
        under = await disk.list('m/wal/');
      });
      expect(all).toEqual(['m/snap/0001.snap', 'm/wal/0001.wal', 'm/wal/0002.wal', 'other']);
      expect(under).toEqual(['m/wal/0001.wal', 'm/wal/0002.wal']);
    });
  });
}
