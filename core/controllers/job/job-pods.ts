import type { Job } from '../../api/kinds/job.ts';
import { isBeingDeleted } from '../../api/meta.ts';
import type { OwnerReference } from '../../api/meta-types.ts';
import type { Container, Pod } from '../../api/pod-types.ts';
import { COMPLETION_INDEX_ANNOTATION, COMPLETION_INDEX_ENV } from './indexes.ts';

/** batch.JobTrackingFinalizer: a finished pod stays until the controller has counted it. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export function hasTrackingFinalizer(pod: Pod): boolean {
  return pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) === true;
}

export type PodOutcome = 'active' | 'succeeded' | 'failed' | 'terminating';

/**
 * How the controller counts a pod: Succeeded and Failed by phase; a pod being deleted before it
 * succeeded counts as failed (isPodFailed, so an orphaned or evicted pod is not lost) unless
 * podReplacementPolicy Failed makes the controller wait for its phase.
 */
export function podOutcome(pod: Pod, job: Job): PodOutcome {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return 'succeeded';
  if (phase === 'Failed') return 'failed';
  if (!isBeingDeleted(pod)) return 'active';
  return job.spec.podReplacementPolicy === 'Failed' ? 'terminating' : 'failed';
}

/**
 * The pod for one more completion (GetPodFromTemplate plus the Job's additions): the tracking
 * finalizer, and for an Indexed Job its index as annotation and label, the hostname
 * `<job>-<index>` and JOB_COMPLETION_INDEX in every container.
 */
export function podForJob(
  job: Job,
  controllerRef: OwnerReference,
  index: number | undefined,
  /** backoffLimitPerIndex: the index's failure counts so far (addIndexFailureCountAnnotation). */
  failureCounts: Readonly<Record<string, string>> = {},
) {
  const meta = job.spec.template.metadata;
  const name = job.metadata.name ?? '';
  const indexed: Record<string, string> =
    index === undefined ? {} : { [COMPLETION_INDEX_ANNOTATION]: String(index) };
  const spec = job.spec.template.spec;
  const withIndex = (c: Container): Container =>
    index === undefined
      ? c
      : {
          ...c,
          env: [
            ...(c.env ?? []),
            {
              name: COMPLETION_INDEX_ENV,
              valueFrom: {
                fieldRef: {
                  fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']`,
                },
              },
            },
          ],
        };
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      namespace: job.metadata.namespace ?? 'default',
      labels: { ...meta?.labels, ...indexed },
      annotations: { ...meta?.annotations, ...indexed, ...failureCounts },
      finalizers: [...(meta?.finalizers ?? []), JOB_TRACKING_FINALIZER],
      ownerReferences: [controllerRef],
    },
    spec: {
      ...spec,
      containers: spec.containers.map(withIndex),
      ...(spec.initContainers === undefined
        ? {}
        : { initContainers: spec.initContainers.map(withIndex) }),
      ...(index === undefined || spec.hostname !== undefined
        ? {}
        : { hostname: `${name}-${index}` }),
    },
  };
  return pod;
}
