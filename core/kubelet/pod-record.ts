/**
 * What the kubelet remembers about each pod it runs, keyed by pod UID. The runtime holds the
 * containers; this holds what the runtime cannot tell: which container instance is current,
 * restart counts, the previous instance's end, backoffs and why a container is waiting.
 */
import type { Time } from '../api/meta-types.ts';
import type {
  Container,
  ContainerStateTerminated,
  ContainerStateWaiting,
  Pod,
  PodPhase,
} from '../api/pod-types.ts';
import type { SandboxStatus } from '../ports/runtime.ts';
import type { ResourceUsage } from './admission.ts';
import type { BackoffEntry } from './backoff.ts';
import { isSidecar } from './pod-status.ts';

export type ContainerRole = 'init' | 'sidecar' | 'regular';

export interface ContainerRecord {
  readonly spec: Container;
  readonly role: ContainerRole;
  /** The current instance in the runtime, if one was created. */
  containerId: string | undefined;
  /**
   * The instance before the current one, kept (exited) for `kubectl logs --previous`, as
   * upstream's container GC keeps the latest dead container of each pod container.
   */
  previousId: string | undefined;
  restartCount: number;
  /** An earlier instance existed (possibly before a kubelet restart): the next one is a restart. */
  hadInstance: boolean;
  imageRef: string | undefined;
  lastTerminated: ContainerStateTerminated | undefined;
  /** Why the container is not running; shown while no instance runs. */
  waiting: ContainerStateWaiting | undefined;
  crashBackoff: BackoffEntry | undefined;
  pullBackoff: BackoffEntry | undefined;
}

export type Admission = 'admitted' | 'rejected' | 'not-needed';

export interface PodRecord {
  readonly uid: string;
  /** "namespace/name", for trace records. */
  readonly key: string;
  pod: Pod;
  /** Gone from the API server: tear down and forget. */
  removed: boolean;
  admission: Admission;
  /** Requests counted against the node while the pod is active. */
  usage: ResourceUsage | undefined;
  /** The current sandbox, as the runtime reported it once it was set up. */
  sandbox: SandboxStatus | undefined;
  sandboxReady: boolean;
  /** Sandboxes created for the pod so far: the next one's attempt number. */
  sandboxAttempts: number;
  /** The sandbox's IP, or the node's for a host-network pod. */
  podIP: string | undefined;
  startTime: Time | undefined;
  readonly containers: readonly ContainerRecord[];
  /** Last phase reported, for the pod-phase trace record. */
  phase: PodPhase | undefined;
  /** Containers are stopped for good: the pod is terminal or being deleted. */
  finished: boolean;
  /** When the first image pull for the pod started and the last one ended (startup latency). */
  pullStartedUs: number | undefined;
  pullEndedUs: number | undefined;
  /**
   * The pod's startup was traced (kubelet.pod-started), or must not be: as upstream's tracker,
   * only pods no kubelet had started yet (no status.startTime) are measured.
   */
  startupTraced: boolean;
  /** The eviction manager evicted the pod, with this message: stop it and fail it. */
  evicted: string | undefined;
  /** What the eviction gives the pod to stop: 1 s for a hard threshold, more for a soft one. */
  evictionGracePeriodSeconds: number;
  /**
   * The volume manager's wait for the pod's claims: since when it waits (undefined: not yet
   * waiting, or done), and whether every claim was seen Bound.
   */
  volumesWaitSinceUs: number | undefined;
  volumesReady: boolean;
  /** Ephemeral containers already reported as not run (one Event each). */
  readonly ephemeralIgnored: Set<string>;
}

/**
 * Records for the pod's containers, seeded from the API status so that after a kubelet (or
 * machine) restart restart counts carry on and the lost instance shows as lastState.
 */
export function newPodRecord(pod: Pod): PodRecord {
  const uid = pod.metadata.uid ?? '';
  const statuses = new Map(
    [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map(
      (s) => [s.name, s],
    ),
  );
  const seed = (spec: Container, role: ContainerRole): ContainerRecord => {
    const old = statuses.get(spec.name);
    const hadInstance = old?.containerID !== undefined;
    const running = old?.state?.running;
    return {
      spec,
      role,
      containerId: undefined,
      previousId: undefined,
      restartCount: old?.restartCount ?? 0,
      hadInstance,
      imageRef: old?.imageID || undefined,
      // A container lost with its machine: what runtimes report after a reboot.
      lastTerminated: hadInstance
        ? (old?.state?.terminated ?? {
            exitCode: 255,
            reason: 'Unknown',
            ...(running?.startedAt === undefined ? {} : { startedAt: running.startedAt }),
          })
        : old?.lastState?.terminated,
      waiting: undefined,
      crashBackoff: undefined,
      pullBackoff: undefined,
    };
  };
  return {
    uid,
    key: `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`,
    pod,
    removed: false,
    admission: 'not-needed',
    usage: undefined,
    sandbox: undefined,
    sandboxReady: false,
    sandboxAttempts: 0,
    volumesWaitSinceUs: undefined,
    volumesReady: false,
    podIP: undefined,
    startTime: pod.status?.startTime,
    containers: [
      ...(pod.spec.initContainers ?? []).map((c) => seed(c, isSidecar(c) ? 'sidecar' : 'init')),
      ...pod.spec.containers.map((c) => seed(c, 'regular')),
    ],
    phase: pod.status?.phase,
    finished: false,
    pullStartedUs: undefined,
    pullEndedUs: undefined,
    startupTraced: pod.status?.startTime !== undefined,
    ephemeralIgnored: new Set(),
    evicted: undefined,
    evictionGracePeriodSeconds: 0,
  };
}
