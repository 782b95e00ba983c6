/** Plugin names as upstream registers them (pkg/scheduler/framework/plugins/names/names.go). */
export const PRIORITY_SORT = 'PrioritySort';
export const SCHEDULING_GATES = 'SchedulingGates';
export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const NODE_NAME = 'NodeName';
export const NODE_PORTS = 'NodePorts';
export const NODE_AFFINITY = 'NodeAffinity';
export const TAINT_TOLERATION = 'TaintToleration';
export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
export const NODE_RESOURCES_BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';
export const IMAGE_LOCALITY = 'ImageLocality';
export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const DEFAULT_PREEMPTION = 'DefaultPreemption';
export const DEFAULT_BINDER = 'DefaultBinder';
/** Upstream plugins about volumes and devices, which ksim does not model (always pass). */
export const VOLUME_RESTRICTIONS = 'VolumeRestrictions';
export const NODE_VOLUME_LIMITS = 'NodeVolumeLimits';
export const VOLUME_BINDING = 'VolumeBinding';
export const VOLUME_ZONE = 'VolumeZone';
export const DYNAMIC_RESOURCES = 'DynamicResources';
