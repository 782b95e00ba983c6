/**
 * The API server's own informer over one of its watch caches: what the authorizers and the
 * admission plugins keep in memory (RBAC's roles and bindings, the Node authorizer's pods) is
 * fed by the same watch cache that serves clients, so it costs no extra store traffic. When the
 * cache's store watch breaks, the mirror starts over from the cache's current state.
 */
import type { ResourceDefinition } from '../api/kinds/index.ts';
import type { KObject } from '../api/types.ts';
import type { Clock } from '../ports/clock.ts';
import { EVERYTHING } from './registry/selectors.ts';
import type { WatchCache } from './watch-cache.ts';

export interface MirrorHandlers {
  /** Forget everything: the current state follows as upserts, then `synced`. */
  reset(): void;
  upsert(obj: KObject): void;
  remove(obj: KObject): void;
  /** The state so far has been delivered (after the first listing and after every restart). */
  synced(): void;
}

/** How long a mirror waits before resubscribing to a cache whose store watch broke. */
const RESUBSCRIBE_DELAY_US = 100_000;

export function mirrorResource(
  cacheFor: (definition: ResourceDefinition) => WatchCache,
  definition: ResourceDefinition,
  handlers: MirrorHandlers,
  clock: Clock,
  spawn: (task: () => Promise<unknown>) => void,
): void {
  const subscribe = async (): Promise<void> => {
    handlers.reset();
    const stop = await cacheFor(definition).watch(undefined, {
      namespace: undefined,
      selectors: EVERYTHING,
      bookmarks: false,
      send: (frame) => {
        const obj = frame.object as KObject;
        if (frame.type === 'ADDED' || frame.type === 'MODIFIED') handlers.upsert(obj);
        else if (frame.type === 'DELETED') handlers.remove(obj);
      },
      close: () => {
        clock.setTimer(RESUBSCRIBE_DELAY_US, () => spawn(subscribe));
      },
    });
    if (stop !== undefined) handlers.synced();
  };
  spawn(subscribe);
}
