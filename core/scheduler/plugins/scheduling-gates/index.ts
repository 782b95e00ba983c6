export * from './scheduling-gates.ts';
