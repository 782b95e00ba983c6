export * from './node-name.ts';
