/**
 * The spec shape of the workload kinds whose object types come from kubernetes-types
 * (Deployment, StatefulSet, DaemonSet, Job): upstream's spec, read-only, with the pod template
 * and the selector as ksim models them, so pod validation and defaulting apply to templates.
 */
import type { JobSpec as UpstreamJobSpec } from 'kubernetes-types/batch/v1.d.ts';
import type { LabelSelector } from './meta-types.ts';
import type { PodTemplateSpec } from './pod-types.ts';
import type { DeepReadonly } from './stored.ts';

export type WorkloadSpec<S extends object> = DeepReadonly<Omit<S, 'template' | 'selector'>> & {
  readonly selector: LabelSelector;
  readonly template: PodTemplateSpec;
};

/** A Job's spec: selector optional (the API server generates it), ksim's pod template. */
export type JobSpec = DeepReadonly<Omit<UpstreamJobSpec, 'template' | 'selector'>> & {
  readonly selector?: LabelSelector;
  readonly template: PodTemplateSpec;
};
