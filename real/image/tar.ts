/**
 * A POSIX ustar archive writer: the few entry types an image layer and an OCI layout need
 * (files, directories, symlinks). Every header has mtime 0 and uid/gid 0, so the same input
 * gives the same bytes and the image built from it the same digest on every machine.
 */
import assert from 'node:assert/strict';

export type TarEntry =
  | { readonly kind: 'file'; readonly path: string; readonly mode: number; readonly data: Buffer }
  | { readonly kind: 'dir'; readonly path: string; readonly mode: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string };

const BLOCK_BYTES = 512;

export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry));
    if (entry.kind === 'file') {
      parts.push(entry.data, Buffer.alloc(padding(entry.data.length)));
    }
  }
  // The end of an archive is two zero blocks.
  parts.push(Buffer.alloc(2 * BLOCK_BYTES));
  return Buffer.concat(parts);
}

function padding(size: number): number {
  return (BLOCK_BYTES - (size % BLOCK_BYTES)) % BLOCK_BYTES;
}

function header(entry: TarEntry): Buffer {
  const block = Buffer.alloc(BLOCK_BYTES);
  const name = entry.kind === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  assert(Buffer.byteLength(name) <= 100, `tar: path too long for ustar: ${name}`);
  block.write(name, 0, 100, 'utf8');
  const mode = entry.kind === 'symlink' ? 0o777 : entry.mode;
  octal(block, 100, 8, mode);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, entry.kind === 'file' ? entry.data.length : 0);
  octal(block, 136, 12, 0);
  block.write(typeFlag(entry), 156, 1, 'latin1');
  if (entry.kind === 'symlink') {
    assert(Buffer.byteLength(entry.target) <= 100, `tar: link target too long: ${entry.target}`);
    block.write(entry.target, 157, 100, 'utf8');
  }
  block.write('ustar\u000000', 257, 8, 'latin1');
  // The checksum is computed with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return block;
}

function typeFlag(entry: TarEntry): string {
  switch (entry.kind) {
    case 'file':
      return '0';
    case 'dir':
      return '5';
    case 'symlink':
      return '2';
  }
}

function octal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width, 'latin1');
}
