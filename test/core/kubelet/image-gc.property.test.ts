import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { ImageGCManager } from '../../../core/kubelet/images/image-gc-manager.ts';
import type { Clock } from '../../../core/ports/clock.ts';
import type { ContainerStatus, ImageInfo } from '../../../core/ports/runtime.ts';

const MIN = 60_000_000;
const GI = 1024 ** 3;
const NOW_MIN = 12;

const imageArb = fc.record({
  sizeGi: fc.integer({ min: 0, max: 12 }),
  /** The minute image GC first sees it; 11 is too young at minute 12 (imageMinimumGCAge 2m). */
  firstSeenMin: fc.integer({ min: 0, max: 11 }),
  /** Minutes after that a container used it, if one did. */
  usedAfterMin: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  inUseNow: fc.boolean(),
});

const worldArb = fc.record({
  images: fc.array(imageArb, { minLength: 1, maxLength: 8 }),
  otherGi: fc.integer({ min: 0, max: 90 }),
});

/**
 * One collection at minute 12 over images seen and used before (detections every minute while
 * the disk was nearly empty): it removes exactly a prefix of the eligible images in eviction
 * order (unused, old enough; least recently used, then first seen, first), only when usage is
 * at the high threshold, and stops once usage is at the low one or reports the shortfall.
 */
test.prop([worldArb], { numRuns: 300 })(
  'image GC frees a prefix of the eligible images in LRU order, never one in use or too young',
  async ({ images, otherGi }) => {
    let nowUs = 0;
    let capacity = 1_000_000 * GI;
    const present = new Map<string, ImageInfo>();
    let containers: ContainerStatus[] = [];
    const name = (i: number) => `img${i}:1`;
    const id = (i: number) => `sha256:${String(i).padStart(2, '0')}`;
    const removed: string[] = [];
    const warnings: string[] = [];
    const gc = new ImageGCManager(
      { clock: { now: () => nowUs } as unknown as Clock },
      {
        listImages: async () => ({ ok: true, value: [...present.values()] }),
        listContainers: async () => ({ ok: true, value: containers }),
        removeImage: async (image) => {
          present.delete(image);
          return { ok: true, value: undefined };
        },
      },
      { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeUs: 2 * MIN, maxAgeUs: 0 },
      {
        imageFsStats: async () => {
          let used = otherGi * GI;
          for (const i of present.values()) used += i.sizeBytes;
          return { capacityBytes: capacity, availableBytes: capacity - used };
        },
        removed: (image) => removed.push(image.id),
        warn: (reason) => warnings.push(reason),
      },
    );
    const using = (pred: (k: number) => boolean): ContainerStatus[] =>
      images.flatMap((_, k) =>
        pred(k)
          ? [
              {
                id: `c${k}`,
                sandboxId: 's',
                name: 'c',
                attempt: 0,
                image: name(k),
                state: 'exited',
              },
            ]
          : [],
      );
    const usedAt = images.map((im) =>
      im.usedAfterMin === undefined ? undefined : im.firstSeenMin + im.usedAfterMin,
    );
    for (let t = 0; t < NOW_MIN; t++) {
      nowUs = t * MIN;
      images.forEach((im, k) => {
        if (im.firstSeenMin === t)
          present.set(id(k), {
            id: id(k),
            repoTags: [name(k)],
            repoDigests: [],
            sizeBytes: im.sizeGi * GI,
            pinned: false,
          });
      });
      containers = using((k) => usedAt[k] === t);
      await gc.garbageCollect();
    }
    expect(removed).toEqual([]);
    nowUs = NOW_MIN * MIN;
    capacity = 100 * GI;
    containers = using((k) => images[k]?.inUseNow === true);
    const usedBefore = otherGi * GI + images.reduce((n, im) => n + im.sizeGi * GI, 0);
    const error = await gc.garbageCollect();

    const lastUsed = (k: number): number => {
      const u = usedAt[k];
      return u === undefined || u >= NOW_MIN ? -Infinity : u;
    };
    const eligible = images
      .map((im, k) => ({ im, k }))
      .filter(({ im }) => !im.inUseNow && NOW_MIN - im.firstSeenMin >= 2)
      .sort(
        (a, b) =>
          lastUsed(a.k) - lastUsed(b.k) || a.im.firstSeenMin - b.im.firstSeenMin || a.k - b.k,
      )
      .map(({ k }) => id(k));
    const usagePercent = 100 - Math.trunc(((capacity - usedBefore) * 100) / capacity);
    if (usagePercent < 85) {
      expect(removed).toEqual([]);
      expect(error).toBeUndefined();
      return;
    }
    expect(removed).toEqual(eligible.slice(0, removed.length));
    const toFree = Math.trunc((capacity * 20) / 100) - (capacity - usedBefore);
    const freed = removed.reduce((n, r) => n + (images[Number(r.slice(7))]?.sizeGi ?? 0) * GI, 0);
    if (freed >= toFree) {
      expect(error).toBeUndefined();
      // It stopped at the first image that was enough.
      const beforeLast = freed - (images[Number(removed.at(-1)?.slice(7))]?.sizeGi ?? 0) * GI;
      expect(beforeLast).toBeLessThan(toFree);
    } else {
      expect(removed).toEqual(eligible);
      expect(warnings).toEqual(['FreeDiskSpaceFailed']);
      expect(error).toMatch(/^Failed to garbage collect required amount of images/);
    }
  },
);
