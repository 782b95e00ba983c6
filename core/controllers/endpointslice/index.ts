export * from './endpointslice-controller.ts';
export * from './pod-endpoints.ts';
export * from './slice-plan.ts';
