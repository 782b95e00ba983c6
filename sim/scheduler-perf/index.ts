export * from './load.ts';
export * from './perf-cluster.ts';
export * from './runner.ts';
export * from './virtual-clock.ts';
export * from './workload-file.ts';
