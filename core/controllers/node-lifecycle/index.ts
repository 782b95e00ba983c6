export * from './node-health.ts';
export * from './node-lifecycle-controller.ts';
export * from './node-taints.ts';
export * from './taint-eviction-controller.ts';
export * from './tolerations.ts';
export * from './update-node-taints.ts';
export * from './zone-disruption.ts';
