import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir, and its removal (for afterEach/finally). */
export function tempDir(label: string): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `ksim-${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
