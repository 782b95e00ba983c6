export * from './volume-restrictions.ts';
