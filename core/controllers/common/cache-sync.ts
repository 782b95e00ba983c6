import type { Clock } from '../../ports/clock.ts';

/** cache.WaitForCacheSync polls every 100 ms. */
const SYNC_POLL_US = 100_000;

/** Resolves once every informer has listed at least once (WaitForNamedCacheSync). */
export async function waitForCacheSync(
  clock: Clock,
  informers: readonly { readonly hasSynced: boolean }[],
): Promise<void> {
  while (!informers.every((i) => i.hasSynced)) await clock.sleep(SYNC_POLL_US);
}
