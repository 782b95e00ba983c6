export * from './backoff.ts';
export * from './indexes.ts';
export * from './job-controller.ts';
export * from './job-pods.ts';
