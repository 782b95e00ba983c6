export * from './args.ts';
export * from './filtering.ts';
export * from './inter-pod-affinity.ts';
export * from './scoring.ts';
export * from './topology-counts.ts';
