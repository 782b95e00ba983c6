/**
 * The local image real mode runs: busybox-static's one binary and links to the applets pods use
 * (sh, httpd, nc, sleep ...), as a single-layer OCI image in an OCI layout archive, the format
 * `ctr images import` reads. No registry is reachable from these machines, so this is the one
 * image nodes have; manifests name it as LOCAL_IMAGE.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tarArchive, type TarEntry } from './tar.ts';

export const LOCAL_IMAGE = 'ksim.local/busybox:1';
export const BUSYBOX_BINARY = '/bin/busybox';

/** Applets linked into /bin: what pods and tests run, and the shell's everyday tools. */
const APPLETS = [
  'cat',
  'date',
  'echo',
  'env',
  'false',
  'grep',
  'head',
  'hostname',
  'httpd',
  'id',
  'ip',
  'kill',
  'ls',
  'mkdir',
  'nc',
  'ps',
  'rm',
  'sed',
  'sh',
  'sleep',
  'stty',
  'tail',
  'test',
  'tr',
  'true',
  'tty',
  'wc',
  'yes',
] as const;

const MEDIA_LAYER = 'application/vnd.oci.image.layer.v1.tar';
const MEDIA_CONFIG = 'application/vnd.oci.image.config.v1+json';
const MEDIA_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MEDIA_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface OciImageArchive {
  /** The OCI layout as a tar archive. */
  readonly archive: Buffer;
  /** sha256:<hex> of the manifest: what containerd reports as the image's digest. */
  readonly manifestDigest: string;
}

interface Blob {
  readonly digest: string;
  readonly data: Buffer;
}

function blob(data: Buffer): Blob {
  return { digest: `sha256:${createHash('sha256').update(data).digest('hex')}`, data };
}

function jsonBlob(value: unknown): Blob {
  return blob(Buffer.from(JSON.stringify(value)));
}

/** Go's GOARCH names, which OCI platforms use. */
export function ociArchitecture(nodeArch: string): string {
  switch (nodeArch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    default:
      return nodeArch;
  }
}

export function busyboxLayer(busybox: Buffer): Buffer {
  const dir = (path: string, mode = 0o755): TarEntry => ({ kind: 'dir', path, mode });
  return tarArchive([
    dir('bin'),
    { kind: 'file', path: 'bin/busybox', mode: 0o755, data: busybox },
    ...APPLETS.map((name): TarEntry => ({
      kind: 'symlink',
      path: `bin/${name}`,
      target: 'busybox',
    })),
    dir('dev'),
    dir('etc'),
    dir('proc'),
    dir('sys'),
    dir('tmp', 0o1777),
    dir('var'),
    dir('var/www'),
  ]);
}

export function buildBusyboxImage(
  name: string = LOCAL_IMAGE,
  busybox: Buffer = readFileSync(BUSYBOX_BINARY),
  architecture: string = ociArchitecture(process.arch),
): OciImageArchive {
  const layer = blob(busyboxLayer(busybox));
  const config = jsonBlob({
    architecture,
    os: 'linux',
    config: { Env: ['PATH=/bin'], Cmd: ['sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  });
  const manifest = jsonBlob({
    schemaVersion: 2,
    mediaType: MEDIA_MANIFEST,
    config: { mediaType: MEDIA_CONFIG, digest: config.digest, size: config.data.length },
    layers: [{ mediaType: MEDIA_LAYER, digest: layer.digest, size: layer.data.length }],
  });
  const tag = name.slice(name.lastIndexOf(':') + 1);
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_INDEX,
    manifests: [
      {
        mediaType: MEDIA_MANIFEST,
        digest: manifest.digest,
        size: manifest.data.length,
        platform: { architecture, os: 'linux' },
        annotations: {
          'io.containerd.image.name': name,
          'org.opencontainers.image.ref.name': tag,
        },
      },
    ],
  };
  const blobEntries = [layer, config, manifest].map((b): TarEntry => ({
    kind: 'file',
    path: `blobs/sha256/${b.digest.slice('sha256:'.length)}`,
    mode: 0o644,
    data: b.data,
  }));
  const archive = tarArchive([
    {
      kind: 'file',
      path: 'oci-layout',
      mode: 0o644,
      data: Buffer.from('{"imageLayoutVersion":"1.0.0"}'),
    },
    { kind: 'file', path: 'index.json', mode: 0o644, data: Buffer.from(JSON.stringify(index)) },
    { kind: 'dir', path: 'blobs', mode: 0o755 },
    { kind: 'dir', path: 'blobs/sha256', mode: 0o755 },
    ...blobEntries,
  ]);
  return { archive, manifestDigest: manifest.digest };
}
