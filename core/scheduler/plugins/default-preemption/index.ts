export * from './args.ts';
export * from './candidate.ts';
export * from './default-preemption.ts';
export * from './pdb.ts';
