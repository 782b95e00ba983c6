/**
 * ImageLocality (pkg/scheduler/framework/plugins/imagelocality/image_locality.go): prefers nodes
 * that already hold the pod's images. Each present image counts its size scaled by the share
 * of nodes holding it (so ubiquitous images do not dominate); the sum, clamped to
 * [23 MiB, 1000 MiB x containers], maps linearly to 0..100.
 */
import type { CycleState } from '../../framework/cycle-state.ts';
import type { Handle } from '../../framework/handle.ts';
import { MAX_NODE_SCORE, type ScorePlugin } from '../../framework/interface.ts';
import type { ImageStateSummary, NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { IMAGE_LOCALITY } from '../names/names.ts';

export const NAME = IMAGE_LOCALITY;

const MB = 1024 * 1024;
export const MIN_THRESHOLD = 23 * MB;
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

export function calculatePriority(sumScores: number, numContainers: number): number {
  const maxThreshold = MAX_CONTAINER_THRESHOLD * numContainers;
  let s = sumScores;
  if (s < MIN_THRESHOLD) s = MIN_THRESHOLD;
  else if (s > maxThreshold) s = maxThreshold;
  return Math.trunc((MAX_NODE_SCORE * (s - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
}

export function scaledImageScore(state: ImageStateSummary, totalNumNodes: number): number {
  return Math.trunc(state.size * (state.numNodes / totalNumNodes));
}

function containerCount(pod: PodInfo): number {
  return pod.pod.spec.containers.length + (pod.pod.spec.initContainers?.length ?? 0);
}

export class ImageLocality implements ScorePlugin {
  readonly name = NAME;

  constructor(private readonly handle: Handle) {}

  score(_state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): number {
    return this.scoreNode(pod, nodeInfo, this.handle.snapshot.list().length, containerCount(pod));
  }

  scoreAll(_state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: number[]): void {
    const total = this.handle.snapshot.list().length;
    const containers = containerCount(pod);
    const none = calculatePriority(0, containers);
    for (let i = 0; i < nodes.length; i++) {
      const ni = nodes[i] as NodeInfo;
      scores[i] = ni.imageStates.size === 0 ? none : this.scoreNode(pod, ni, total, containers);
    }
  }

  private scoreNode(
    pod: PodInfo,
    nodeInfo: NodeInfo,
    totalNodes: number,
    containers: number,
  ): number {
    let sum = 0;
    if (nodeInfo.imageStates.size > 0)
      for (const image of pod.images) {
        const st = nodeInfo.imageStates.get(image);
        if (st !== undefined) sum += scaledImageScore(st, totalNodes);
      }
    return calculatePriority(sum, containers);
  }
}

export function New(_args: unknown, handle: Handle): ImageLocality {
  return new ImageLocality(handle);
}
