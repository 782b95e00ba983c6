export * from './common/index.ts';
export * from './garbage-collector/index.ts';
export * from './manager.ts';
export * from './namespace/index.ts';
export * from './node-lifecycle/index.ts';
export * from './replicaset/index.ts';
export * from './serviceaccount/index.ts';
