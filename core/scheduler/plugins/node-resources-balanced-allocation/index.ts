export * from './balanced-allocation.ts';
