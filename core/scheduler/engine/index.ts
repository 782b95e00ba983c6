export * from './scheduling-engine.ts';
