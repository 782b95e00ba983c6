export * from './taint-toleration.ts';
