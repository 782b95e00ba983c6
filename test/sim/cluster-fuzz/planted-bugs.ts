/**
 * Known bugs planted into the cluster for one run, to measure how many seeds `ksim fuzz
 * cluster` takes to catch each (issue 17). Like the store fuzzer's (../store-fuzz/
 * planted-bugs.ts, whose `replace` they use), each replaces one method on a prototype and
 * returns the function that puts it back: only tests plant them, nothing in core/ knows of
 * them, and they never reach a normal run or a worker thread.
 */
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import type { OwnerReference } from '../../../core/api/meta-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { describeFailure, outcomeUnknown } from '../../../core/controllers/common/api-errors.ts';
import type { ControllerExpectations } from '../../../core/controllers/common/expectations.ts';
import { podFromTemplate } from '../../../core/controllers/common/pod-template.ts';
import {
  SLOW_START_INITIAL_BATCH_SIZE,
  slowStartBatch,
} from '../../../core/controllers/common/slow-start.ts';
import { ReplicaSetController } from '../../../core/controllers/replicaset/replica-set-controller.ts';
import type { EndpointInfo } from '../../../core/proxy/endpoints.ts';
import { KubeProxy } from '../../../core/proxy/kube-proxy.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type { WorldBounds } from '../../../sim/cluster-fuzz/world.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { WatchCache } from '../../../core/apiserver/watch-cache.ts';
import { GarbageCollector } from '../../../core/controllers/garbage-collector/garbage-collector.ts';
import type { KObject } from '../../../core/api/types.ts';
import { PodSync } from '../../../core/kubelet/sync-pod.ts';
import { SchedulerCache } from '../../../core/scheduler/cache/cache.ts';
import { plantOldTermCommit, replace, type Method } from '../store-fuzz/planted-bugs.ts';

/** Small worlds, so a test runs a few of them in seconds. */
export const TEST_BOUNDS: WorldBounds = {
  maxNodes: 3,
  maxReplicaSets: 2,
  maxReplicas: 4,
  maxFaults: 4,
  safetyS: 40,
  livenessS: 80,
};

export type ClusterBug =
  | 'rs-expectations-kept-on-failed-create'
  | 'proxy-keeps-removed-endpoint'
  | 'state-shared-across-runs'
  | 'watch-cache-drops-event-at-compaction'
  | 'scheduler-cache-forgets-assumed-pod-on-bind-failure'
  | 'gc-deletes-dependent-with-live-owner'
  | 'kubelet-double-starts-after-restart'
  | 'raft-commits-old-term-entry';

/** The bugs `ksim fuzz cluster` must find. */
export const CLUSTER_BUGS: readonly ClusterBug[] = [
  'state-shared-across-runs',
  'rs-expectations-kept-on-failed-create',
  'proxy-keeps-removed-endpoint',
  'watch-cache-drops-event-at-compaction',
  'scheduler-cache-forgets-assumed-pod-on-bind-failure',
  'gc-deletes-dependent-with-live-owner',
  'kubelet-double-starts-after-restart',
  'raft-commits-old-term-entry',
];

interface WatchCacheInternals {
  windowStartRv: number;
  /** The planted bug's own mark: the last change made the window drop one. */
  compacted?: boolean;
}

interface SchedulerCacheInternals {
  readonly podStates: Map<string, { readonly nodeName: string; readonly pi: { pod: Pod } }>;
  readonly assumed: Set<string>;
}

interface GcInternals {
  getObject(id: unknown): Promise<{ kind: string; obj?: KObject }>;
  deleteObject(id: unknown, policy: string, read: KObject): Promise<unknown>;
}

interface ReplicaSetControllerInternals {
  readonly api: ApiClient;
  readonly ports: ProcessPorts;
  readonly expectations: ControllerExpectations;
  readonly kind: {
    traceCreatePods(trace: ProcessPorts['trace'], key: string, count: number): void;
  };
}

interface KubeProxyInternals {
  readonly endpointsByService: Map<string, Map<string, EndpointInfo[]>>;
}

export function plantClusterBug(bug: ClusterBug): () => void {
  switch (bug) {
    // The store mode's: Raft commits an entry of an older term by counting replicas, which the
    // Figure 8 shape (a figure-8 fault in some worlds of 3 members) shows is unsafe.
    case 'raft-commits-old-term-entry':
      return plantOldTermCommit();
    // Module-level state that outlives a run (a cache keyed by nothing, a counter): every
    // other createPods waits a second longer, counted across runs, so the same seed runs
    // differently the second time. Only the run-twice check can see it.
    case 'state-shared-across-runs': {
      let calls = 0;
      return replace(
        ReplicaSetController.prototype,
        'createPods',
        (original) =>
          async function (this: ReplicaSetControllerInternals, ...args: unknown[]) {
            if (++calls % 2 === 0) await this.ports.clock.sleep(1_000_000);
            return original.call(this, ...(args as never[]));
          } as Method,
      );
    }
    // createPods without lowering the expectations for the creates that failed: the
    // ReplicaSet waits for pods that will never be observed, and creates nothing more until
    // its expectations expire (5 minutes).
    case 'rs-expectations-kept-on-failed-create':
      return replace(
        ReplicaSetController.prototype,
        'createPods',
        () =>
          async function (
            this: ReplicaSetControllerInternals,
            key: string,
            rs: ReplicaSet,
            spec: ReplicaSet['spec'],
            count: number,
            controllerRef: OwnerReference,
          ) {
            this.expectations.expectCreations(key, count);
            this.kind.traceCreatePods(this.ports.trace, key, count);
            let unknown = 0;
            const result = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, async () => {
              const r = await this.api.create(
                podFromTemplate(spec.template, rs.metadata, controllerRef),
              );
              if (r.ok) return undefined;
              if (outcomeUnknown(r)) unknown++;
              return `create pod for ${key}: ${describeFailure(r)}`;
            });
            if (unknown > 0) this.expectations.markUncertain(key);
            return result.error;
          } as Method,
      );
    // The watch cache's window (its compaction: the changes kept for resuming watches) is
    // full and drops its oldest change to make room for a new one: that new change is kept for
    // later resumes but never sent to the watchers already there.
    case 'watch-cache-drops-event-at-compaction': {
      const undoRemember = replace(
        WatchCache.prototype,
        'remember',
        (original) =>
          function (this: WatchCacheInternals, ...args: unknown[]) {
            const before = this.windowStartRv;
            original.call(this, ...(args as never[]));
            this.compacted = this.windowStartRv !== before;
          } as Method,
      );
      const undoDispatch = replace(
        WatchCache.prototype,
        'dispatch',
        (original) =>
          function (this: WatchCacheInternals, ...args: unknown[]) {
            if (this.compacted === true) return;
            original.call(this, ...(args as never[]));
          } as Method,
      );
      return () => {
        undoDispatch();
        undoRemember();
      };
    }
    // A failed binding makes the cache forget not only that pod's assumption but every pod
    // assumed and not yet bound (a reset on the error path): their bindings, still in flight,
    // land on nodes the scheduler has meanwhile given to pods that were waiting for room.
    case 'scheduler-cache-forgets-assumed-pod-on-bind-failure':
      return replace(
        SchedulerCache.prototype,
        'forgetPod',
        (original) =>
          function (this: SchedulerCacheInternals, pod: Pod) {
            original.call(this, pod as never);
            for (const other of [...this.assumed]) {
              const st = this.podStates.get(other);
              if (st !== undefined) original.call(this, st.pi.pod as never);
            }
          } as Method,
      );
    // Where the collector should remove the references to owners that are gone and keep the
    // dependent for its live owners, it deletes the dependent.
    case 'gc-deletes-dependent-with-live-owner':
      return replace(
        GarbageCollector.prototype,
        'removeOwnerReferences',
        () =>
          async function (this: GcInternals, item: { identity: unknown }) {
            const latest = await this.getObject(item.identity);
            if (latest.kind !== 'found' || latest.obj === undefined) return { kind: 'done' };
            return this.deleteObject(item.identity, 'Background', latest.obj);
          } as Method,
      );
    // Restarting a container that exited, the kubelet starts it twice: the first instance
    // runs on untracked beside the one it knows.
    case 'kubelet-double-starts-after-restart':
      return replace(
        PodSync.prototype,
        'startContainer',
        (original) =>
          async function (this: unknown, ...args: unknown[]) {
            const previous = args[2] as { state?: string } | undefined;
            if (previous?.state === 'exited') await original.call(this, ...(args as never[]));
            return original.call(this, ...(args as never[]));
          } as Method,
      );
    // A slice change adds endpoints but never removes one: deleted pods stay in the rules.
    case 'proxy-keeps-removed-endpoint':
      return replace(
        KubeProxy.prototype,
        'sliceChanged',
        (original) =>
          function (this: KubeProxyInternals, ...args: unknown[]) {
            const kept = new Map<string, Map<string, EndpointInfo[]>>();
            for (const [service, ports] of this.endpointsByService)
              kept.set(service, new Map(ports));
            original.call(this, ...(args as never[]));
            for (const [service, ports] of kept) {
              const now = this.endpointsByService.get(service) ?? new Map<string, EndpointInfo[]>();
              for (const [port, old] of ports) {
                const current = now.get(port) ?? [];
                const seen = new Set(current.map((e) => e.endpoint));
                now.set(port, [...current, ...old.filter((e) => !seen.has(e.endpoint))]);
              }
              this.endpointsByService.set(service, now);
            }
          } as Method,
      );
  }
}
