export * from './names.ts';
export * from './committed-objects.ts';
export * from './cluster-invariants.ts';
