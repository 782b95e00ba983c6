export * from './pod-claims.ts';
export * from './pod-template.ts';
export * from './replica-set-controller.ts';
export * from './replica-set-status.ts';
