export * from './json.ts';
export * from './json-patch.ts';
export * from './merge-patch.ts';
export * from './patch-meta.ts';
export * from './strategic-merge.ts';
