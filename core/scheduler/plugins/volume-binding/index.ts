export * from './volume-binding.ts';
