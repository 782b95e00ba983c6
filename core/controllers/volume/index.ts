export * from './persistentvolume/pv-controller.ts';
export * from './persistentvolume/simulated-provisioner.ts';
export * from './protection/pvc-protection-controller.ts';
export * from './protection/pv-protection-controller.ts';
