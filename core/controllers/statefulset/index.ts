export * from './stateful-pod-control.ts';
export * from './stateful-set-control.ts';
export * from './stateful-set-controller.ts';
export * from './stateful-set-status.ts';
export * from './stateful-set-utils.ts';
