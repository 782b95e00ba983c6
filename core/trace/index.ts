export * from './version.ts';
export * from './define.ts';
export * from './catalog.ts';
export * from './types.ts';
export * from './validate.ts';
