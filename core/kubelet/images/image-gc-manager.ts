/**
 * Image garbage collection (pkg/kubelet/images/image_gc_manager.go):
 * - detectImages keeps a record per image the runtime lists: when it was first seen, when a
 *   container last used it (every container the runtime lists counts, exited ones too, as
 *   upstream lists all pods' containers), and its size; records of vanished images go;
 * - garbageCollect, every ImageGCPeriod (5 min): images unused for longer than
 *   imageMaximumGCAge go first (when set); then, when the image filesystem is at or above
 *   imageGCHighThresholdPercent, unused images are removed least recently used first (ties:
 *   first detected first), each at least imageMinimumGCAge old, until usage is down to
 *   imageGCLowThresholdPercent. Falling short is upstream's FreeDiskSpaceFailed Event;
 * - deleteUnusedImages, for the eviction manager: every unused image old enough goes.
 * Images in use and pinned images are never removed.
 */
import type { ImageInfo, Runtime } from '../../ports/runtime.ts';
import type { ProcessPorts } from '../../ports/process.ts';

/** ImageGCPeriod. */
export const IMAGE_GC_PERIOD_US = 5 * 60 * 1_000_000;

export interface ImageGCPolicy {
  /** imageGCHighThresholdPercent (85): usage at or above this starts a collection; 100 turns GC off. */
  readonly highThresholdPercent: number;
  /** imageGCLowThresholdPercent (80): a collection frees down to this usage. */
  readonly lowThresholdPercent: number;
  /** imageMinimumGCAge (2 min): a younger image (first detected since) is never removed. */
  readonly minAgeUs: number;
  /** imageMaximumGCAge (0: off): an image unused for longer is removed whatever the usage. */
  readonly maxAgeUs: number;
}

/** The image filesystem's size and free room (the stats provider's ImageFsStats). */
export interface ImageFsStats {
  readonly capacityBytes: number;
  readonly availableBytes: number;
}

export type ImageGCTrigger = 'gc' | 'eviction';

export interface ImageGCHost {
  /** Capacity and available bytes of the image filesystem; undefined when unknown. */
  imageFsStats(): Promise<ImageFsStats | undefined>;
  /** An image went (the kubelet traces it). */
  removed(image: ImageInfo, trigger: ImageGCTrigger): void;
  /** A Warning Event about the node (FreeDiskSpaceFailed, InvalidDiskCapacity). */
  warn(reason: string, message: string): void;
}

interface ImageRecord {
  readonly firstDetectedUs: number;
  /** -Infinity: never seen in use. */
  lastUsedUs: number;
  info: ImageInfo;
}

/** A collection's outcome: undefined when it did its job, else upstream's error text. */
export type GCResult = string | undefined;

export class ImageGCManager {
  private readonly records = new Map<string, ImageRecord>();

  constructor(
    private readonly ports: Pick<ProcessPorts, 'clock'>,
    private readonly runtime: Pick<Runtime, 'listImages' | 'removeImage' | 'listContainers'>,
    private readonly policy: ImageGCPolicy,
    private readonly host: ImageGCHost,
  ) {}

  /** garbageCollect: the periodic collection. */
  async garbageCollect(): Promise<GCResult> {
    const nowUs = this.ports.clock.now();
    const candidates = await this.imagesInEvictionOrder(nowUs);
    if (typeof candidates === 'string') return candidates;
    let images = candidates;
    if (this.policy.maxAgeUs > 0) images = await this.freeOldImages(images, nowUs);
    const fs = await this.host.imageFsStats();
    if (fs === undefined) return 'failed to get image stats: image filesystem stats unavailable';
    const capacity = fs.capacityBytes;
    const available = Math.min(fs.availableBytes, capacity);
    if (capacity <= 0) {
      const message = 'invalid capacity 0 on image filesystem';
      this.host.warn('InvalidDiskCapacity', message);
      return message;
    }
    const usagePercent = 100 - Math.trunc((available * 100) / capacity);
    if (usagePercent < this.policy.highThresholdPercent) return undefined;
    const amountToFree =
      Math.trunc((capacity * (100 - this.policy.lowThresholdPercent)) / 100) - available;
    const freed = await this.freeSpace(amountToFree, nowUs, images, 'gc');
    if (freed < amountToFree) {
      const message = `Failed to garbage collect required amount of images. Attempted to free ${amountToFree} bytes, but only found ${freed} bytes eligible to free.`;
      this.host.warn('FreeDiskSpaceFailed', message);
      return message;
    }
    return undefined;
  }

  /** DeleteUnusedImages: every unused image old enough goes; the bytes freed. */
  async deleteUnusedImages(): Promise<number> {
    const nowUs = this.ports.clock.now();
    const images = await this.imagesInEvictionOrder(nowUs);
    if (typeof images === 'string') return 0;
    return this.freeSpace(Infinity, nowUs, images, 'eviction');
  }

  /** detectImages: refreshes the records; the ids of images some container uses. */
  private async detectImages(nowUs: number): Promise<Set<string> | string> {
    const images = await this.runtime.listImages();
    if (!images.ok) return `failed to list images: ${images.message}`;
    const containers = await this.runtime.listContainers();
    if (!containers.ok) return `failed to list containers: ${containers.message}`;
    const used = new Set(containers.value.map((c) => c.image));
    const inUse = new Set<string>();
    const present = new Set<string>();
    for (const info of images.value) {
      present.add(info.id);
      let record = this.records.get(info.id);
      if (record === undefined) {
        record = { firstDetectedUs: nowUs, lastUsedUs: -Infinity, info };
        this.records.set(info.id, record);
      }
      record.info = info;
      if (isUsed(info, used)) {
        record.lastUsedUs = nowUs;
        inUse.add(info.id);
      }
    }
    for (const id of [...this.records.keys()]) if (!present.has(id)) this.records.delete(id);
    return inUse;
  }

  /** The unused, unpinned images, least recently used first, then first detected first. */
  private async imagesInEvictionOrder(nowUs: number): Promise<ImageRecord[] | string> {
    const inUse = await this.detectImages(nowUs);
    if (typeof inUse === 'string') return inUse;
    return [...this.records.values()]
      .filter((r) => !inUse.has(r.info.id) && !r.info.pinned)
      .sort(
        (a, b) =>
          a.lastUsedUs - b.lastUsedUs ||
          a.firstDetectedUs - b.firstDetectedUs ||
          (a.info.id < b.info.id ? -1 : a.info.id > b.info.id ? 1 : 0),
      );
  }

  /** freeOldImages: images unused for longer than the maximum age go; the rest stay candidates. */
  private async freeOldImages(images: ImageRecord[], nowUs: number): Promise<ImageRecord[]> {
    const kept: ImageRecord[] = [];
    for (const r of images) {
      // An image never seen in use counts from when it was first detected.
      const since = Number.isFinite(r.lastUsedUs) ? r.lastUsedUs : r.firstDetectedUs;
      if (nowUs - since <= this.policy.maxAgeUs || !(await this.remove(r, 'gc'))) kept.push(r);
    }
    return kept;
  }

  /** freeSpace: removes candidates in order until `bytesToFree` went; the bytes freed. */
  private async freeSpace(
    bytesToFree: number,
    nowUs: number,
    images: readonly ImageRecord[],
    trigger: ImageGCTrigger,
  ): Promise<number> {
    let freed = 0;
    for (const r of images) {
      // A young image may have just been pulled for a container about to start.
      if (nowUs - r.firstDetectedUs < this.policy.minAgeUs) continue;
      if (!(await this.remove(r, trigger))) continue;
      freed += r.info.sizeBytes;
      if (freed >= bytesToFree) break;
    }
    return freed;
  }

  private async remove(r: ImageRecord, trigger: ImageGCTrigger): Promise<boolean> {
    const result = await this.runtime.removeImage(r.info.id);
    if (!result.ok) return false;
    this.records.delete(r.info.id);
    this.host.removed(r.info, trigger);
    return true;
  }
}

/** An image is used when a container names it by a tag, a digest or its id. */
function isUsed(info: ImageInfo, usedNames: ReadonlySet<string>): boolean {
  if (usedNames.has(info.id)) return true;
  return (
    info.repoTags.some((n) => usedNames.has(n)) || info.repoDigests.some((n) => usedNames.has(n))
  );
}
