/**
 * Read-only views plugins get through the Handle (pkg/scheduler/framework/listers.go):
 * the cycle's node snapshot and the cluster objects some plugins consult.
 */
import type { Labels } from '../../api/selectors.ts';
import type { LabelSelector } from '../../api/meta-types.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { PersistentVolume } from '../../api/kinds/persistent-volume.ts';
import type { PersistentVolumeClaim } from '../../api/kinds/persistent-volume-claim.ts';
import type { StorageClass } from '../../api/kinds/storage-class.ts';
import type { NodeInfo } from './node-info.ts';

export interface NodeInfoLister {
  /** Nodes in the scheduler's iteration order (zones interleaved, as upstream's node tree). */
  list(): readonly NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  /** Nodes hosting at least one pod with pod affinity or anti-affinity. */
  havePodsWithAffinity(): readonly NodeInfo[];
  /** Nodes hosting at least one pod with required pod anti-affinity. */
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[];
}

/** policy/v1 PodDisruptionBudget, reduced to what preemption reads. */
export interface PodDisruptionBudgetView {
  readonly namespace: string;
  readonly selector: LabelSelector | undefined;
  readonly disruptionsAllowed: number;
  /** status.disruptedPods: pods the API server already counted against the budget. */
  readonly disruptedPods: ReadonlySet<string>;
}

/**
 * Cluster objects beyond nodes and pods. Each has a neutral default (see EMPTY_CLUSTER_LISTERS)
 * so the algorithm runs without informers for them.
 */
export interface ClusterListers {
  /** Labels of a namespace, for namespaceSelector in pod affinity terms. */
  namespaceLabels(namespace: string): Labels;
  /**
   * helper.DefaultSelector's parts (plugins/helper/spread.go), ANDed by the caller: the selectors
   * of the pod's namespace's Services that select it, and that of its controller when it is a
   * ReplicationController, ReplicaSet or StatefulSet. PodTopologySpread's default constraints
   * spread by them.
   */
  defaultSelectors(pod: Pod): readonly LabelSelector[];
  podDisruptionBudgets(): readonly PodDisruptionBudgetView[];
  /**
   * Claims, volumes and classes for VolumeBinding. Absent (a scheduler without their
   * informers, as the benchmark's), VolumeBinding steps aside and pods schedule as if their
   * claims were bound.
   */
  readonly volumes?: VolumeListers;
}

export interface VolumeListers {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  volumes(): readonly PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
}

const defaultNamespaceLabels = new Map<string, Labels>();

/** Without a namespace informer every namespace carries only its kubernetes.io/metadata.name label. */
export const EMPTY_CLUSTER_LISTERS: ClusterListers = {
  namespaceLabels: (ns) => {
    let l = defaultNamespaceLabels.get(ns);
    if (l === undefined) {
      l = Object.freeze({ 'kubernetes.io/metadata.name': ns });
      defaultNamespaceLabels.set(ns, l);
    }
    return l;
  },
  defaultSelectors: () => [],
  podDisruptionBudgets: () => [],
};
