/**
 * Upstream defaults (pkg/scheduler/apis/config/v1/default_plugins.go, defaults.go): the
 * multiPoint plugin list, in upstream's order, with score weights.
 */
import * as names from '../plugins/names/names.ts';

export const API_VERSION = 'kubescheduler.config.k8s.io/v1';
export const KIND = 'KubeSchedulerConfiguration';
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_PARALLELISM = 16;
export const DEFAULT_POD_INITIAL_BACKOFF_SECONDS = 1;
export const DEFAULT_POD_MAX_BACKOFF_SECONDS = 10;

export interface PluginRef {
  readonly name: string;
  readonly weight?: number;
}

export const DEFAULT_MULTI_POINT: readonly PluginRef[] = [
  { name: names.SCHEDULING_GATES },
  { name: names.PRIORITY_SORT },
  { name: names.NODE_UNSCHEDULABLE },
  { name: names.NODE_NAME },
  { name: names.TAINT_TOLERATION, weight: 3 },
  { name: names.NODE_AFFINITY, weight: 2 },
  { name: names.NODE_PORTS },
  { name: names.NODE_RESOURCES_FIT, weight: 1 },
  { name: names.VOLUME_RESTRICTIONS },
  { name: names.NODE_VOLUME_LIMITS },
  { name: names.VOLUME_BINDING },
  { name: names.VOLUME_ZONE },
  { name: names.POD_TOPOLOGY_SPREAD, weight: 2 },
  { name: names.INTER_POD_AFFINITY, weight: 2 },
  { name: names.DEFAULT_PREEMPTION },
  { name: names.NODE_RESOURCES_BALANCED_ALLOCATION, weight: 1 },
  { name: names.IMAGE_LOCALITY, weight: 1 },
  { name: names.DEFAULT_BINDER },
];
