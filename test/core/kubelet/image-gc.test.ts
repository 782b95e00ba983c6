import { describe, expect, it } from 'vitest';
import {
  ImageGCManager,
  type ImageFsStats,
  type ImageGCPolicy,
} from '../../../core/kubelet/images/image-gc-manager.ts';
import { nodeStatusImages } from '../../../core/kubelet/images/node-images.ts';
import type { Clock } from '../../../core/ports/clock.ts';
import type { ContainerStatus, ImageInfo, Runtime } from '../../../core/ports/runtime.ts';

const MIN = 60 * 1_000_000;
const GI = 1024 ** 3;
const POLICY: ImageGCPolicy = {
  highThresholdPercent: 85,
  lowThresholdPercent: 80,
  minAgeUs: 2 * MIN,
  maxAgeUs: 0,
};

/**
 * A runtime with images and containers set by the test and a filesystem of 100 GiB that the
 * images and `otherUsedBytes` fill; the clock is the test's.
 */
class World {
  nowUs = 0;
  images = new Map<string, ImageInfo>();
  containers: ContainerStatus[] = [];
  otherUsedBytes = 0;
  capacityBytes = 100 * GI;
  removed: string[] = [];
  warnings: [string, string][] = [];
  failRemoval = new Set<string>();

  readonly manager: ImageGCManager;

  constructor(policy: ImageGCPolicy = POLICY) {
    const clock = { now: () => this.nowUs } as unknown as Clock;
    const runtime: Pick<Runtime, 'listImages' | 'removeImage' | 'listContainers'> = {
      listImages: async () => ({ ok: true, value: [...this.images.values()] }),
      listContainers: async () => ({ ok: true, value: this.containers }),
      removeImage: async (id) => {
        if (this.failRemoval.has(id)) return { ok: false, reason: 'Unknown', message: 'busy' };
        this.images.delete(id);
        return { ok: true, value: undefined };
      },
    };
    this.manager = new ImageGCManager({ clock }, runtime, policy, {
      imageFsStats: async (): Promise<ImageFsStats> => ({
        capacityBytes: this.capacityBytes,
        availableBytes: this.capacityBytes - this.usedBytes(),
      }),
      removed: (image, trigger) => this.removed.push(`${image.repoTags[0]}/${trigger}`),
      warn: (reason, message) => this.warnings.push([reason, message]),
    });
  }

  usedBytes(): number {
    let n = this.otherUsedBytes;
    for (const i of this.images.values()) n += i.sizeBytes;
    return n;
  }

  addImage(name: string, sizeGi: number, pinned = false): void {
    const id = `sha256:${name}`;
    this.images.set(id, {
      id,
      repoTags: [name],
      repoDigests: [`${name}@sha256:${name}`],
      sizeBytes: sizeGi * GI,
      pinned,
    });
  }

  /** Containers (of any state) that use these images now. */
  use(...names: string[]): void {
    this.containers = names.map((image, i) => ({
      id: `c${i}`,
      sandboxId: 's',
      name: `c${i}`,
      attempt: 0,
      image,
      state: 'exited',
    }));
  }
}

describe('image garbage collection policy', () => {
  it('does nothing below the high threshold', async () => {
    const w = new World();
    w.addImage('a', 10);
    w.otherUsedBytes = 74 * GI; // 84 % used
    w.nowUs = 10 * MIN;
    await w.manager.garbageCollect(); // first detection
    w.nowUs = 20 * MIN;
    expect(await w.manager.garbageCollect()).toBeUndefined();
    expect(w.removed).toEqual([]);
  });

  it('at the high threshold frees down to the low one, least recently used first', async () => {
    const w = new World();
    for (const [name, size] of [
      ['old', 3],
      ['mid', 3],
      ['new', 3],
      ['never', 3],
    ] as const)
      w.addImage(name, size);
    // Each used at a different time; 'never' was never used (the oldest use of all).
    for (const [t, name] of [
      [1, 'old'],
      [2, 'mid'],
      [3, 'new'],
    ] as const) {
      w.nowUs = t * MIN;
      w.use(name);
      expect(await w.manager.garbageCollect()).toBeUndefined(); // 12 % used: only detects
    }
    expect(w.removed).toEqual([]);
    w.use();
    w.otherUsedBytes = 73 * GI; // 85 % used
    w.nowUs = 10 * MIN;
    expect(await w.manager.garbageCollect()).toBeUndefined();
    // 85 % -> 80 % is 5 GiB: 'never' (3) and 'old' (3) go, 'mid' and 'new' stay.
    expect(w.removed).toEqual(['never/gc', 'old/gc']);
    expect([...w.images.keys()]).toEqual(['sha256:mid', 'sha256:new']);
  });

  it('never removes an image in use, pinned, or younger than imageMinimumGCAge', async () => {
    const w = new World();
    w.addImage('running', 10);
    w.addImage('pinned', 10, true);
    w.addImage('young', 10);
    w.use('running');
    w.nowUs = 5 * MIN;
    await w.manager.garbageCollect();
    w.addImage('fresh', 1);
    w.nowUs = 6 * MIN; // 'fresh' first seen now: 1 min 59 s old at the collection below
    await w.manager.garbageCollect();
    w.otherUsedBytes = 60 * GI; // 91 % used: 11 GiB to free
    w.nowUs = 7 * MIN + 59_000_000;
    const error = await w.manager.garbageCollect();
    // 'young' was seen from 5 min on, so it is old enough now; 'fresh' is not.
    expect(w.removed).toEqual(['young/gc']);
    expect(error).toBe(
      `Failed to garbage collect required amount of images. Attempted to free ${11 * GI} bytes, but only found ${10 * GI} bytes eligible to free.`,
    );
    expect(w.warnings).toEqual([['FreeDiskSpaceFailed', error]]);
    expect([...w.images.keys()].sort()).toEqual([
      'sha256:fresh',
      'sha256:pinned',
      'sha256:running',
    ]);
  });

  it('skips an image whose removal fails and goes on with the next', async () => {
    const w = new World();
    w.addImage('a', 4);
    w.addImage('b', 6);
    await w.manager.garbageCollect();
    w.otherUsedBytes = 75 * GI; // 85 % used: 5 GiB to free
    w.failRemoval.add('sha256:a');
    w.nowUs = 5 * MIN;
    expect(await w.manager.garbageCollect()).toBeUndefined();
    expect(w.removed).toEqual(['b/gc']);
  });

  it('with imageMaximumGCAge removes images unused for longer, whatever the usage', async () => {
    const w = new World({ ...POLICY, maxAgeUs: 30 * MIN });
    w.addImage('stale', 1);
    w.addImage('busy', 1);
    w.use('busy');
    await w.manager.garbageCollect();
    w.nowUs = 29 * MIN;
    await w.manager.garbageCollect();
    expect(w.removed).toEqual([]);
    w.nowUs = 31 * MIN;
    await w.manager.garbageCollect();
    expect(w.removed).toEqual(['stale/gc']);
  });

  it('deleteUnusedImages removes every unused image old enough, for the eviction manager', async () => {
    const w = new World();
    w.addImage('a', 1);
    w.addImage('b', 2);
    w.addImage('c', 3);
    w.use('c');
    await w.manager.deleteUnusedImages();
    w.nowUs = 3 * MIN;
    expect(await w.manager.deleteUnusedImages()).toBe(3 * GI);
    expect(w.removed.sort()).toEqual(['a/eviction', 'b/eviction']);
  });

  it('reports a zero-capacity filesystem as InvalidDiskCapacity', async () => {
    const w = new World();
    w.capacityBytes = 0;
    expect(await w.manager.garbageCollect()).toBe('invalid capacity 0 on image filesystem');
    expect(w.warnings.map(([r]) => r)).toEqual(['InvalidDiskCapacity']);
  });
});

describe('node status images', () => {
  it('lists the 50 largest, largest first, digests before tags, at most 5 names', () => {
    const images: ImageInfo[] = Array.from({ length: 60 }, (_, i) => ({
      id: `sha256:${String(i).padStart(2, '0')}`,
      repoTags: i === 0 ? ['a:1', 'a:2', 'a:3', 'a:4', 'a:5'] : [`img${i}:1`],
      repoDigests: [`img${i}@sha256:${i}`],
      sizeBytes: i === 7 ? 500 : (i % 10) * 1000,
      pinned: false,
    }));
    const listed = nodeStatusImages(images);
    expect(listed).toHaveLength(50);
    expect(listed[0]).toEqual({ names: ['img59@sha256:59', 'img59:1'], sizeBytes: 9000 });
    // Equal sizes: the greater id first.
    expect(listed.slice(0, 3).map((i) => i.names?.[1])).toEqual(['img59:1', 'img49:1', 'img39:1']);
    expect(listed.find((i) => i.names?.[0] === 'img0@sha256:0')).toBeUndefined();
    const sizes = listed.map((i) => i.sizeBytes ?? 0);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    const a = nodeStatusImages(images.slice(0, 1));
    expect(a[0]?.names).toEqual(['img0@sha256:0', 'a:1', 'a:2', 'a:3', 'a:4']);
  });
});
