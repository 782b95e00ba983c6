export * from './args.ts';
export * from './common.ts';
export * from './filtering.ts';
export * from './pod-topology-spread.ts';
export * from './scoring.ts';
