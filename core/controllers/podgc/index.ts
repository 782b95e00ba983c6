export * from './pod-gc-controller.ts';
