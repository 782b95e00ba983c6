export * from './assembly.ts';
export * from './identities.ts';
export * from './pod-network.ts';
