/**
 * What a directory tree takes on disk, as containerd's fs.DiskUsage counts it for a snapshot's
 * usage: allocated blocks (512-byte units) of every file and directory, and its inodes, each
 * hard-linked inode once.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface DiskUsage {
  readonly bytes: number;
  readonly inodes: number;
}

/** Undefined when `dir` cannot be read (a container removed meanwhile). */
export function diskUsage(dir: string): DiskUsage | undefined {
  const seen = new Set<number>();
  let bytes = 0;
  const walk = (path: string): void => {
    const st = lstatSync(path);
    if (seen.has(st.ino)) return;
    seen.add(st.ino);
    bytes += st.blocks * 512;
    if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  try {
    walk(dir);
  } catch {
    return undefined;
  }
  return { bytes, inodes: seen.size };
}
