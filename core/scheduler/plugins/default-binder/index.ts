export * from './default-binder.ts';
