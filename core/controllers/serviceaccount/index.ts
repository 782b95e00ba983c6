export * from './service-accounts-controller.ts';
