export * from './active-pods.ts';
export * from './api-errors.ts';
export * from './cache-sync.ts';
export * from './controller.ts';
export * from './expectations.ts';
export * from './pod-indexes.ts';
export * from './shared-informers.ts';
export * from './slow-start.ts';
