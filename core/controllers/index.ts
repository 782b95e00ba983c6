export * from './common/index.ts';
export * from './deployment/index.ts';
export * from './endpointslice/index.ts';
export * from './job/index.ts';
export * from './manager.ts';
export * from './ttl-after-finished/index.ts';
export * from './node-lifecycle/index.ts';
export * from './replicaset/index.ts';
