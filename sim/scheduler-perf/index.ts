export * from './feature-gates.ts';
export * from './go-decode.ts';
export * from './go-template.ts';
export * from './load.ts';
export * from './perf-cluster.ts';
export * from './runner.ts';
export * from './virtual-clock.ts';
export * from './workload-file.ts';
