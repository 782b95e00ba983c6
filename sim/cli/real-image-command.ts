/**
 * `ksim real image build`: the local busybox image real-mode pods run (no registry is reachable
 * from real-mode hosts), written as an OCI archive and/or imported into a containerd.
 */
import { writeFileSync } from 'node:fs';
import { Ctr } from '../../real/containerd/ctr.ts';
import { importBusyboxImage } from '../../real/image/import.ts';
import { buildBusyboxImage, BUSYBOX_BINARY, LOCAL_IMAGE } from '../../real/image/oci-image.ts';
import { CliError, EXIT_OK, fsReason } from './errors.ts';
import { existsSync } from 'node:fs';

export interface RealImageBuildOptions {
  /** Write the OCI archive here. */
  readonly out?: string;
  /** Import into the containerd listening on this socket ... */
  readonly address?: string;
  /** ... in this containerd namespace. */
  readonly namespace?: string;
}

export async function realImageBuildCommand(
  opts: RealImageBuildOptions,
  out: (line: string) => void,
): Promise<number> {
  if (opts.out === undefined && opts.address === undefined) {
    throw new CliError('say where the image goes: --out <file>, --address <socket>, or both');
  }
  if (!existsSync(BUSYBOX_BINARY)) {
    throw new CliError(`${BUSYBOX_BINARY} is missing: apt-get install busybox-static`);
  }
  if (opts.out !== undefined) {
    const image = buildBusyboxImage();
    try {
      writeFileSync(opts.out, image.archive);
    } catch (e) {
      throw new CliError(`cannot write the image archive ${opts.out}: ${fsReason(e)}`);
    }
    out(`${LOCAL_IMAGE} ${image.manifestDigest} written to ${opts.out}`);
  }
  if (opts.address !== undefined) {
    const r = await importBusyboxImage(new Ctr(opts.address, opts.namespace ?? 'default'));
    if (!r.ok) throw new CliError(r.message);
    out(
      `${r.image} ${r.digest} imported into ${opts.address} (namespace ${opts.namespace ?? 'default'})`,
    );
  }
  return EXIT_OK;
}
