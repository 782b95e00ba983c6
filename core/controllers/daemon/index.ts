export * from './daemon-set-controller.ts';
export * from './daemon-set-history.ts';
export * from './daemon-set-plan.ts';
export * from './daemon-set-util.ts';
export * from './failed-pod-backoff.ts';
