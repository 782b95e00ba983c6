export * from './resource-quota-controller.ts';
