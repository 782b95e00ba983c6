/**
 * Puts the local busybox image into a containerd: written as an OCI archive next to the
 * daemon's files and imported (and unpacked into its snapshotter) with `ctr images import`.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ctrError, type Ctr } from '../containerd/ctr.ts';
import { buildBusyboxImage, LOCAL_IMAGE } from './oci-image.ts';

export type ImportResult =
  | { readonly ok: true; readonly image: string; readonly digest: string }
  | { readonly ok: false; readonly message: string };

export async function importBusyboxImage(
  ctr: Ctr,
  name: string = LOCAL_IMAGE,
): Promise<ImportResult> {
  const image = buildBusyboxImage(name);
  const path = join(tmpdir(), `ksim-image-${randomBytes(6).toString('hex')}.tar`);
  writeFileSync(path, image.archive);
  try {
    const r = await ctr.run(['images', 'import', path], { timeoutMs: 120_000 });
    if (r.code !== 0) return { ok: false, message: `ctr images import: ${ctrError(r)}` };
    return { ok: true, image: name, digest: image.manifestDigest };
  } finally {
    rmSync(path, { force: true });
  }
}
