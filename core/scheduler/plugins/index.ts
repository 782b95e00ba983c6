export * from './registry.ts';
export * from './names/names.ts';
