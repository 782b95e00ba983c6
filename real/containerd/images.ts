/**
 * What `ctr` prints about images and snapshots, read into the Runtime port's terms. ctr shows
 * sizes rounded for people ("1.9 MiB": one decimal in binary units), so sizes read from it are
 * within 0.05 of a unit of containerd's own; inode counts are exact.
 */
import type { ImageInfo } from '../../core/ports/runtime.ts';

const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  PiB: 1024 ** 5,
};

/** "1.9 MiB", "512 B" (ctr's progress.Bytes) as bytes; undefined when it is not one. */
export function parseCtrBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?(B|KiB|MiB|GiB|TiB|PiB)$/.exec(text.trim());
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? 'B'] ?? 1));
}

/**
 * `ctr images ls` (REF TYPE DIGEST SIZE PLATFORMS LABELS) as CRI images: the refs that name
 * one manifest digest are one image, its id that digest; names with `@` are digests, the
 * others tags; the repository@digest name is added as containerd's CRI plugin does.
 */
export function parseImageList(stdout: string): ImageInfo[] {
  const byDigest = new Map<string, { tags: Set<string>; digests: Set<string>; size: number }>();
  for (const line of stdout.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const [ref, , digest, amount, unit] = cols;
    if (ref === undefined || digest === undefined || !digest.startsWith('sha256:')) continue;
    const size = parseCtrBytes(`${amount ?? ''} ${unit ?? ''}`) ?? 0;
    let image = byDigest.get(digest);
    if (image === undefined) {
      image = { tags: new Set(), digests: new Set(), size };
      byDigest.set(digest, image);
    }
    if (ref.includes('@')) image.digests.add(ref);
    else {
      image.tags.add(ref);
      image.digests.add(`${repository(ref)}@${digest}`);
    }
  }
  return [...byDigest.entries()]
    .map(([id, i]) => ({
      id,
      repoTags: [...i.tags].sort(),
      repoDigests: [...i.digests].sort(),
      sizeBytes: i.size,
      pinned: false,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** "registry:5000/app:1" -> "registry:5000/app". */
function repository(ref: string): string {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? ref.slice(0, colon) : ref;
}

export interface SnapshotUsage {
  readonly key: string;
  readonly sizeBytes: number;
  readonly inodes: number;
}

/** `ctr snapshots usage` (KEY SIZE INODES). */
export function parseSnapshotUsage(stdout: string): SnapshotUsage[] {
  const out: SnapshotUsage[] = [];
  for (const line of stdout.split('\n').slice(1)) {
    const [key, amount, unit, inodes] = line.trim().split(/\s+/);
    const size = parseCtrBytes(`${amount ?? ''} ${unit ?? ''}`);
    if (key === undefined || size === undefined || inodes === undefined) continue;
    out.push({ key, sizeBytes: size, inodes: Number(inodes) });
  }
  return out;
}

/** The upperdir of `ctr snapshots mounts` (an overlay mount command): the writable layer. */
export function upperDirOf(mountCommand: string): string | undefined {
  return /(?:^|[\s,])upperdir=([^,\s]+)/.exec(mountCommand)?.[1];
}
