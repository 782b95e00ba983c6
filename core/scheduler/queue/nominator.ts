/**
 * Pods nominated to a node by preemption and not bound yet (scheduling_queue.go nominator).
 * Filters count them on their nominated node for pods of lower priority, so the space
 * preemption freed is not taken by someone else.
 */
import type { PodNominator } from '../framework/handle.ts';
import type { PodInfo } from '../framework/pod-info.ts';

const NONE: readonly PodInfo[] = [];

export class Nominator implements PodNominator {
  private readonly byNode = new Map<string, PodInfo[]>();
  private readonly nodeOfPod = new Map<string, string>();

  get isEmpty(): boolean {
    return this.nodeOfPod.size === 0;
  }

  /**
   * Nominates `pi` to `nodeName`, or to the pod's status.nominatedNodeName when undefined;
   * "" removes the nomination.
   */
  add(pi: PodInfo, nodeName?: string): void {
    this.delete(pi.key);
    const node = nodeName ?? pi.pod.status?.nominatedNodeName ?? '';
    if (node === '') return;
    this.nodeOfPod.set(pi.key, node);
    const list = this.byNode.get(node);
    if (list === undefined) this.byNode.set(node, [pi]);
    else list.push(pi);
  }

  delete(podKey: string): void {
    const node = this.nodeOfPod.get(podKey);
    if (node === undefined) return;
    this.nodeOfPod.delete(podKey);
    const list = (this.byNode.get(node) ?? []).filter((p) => p.key !== podKey);
    if (list.length === 0) this.byNode.delete(node);
    else this.byNode.set(node, list);
  }

  /** Keeps the nomination but refreshes the pod object (after an update). */
  update(pi: PodInfo): void {
    const node = this.nodeOfPod.get(pi.key);
    if (node === undefined) {
      this.add(pi);
      return;
    }
    const fromStatus = pi.pod.status?.nominatedNodeName;
    this.add(pi, fromStatus !== undefined && fromStatus !== '' ? fromStatus : node);
  }

  nominatedNodeOf(podKey: string): string | undefined {
    return this.nodeOfPod.get(podKey);
  }

  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    return this.byNode.get(nodeName) ?? NONE;
  }
}
