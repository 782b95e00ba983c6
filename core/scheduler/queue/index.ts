export * from './backoff.ts';
export * from './heap.ts';
export * from './nominator.ts';
export * from './scheduling-queue.ts';
