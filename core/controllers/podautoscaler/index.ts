export * from './horizontal-controller.ts';
export * from './replica-calculator.ts';
export * from './normalize.ts';
export * from './metrics-client.ts';
