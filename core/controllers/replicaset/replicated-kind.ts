import { assertNever } from '../../util/assert.ts';
import type { ReplicationController } from '../../api/kinds/replication-controller.ts';
import type { LabelSelector } from '../../api/meta-types.ts';
import type { PodTemplateSpec } from '../../api/pod-types.ts';
import type { ReplicaSet, ReplicaSetStatus } from '../../api/replica-set-types.ts';
import type { Trace } from '../../ports/trace.ts';

export type Replicated = ReplicaSet | ReplicationController;
export type ReplicatedKindName = Replicated['kind'];

/** What the replica logic reads of a ReplicaSet or a ReplicationController. */
export interface ReplicatedSpec {
  readonly replicas: number;
  readonly minReadySeconds: number;
  readonly selector: LabelSelector | undefined;
  readonly template: PodTemplateSpec | undefined;
}

/**
 * One kind the replica controller manages. Upstream runs ReplicationControllers through the
 * ReplicaSet controller itself, behind informers and clients that convert between the two kinds
 * (pkg/controller/replication/conversion.go); the only difference the logic sees is the
 * selector, a label map on a ReplicationController. The two kinds' status fields are the same.
 */
export interface ReplicatedKind {
  readonly gvk: {
    readonly group: string;
    readonly version: string;
    readonly kind: ReplicatedKindName;
  };
  /** The controller manager's name for the controller (--controllers). */
  readonly controllerName: 'replicaset' | 'replicationcontroller';
  /** The kind's own trace records, so a checker never mistakes one kind's pods for the other's. */
  readonly traceCreatePods: (trace: Trace, key: string, count: number) => void;
  readonly traceDeletePods: (trace: Trace, key: string, pods: string[]) => void;
  readonly traceSyncError: (trace: Trace, key: string, error: string) => void;
  readonly traceResolved: (trace: Trace, key: string, pendingCreates: number) => void;
}

export const REPLICA_SET: ReplicatedKind = {
  gvk: { group: 'apps', version: 'v1', kind: 'ReplicaSet' },
  controllerName: 'replicaset',
  traceCreatePods: (trace, rs, count) => trace.emit('rs.create-pods', { rs, count }),
  traceDeletePods: (trace, rs, pods) => trace.emit('rs.delete-pods', { rs, pods }),
  traceSyncError: (trace, rs, error) => trace.debug('rs.sync-error', { rs, error }),
  traceResolved: (trace, rs, pendingCreates) =>
    trace.debug('rs.expectations-resolved', { rs, pendingCreates }),
};

export const REPLICATION_CONTROLLER: ReplicatedKind = {
  gvk: { group: '', version: 'v1', kind: 'ReplicationController' },
  controllerName: 'replicationcontroller',
  traceCreatePods: (trace, rc, count) => trace.emit('rc.create-pods', { rc, count }),
  traceDeletePods: (trace, rc, pods) => trace.emit('rc.delete-pods', { rc, pods }),
  traceSyncError: (trace, rc, error) => trace.debug('rc.sync-error', { rc, error }),
  traceResolved: (trace, rc, pendingCreates) =>
    trace.debug('rc.expectations-resolved', { rc, pendingCreates }),
};

export function replicatedSpec(obj: Replicated): ReplicatedSpec {
  switch (obj.kind) {
    case 'ReplicaSet':
      return {
        replicas: obj.spec.replicas ?? 1,
        minReadySeconds: obj.spec.minReadySeconds ?? 0,
        selector: obj.spec.selector,
        template: obj.spec.template,
      };
    case 'ReplicationController': {
      const spec = obj.spec ?? {};
      return {
        replicas: spec.replicas ?? 1,
        minReadySeconds: spec.minReadySeconds ?? 0,
        // conversion.go: a map selector is a LabelSelector of matchLabels.
        selector: spec.selector === undefined ? undefined : { matchLabels: spec.selector },
        template: spec.template,
      };
    }
    default:
      return assertNever(obj);
  }
}

/** The status, in the ReplicaSet's shape: a ReplicationController's has the same fields. */
export function replicatedStatus(obj: Replicated): ReplicaSetStatus | undefined {
  return obj.status as ReplicaSetStatus | undefined;
}

export function withReplicatedStatus(obj: Replicated, status: ReplicaSetStatus): Replicated {
  return { ...obj, status };
}
