export * from './replica-set-controller.ts';
export * from './replica-set-status.ts';
