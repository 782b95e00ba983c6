export * from './history.ts';
export * from './linearizability.ts';
export * from './partition.ts';
export * from './structural-equal.ts';
export * from './kv-check-model.ts';
export * from './kv-per-key.ts';
export * from './kv-linearizability.ts';
export * from './watch-history.ts';
