export * from './clock.ts';
export * from './random.ts';
export * from './transport.ts';
export * from './disk.ts';
export * from './runtime.ts';
export * from './netfilter.ts';
export * from './trace.ts';
export * from './process.ts';
