export * from './endpoints-controller.ts';
