import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Disk, DiskReadResult } from '../../core/ports/disk.ts';
import { toBytes, type Bytes } from '../../core/ports/lazy-bytes.ts';
import { assert } from '../../core/util/assert.ts';

/** The suffix of writeFile's temporary files: never a port path, never listed. */
const TEMP_SUFFIX = '.ksim-tmp';

/**
 * Called when a write, fsync, rename or removal fails. The port has no failure result for
 * them: a process that cannot trust its own disk must stop (etcd panics when fsync fails), so
 * the host process exits. The returned promise of the failed request never settles.
 */
export type DiskFailure = (what: string, error: unknown) => void;

/**
 * The Disk port on a directory. Port paths (`member/wal/0001.wal`) are relative, '/'-separated,
 * and name files under `root`; their directories are made as needed.
 *
 * Every request joins one queue and runs after the one issued before it, so an fsync covers
 * every append issued before it and a read or a listing sees every earlier write, as the port
 * promises, whether or not the caller awaited them. Appends go through a file handle kept open
 * per file (written at once, so reads see them); `fsync` is fdatasync of the file, plus fsync
 * of every directory that gained or lost an entry since (a new WAL segment is durable only
 * once its directory entry is). `writeFile` writes a temporary file, fsyncs it, renames it over
 * the target and fsyncs the directory: after a crash the target is either old or new, never
 * torn. `remove` unlinks and fsyncs the directory.
 */
export class FileDisk implements Disk {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly handles = new Map<string, FileHandle>();
  /** Directories whose entries changed since their last fsync. */
  private readonly dirtyDirs = new Set<string>();
  private tempCount = 0;

  constructor(
    readonly root: string,
    private readonly onFailure: DiskFailure,
  ) {
    // A process killed inside writeFile leaves its temporary file: the first request removes
    // such leftovers (the target file itself is whole, old or new).
    void this.write(`clean ${root}`, () => this.removeLeftovers(''));
  }

  append(path: string, data: Bytes): Promise<void> {
    const copy = toBytes(data).slice();
    const target = this.file(path);
    return this.write(`append ${path}`, async () => {
      const handle = await this.handle(path, target);
      await handle.write(copy);
    });
  }

  fsync(path: string): Promise<void> {
    this.file(path);
    return this.write(`fsync ${path}`, async () => {
      await this.handles.get(path)?.datasync();
      await this.syncDirs();
    });
  }

  writeFile(path: string, data: Bytes): Promise<void> {
    const copy = toBytes(data).slice();
    const target = this.file(path);
    return this.write(`write ${path}`, async () => {
      await this.closeHandle(path);
      await this.makeDirs(dirname(target));
      const temp = `${target}.${++this.tempCount}${TEMP_SUFFIX}`;
      const handle = await open(temp, 'w');
      try {
        await handle.write(copy);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
      this.dirtyDirs.add(dirname(target));
      await this.syncDirs();
    });
  }

  read(path: string): Promise<DiskReadResult> {
    const target = this.file(path);
    return this.enqueue(async () => {
      try {
        return { ok: true, data: new Uint8Array(await readFile(target)) } as const;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, data: undefined };
        return { ok: false, error: 'io' } as const;
      }
    });
  }

  remove(path: string): Promise<void> {
    const target = this.file(path);
    return this.write(`remove ${path}`, async () => {
      await this.closeHandle(path);
      try {
        await unlink(target);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      this.dirtyDirs.add(dirname(target));
      await this.syncDirs();
    });
  }

  list(prefix = ''): Promise<readonly string[]> {
    return this.write(`list ${this.root}`, async () => {
      const out: string[] = [];
      await this.walk('', out);
      return out.filter((p) => p.startsWith(prefix)).sort();
    });
  }

  /** Closes every open file (a clean shutdown; a crash simply loses the handles). */
  close(): Promise<void> {
    return this.enqueue(async () => {
      for (const path of [...this.handles.keys()]) await this.closeHandle(path);
    });
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** A request that must not fail: a failure goes to `onFailure` and never settles. */
  private write<T>(what: string, op: () => Promise<T>): Promise<T> {
    return this.enqueue(op).catch((e: unknown) => {
      this.onFailure(what, e);
      return new Promise<T>(() => {});
    });
  }

  private file(path: string): string {
    const parts = path.split('/');
    assert(
      path.length > 0 &&
        !path.endsWith(TEMP_SUFFIX) &&
        parts.every((p) => p !== '' && p !== '.' && p !== '..'),
      `disk path must be relative, '/'-separated, without '.' or '..' segments: ${JSON.stringify(path)}`,
    );
    return join(this.root, ...parts);
  }

  private async handle(path: string, target: string): Promise<FileHandle> {
    const opened = this.handles.get(path);
    if (opened !== undefined) return opened;
    await this.makeDirs(dirname(target));
    let handle: FileHandle;
    try {
      // O_EXCL tells a new file from an existing one: only a new one dirties its directory.
      handle = await open(
        target,
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL,
      );
      this.dirtyDirs.add(dirname(target));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      handle = await open(target, 'a');
    }
    this.handles.set(path, handle);
    return handle;
  }

  private async closeHandle(path: string): Promise<void> {
    const handle = this.handles.get(path);
    if (handle === undefined) return;
    this.handles.delete(path);
    await handle.datasync();
    await handle.close();
  }

  /** mkdir -p, remembering each directory it made as an entry of its parent. */
  private async makeDirs(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined) return;
    for (let d = dir; d.length >= first.length; d = dirname(d)) this.dirtyDirs.add(dirname(d));
  }

  /** Deepest first, so a new directory is durable before the entry that names it. */
  private async syncDirs(): Promise<void> {
    const dirs = [...this.dirtyDirs].sort((a, b) => b.length - a.length);
    this.dirtyDirs.clear();
    for (const dir of dirs) {
      const handle = await open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }

  private async removeLeftovers(rel: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(join(this.root, rel), { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const entry of entries) {
      const path = join(rel, entry.name);
      if (entry.isDirectory()) await this.removeLeftovers(path);
      else if (entry.name.endsWith(TEMP_SUFFIX)) await unlink(join(this.root, path));
    }
  }

  private async walk(rel: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(rel === '' ? this.root : join(this.root, rel), {
        withFileTypes: true,
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const entry of entries) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) await this.walk(path, out);
      else if (entry.isFile() && !entry.name.endsWith(TEMP_SUFFIX)) out.push(path);
    }
  }
}
