/**
 * The small cluster-plumbing kinds: Namespace, coordination.k8s.io/v1 Lease, core/v1 Binding and
 * core/v1 Event (staging/src/k8s.io/api/{core,coordination}/v1/types.go).
 */
import type { MicroTime, ObjectMeta, ObjectReference, Time } from './meta-types.ts';

export type NamespacePhase = 'Active' | 'Terminating';

export interface NamespaceCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly lastTransitionTime?: Time;
  readonly reason?: string;
  readonly message?: string;
}

export interface Namespace {
  readonly apiVersion: 'v1';
  readonly kind: 'Namespace';
  readonly metadata: ObjectMeta;
  readonly spec?: { readonly finalizers?: readonly string[] };
  readonly status?: {
    readonly phase?: NamespacePhase;
    readonly conditions?: readonly NamespaceCondition[];
  };
}

export interface LeaseSpec {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: MicroTime;
  readonly renewTime?: MicroTime;
  readonly leaseTransitions?: number;
}

export interface Lease {
  readonly apiVersion: 'coordination.k8s.io/v1';
  readonly kind: 'Lease';
  readonly metadata: ObjectMeta;
  readonly spec?: LeaseSpec;
}

/** POSTed to pods/{name}/binding by the scheduler; never stored. */
export interface Binding {
  readonly apiVersion: 'v1';
  readonly kind: 'Binding';
  readonly metadata: ObjectMeta;
  readonly target: ObjectReference;
}

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  readonly component?: string;
  readonly host?: string;
}

/** Legacy core/v1 Event, the shape `kubectl get events` and `describe` read. */
export interface Event {
  readonly apiVersion: 'v1';
  readonly kind: 'Event';
  readonly metadata: ObjectMeta;
  readonly involvedObject: ObjectReference;
  readonly reason?: string;
  readonly message?: string;
  readonly source?: EventSource;
  readonly firstTimestamp?: Time;
  readonly lastTimestamp?: Time;
  readonly count?: number;
  readonly type?: EventType;
  readonly eventTime?: MicroTime | null;
  readonly action?: string;
  readonly reportingComponent?: string;
  readonly reportingInstance?: string;
}
