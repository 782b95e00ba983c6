/** controller.SlowStartInitialBatchSize. */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

export interface SlowStartResult<E> {
  readonly successes: number;
  /** The first failure of the batch that stopped the run. */
  readonly error: E | undefined;
}

/**
 * slowStartBatch (pkg/controller/replicaset/replica_set.go): runs `fn` `count` times in batches
 * of 1, 2, 4, ... issued concurrently, stopping after the first batch with a failure. A request
 * that fails for a systemic reason (quota, admission, an unreachable server) then costs one
 * call instead of `count`.
 */
export async function slowStartBatch<E>(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<E | undefined>,
): Promise<SlowStartResult<E>> {
  let remaining = count;
  let successes = 0;
  for (
    let batch = Math.min(remaining, initialBatchSize);
    batch > 0;
    batch = Math.min(2 * batch, remaining)
  ) {
    const results = await Promise.all(Array.from({ length: batch }, () => fn()));
    let failures = 0;
    let error: E | undefined;
    for (const r of results) {
      if (r === undefined) continue;
      failures++;
      error ??= r;
    }
    successes += batch - failures;
    if (failures > 0) return { successes, error };
    remaining -= batch;
  }
  return { successes, error: undefined };
}
