export * from './normalize-score.ts';
export * from './shape.ts';
export * from './args.ts';
