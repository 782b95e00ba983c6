/**
 * The kubelet's Events about pods and their containers (record.EventRecorder with source
 * component "kubelet" and the node as host). Written in the background and dropped when the
 * write fails, as upstream's broadcaster eventually does; no aggregation of repeats.
 */
import type { Event } from '../api/cluster-types.ts';
import type { ObjectReference } from '../api/meta-types.ts';
import type { Pod } from '../api/pod-types.ts';
import { formatTime } from '../api/time.ts';
import type { ApiClient } from '../client/api-client.ts';
import type { ProcessPorts } from '../ports/process.ts';
import { nameSuffix, type Random } from '../ports/random.ts';

export type EventType = 'Normal' | 'Warning';

/** Upstream's reasons (pkg/kubelet/events/event.go), and ksim's own for what it does not run. */
export const EVENT_REASONS = {
  unhealthy: 'Unhealthy',
  killing: 'Killing',
  failedPostStartHook: 'FailedPostStartHook',
  failedPreStopHook: 'FailedPreStopHook',
  ephemeralContainerIgnored: 'EphemeralContainerIgnored',
} as const;

export class KubeletEvents {
  /** Event names draw from their own stream, so Events never shift the kubelet's other draws. */
  private readonly names: Random;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    private readonly nodeName: string,
  ) {
    this.names = ports.random.fork('events');
  }

  /** An Event about the pod as a whole. */
  pod(pod: Pod, type: EventType, reason: string, message: string): void {
    this.write(pod, undefined, type, reason, message);
  }

  /**
   * An Event about the node itself (FreeDiskSpaceFailed, ImageGCFailed). Upstream's node
   * reference has the node's name as its uid and no namespace, so the Event lands in default.
   */
  node(type: EventType, reason: string, message: string): void {
    this.create(
      'default',
      this.nodeName,
      { kind: 'Node', name: this.nodeName, uid: this.nodeName },
      type,
      reason,
      message,
    );
  }

  /** An Event about one container of the pod (fieldPath spec.containers{name}). */
  container(
    pod: Pod,
    container: string,
    initContainer: boolean,
    type: EventType,
    reason: string,
    message: string,
  ): void {
    const fieldPath = `spec.${initContainer ? 'initContainers' : 'containers'}{${container}}`;
    this.write(pod, fieldPath, type, reason, message);
  }

  private write(
    pod: Pod,
    fieldPath: string | undefined,
    type: EventType,
    reason: string,
    message: string,
  ): void {
    const name = pod.metadata.name ?? '';
    const namespace = pod.metadata.namespace ?? 'default';
    const involved: ObjectReference = {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace,
      name,
      uid: pod.metadata.uid ?? '',
      ...(fieldPath === undefined ? {} : { fieldPath }),
    };
    this.create(namespace, name, involved, type, reason, message);
  }

  private create(
    namespace: string,
    name: string,
    involvedObject: ObjectReference,
    type: EventType,
    reason: string,
    message: string,
  ): void {
    const now = formatTime(this.ports.clock.now());
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${nameSuffix(this.names, 10)}`, namespace },
      involvedObject,
      reason,
      message,
      type,
      source: { component: 'kubelet', host: this.nodeName },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.ports.spawn(() => this.api.create(ev));
  }
}
