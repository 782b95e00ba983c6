export * from './cache.ts';
export * from './node-tree.ts';
export * from './snapshot.ts';
