export * from './mirroring-controller.ts';
