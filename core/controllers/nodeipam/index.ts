export * from './cidr-set.ts';
export * from './node-ipam-controller.ts';
