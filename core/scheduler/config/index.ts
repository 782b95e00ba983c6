export * from './defaults.ts';
export * from './load.ts';
