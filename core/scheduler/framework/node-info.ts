/**
 * Node-level aggregate the filters and scorers read (pkg/scheduler/framework/types.go
 * NodeInfo): the node, its pods, their summed requests, host ports and images, kept as plain
 * numbers so the per-node plugin calls do no parsing and no allocation.
 */
import type { Node, Taint } from '../../api/node-types.ts';
import { resourceAmount } from '../../api/resource-list.ts';
import type { Labels } from '../../api/selectors.ts';
import { assert } from '../../util/assert.ts';
import { HostPortInfo } from './host-port-info.ts';
import type { PodInfo } from './pod-info.ts';
import { Resource } from './resource.ts';

/** pkg/scheduler/framework/types.go ImageStateSummary: shared by every node holding the image. */
export interface ImageStateSummary {
  size: number;
  numNodes: number;
}

export class NodeInfo {
  node: Node | undefined = undefined;
  labels: Labels = undefined;
  /** Taints with effect NoSchedule or NoExecute (the ones Filter plugins check). */
  hardTaints: readonly Taint[] = [];
  taints: readonly Taint[] = [];
  unschedulable = false;
  readonly pods: PodInfo[] = [];
  readonly podsWithAffinity: PodInfo[] = [];
  readonly podsWithRequiredAntiAffinity: PodInfo[] = [];
  readonly usedPorts = new HostPortInfo();
  readonly requested = new Resource();
  /** cpu and memory only, with the per-container defaults for missing requests. */
  readonly nonZeroRequested = new Resource();
  /** Replaced, never mutated, by setNode: copies may share it. */
  allocatable = new Resource();
  imageStates: ReadonlyMap<string, ImageStateSummary> = new Map();
  /** Bumped on every change; the snapshot copies a node only when it moved. */
  generation = 0;
  /** Values derived from the pods (e.g. matching-pod counts), valid for `derivedGeneration`. */
  private derived: Map<string, number> | undefined = undefined;
  private derivedGeneration = -1;

  constructor(readonly name: string) {}

  setNode(node: Node): void {
    assert(node.metadata.name === this.name, 'NodeInfo.setNode: name mismatch');
    this.node = node;
    this.labels = node.metadata.labels;
    this.taints = node.spec?.taints ?? [];
    this.hardTaints = this.taints.filter(
      (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
    );
    this.unschedulable = node.spec?.unschedulable === true;
    const alloc = new Resource();
    for (const [name, q] of Object.entries(node.status?.allocatable ?? {}))
      alloc.addNamed(name, resourceAmount(name, q));
    this.allocatable = alloc;
  }

  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    if (pi.hasAffinity) this.podsWithAffinity.push(pi);
    if (pi.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity.push(pi);
    this.account(pi, 1);
  }

  /** Removes the pod with this key; false when it is not on the node. */
  removePod(key: string): boolean {
    const i = lastIndexOfKey(this.pods, key);
    if (i < 0) return false;
    const pi = this.pods[i] as PodInfo;
    this.pods.splice(i, 1);
    if (pi.hasAffinity) removeByKey(this.podsWithAffinity, key);
    if (pi.hasRequiredAntiAffinity) removeByKey(this.podsWithRequiredAntiAffinity, key);
    this.account(pi, -1);
    return true;
  }

  private account(pi: PodInfo, sign: 1 | -1): void {
    this.requested.addResource(pi.requests, sign);
    this.nonZeroRequested.milliCPU += sign * pi.nonZeroMilliCPU;
    this.nonZeroRequested.memory += sign * pi.nonZeroMemory;
    for (const p of pi.hostPorts) {
      if (sign > 0) this.usedPorts.add(p);
      else this.usedPorts.remove(p);
    }
    this.generation++;
  }

  /**
   * A number derived from this node's pods, computed once per generation: spreading and
   * affinity count the same selector over the same unchanged nodes cycle after cycle.
   */
  derivedCount(key: string, compute: (ni: NodeInfo) => number): number {
    if (this.derivedGeneration !== this.generation || this.derived === undefined) {
      this.derived ??= new Map();
      this.derived.clear();
      this.derivedGeneration = this.generation;
    }
    let v = this.derived.get(key);
    if (v === undefined) {
      v = compute(this);
      this.derived.set(key, v);
    }
    return v;
  }

  /** A copy that can be changed without touching this one (snapshots, preemption dry runs). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.copyFrom(this);
    return c;
  }

  /** Overwrites this object's state with `src`'s, keeping its identity (snapshot refresh). */
  copyFrom(src: NodeInfo): void {
    assert(src.name === this.name, 'NodeInfo.copyFrom: name mismatch');
    this.node = src.node;
    this.labels = src.labels;
    this.hardTaints = src.hardTaints;
    this.taints = src.taints;
    this.unschedulable = src.unschedulable;
    replaceAll(this.pods, src.pods);
    replaceAll(this.podsWithAffinity, src.podsWithAffinity);
    replaceAll(this.podsWithRequiredAntiAffinity, src.podsWithRequiredAntiAffinity);
    this.usedPorts.setFrom(src.usedPorts);
    this.requested.setFrom(src.requested);
    this.nonZeroRequested.setFrom(src.nonZeroRequested);
    this.allocatable = src.allocatable;
    this.imageStates = src.imageStates;
    this.generation = src.generation;
  }
}

/** From the end: the pod removed most often is the one just assumed (confirm, forget). */
function lastIndexOfKey(list: readonly PodInfo[], key: string): number {
  for (let i = list.length - 1; i >= 0; i--) if ((list[i] as PodInfo).key === key) return i;
  return -1;
}

function removeByKey(list: PodInfo[], key: string): void {
  const i = lastIndexOfKey(list, key);
  if (i >= 0) list.splice(i, 1);
}

function replaceAll<T>(dst: T[], src: readonly T[]): void {
  const n = src.length;
  if (dst.length > n) dst.length = n;
  for (let i = 0; i < n; i++) dst[i] = src[i] as T;
}
