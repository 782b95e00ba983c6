export * from './config.ts';
export * from './kubelet.ts';
export * from './admission.ts';
export * from './backoff.ts';
export * from './pod-ip.ts';
export * from './pod-status.ts';
export { NODE_LEASE_NAMESPACE } from './node-lease.ts';
export * from './resource-usage.ts';
