export * from './garbage-collector.ts';
export * from './graph.ts';
