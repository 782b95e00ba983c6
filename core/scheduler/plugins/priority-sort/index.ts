export * from './priority-sort.ts';
