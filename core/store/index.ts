export * from './types.ts';
export * from './key-range.ts';
export * from './mvcc.ts';
export * from './watch.ts';
export * from './snapshot.ts';
export * from './state-machine.ts';
export * from './model.ts';
