export * from './fault-schedule.ts';
export * from './workload.ts';
export * from './run-store-fuzz.ts';
export * from './fuzz-store.ts';
