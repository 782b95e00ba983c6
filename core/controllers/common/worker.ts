import type { WorkQueue } from '../../client/workqueue.ts';

/**
 * processNextWorkItem in a loop, as every controller's worker runs it: sync a key, forget its
 * backoff on success, requeue it rate-limited on failure (after `onError` has recorded why),
 * and return once the queue shuts down.
 */
export async function runWorker(
  queue: WorkQueue<string>,
  sync: (key: string) => Promise<string | undefined>,
  onError: (key: string, error: string) => void,
): Promise<void> {
  while (true) {
    const key = await queue.get();
    if (key === undefined) return;
    const error = await sync(key);
    if (error === undefined) queue.forget(key);
    else {
      onError(key, error);
      queue.addRateLimited(key);
    }
    queue.done(key);
  }
}
