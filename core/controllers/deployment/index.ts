export * from './annotations.ts';
export * from './deployment-controller.ts';
export * from './pod-template-hash.ts';
