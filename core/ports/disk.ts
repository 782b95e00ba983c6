/**
 * A process's local disk. Appends are buffered until `fsync`; a crash loses what was not
 * synced (and, as a fault option in simulation, may leave a torn prefix of the last buffered
 * append, which readers must detect with checksums). `writeFile` and `remove` are atomic and
 * durable when their promise resolves (temp file, fsync, rename, directory fsync in real mode).
 *
 * Requests take effect in the order they were issued, whether or not the caller awaits them
 * (the WAL appends without waiting, then fsyncs): an fsync covers every append issued before
 * it, and a read or a listing sees every write issued before it. A real host keeps a queue per
 * process to honour this. Only reads report failure; an append, fsync or write that fails
 * leaves the process unable to trust its own disk, so the real host crashes the process, as
 * etcd does when fsync fails.
 *
 * What is appended or written may be `LazyBytes`: the simulated disk keeps the object and
 * encodes it only when the file is read back (or an append is torn by a crash); a real disk
 * encodes it when written. Either way the caller hands the content over: it must not change.
 */
import type { Bytes } from './lazy-bytes.ts';

export type DiskReadResult =
  | { readonly ok: true; readonly data: Uint8Array | undefined }
  | { readonly ok: false; readonly error: 'io' };

export interface Disk {
  append(path: string, data: Bytes): Promise<void>;
  fsync(path: string): Promise<void>;
  writeFile(path: string, data: Bytes): Promise<void>;
  /** Current content including buffered appends; `data` is undefined for a missing file. */
  read(path: string): Promise<DiskReadResult>;
  remove(path: string): Promise<void>;
  /**
   * Paths that exist under `prefix`, sorted. Asynchronous because a real host reads a
   * directory; the answer reflects every request issued before it.
   */
  list(prefix?: string): Promise<readonly string[]>;
}
