export * from './node-unschedulable.ts';
