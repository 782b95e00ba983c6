export * from './defaults.ts';
export * from './load.ts';
export * from './engine-options.ts';
