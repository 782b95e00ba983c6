export * from './args.ts';
export * from './fit.ts';
export * from './least-allocated.ts';
export * from './most-allocated.ts';
export * from './requested-to-capacity-ratio.ts';
export * from './resource-allocation.ts';
