export * from './ttl-after-finished-controller.ts';
