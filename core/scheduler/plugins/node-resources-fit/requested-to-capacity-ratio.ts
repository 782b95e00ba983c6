/**
 * RequestedToCapacityRatio (noderesources/requested_to_capacity_ratio.go): utilization
 * (0..100, integer) is mapped through the user's broken-linear shape (scores 0..10 scaled by
 * 10); resources scoring 0 do not count toward the weight sum; the mean is rounded.
 */
import { MAX_NODE_SCORE } from '../../framework/interface.ts';
import { buildBrokenLinearFunction } from '../helper/shape.ts';
import {
  MAX_CUSTOM_PRIORITY_SCORE,
  type ResourceSpec,
  type UtilizationShapePoint,
} from './args.ts';
import type { Scorer } from './resource-allocation.ts';

const MAX_UTILIZATION = 100;

/** requested * max / capacity with requested clamped to [0, capacity]. */
export function scaledUtilization(requested: number, capacity: number, max: number): number {
  if (capacity <= 0 || requested <= 0) return 0;
  if (requested >= capacity) return max;
  return Math.trunc((requested * max) / capacity);
}

export function requestedToCapacityRatioScorer(
  resources: readonly ResourceSpec[],
  shape: readonly UtilizationShapePoint[],
): Scorer {
  const raw = buildBrokenLinearFunction(
    shape.map((p) => ({
      utilization: p.utilization,
      score: p.score * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE),
    })),
  );
  const resourceScore = (requested: number, capacity: number): number =>
    capacity === 0 || requested > capacity
      ? raw(MAX_UTILIZATION)
      : raw(scaledUtilization(requested, capacity, MAX_UTILIZATION));
  return (requested, allocatable) => {
    let score = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      const alloc = allocatable[i] as number;
      if (alloc === 0) continue;
      const w = (resources[i] as ResourceSpec).weight;
      const s = resourceScore(requested[i] as number, alloc);
      if (s > 0) {
        score += s * w;
        weightSum += w;
      }
    }
    // Go's math.Round rounds half away from zero; scores are non-negative here.
    return weightSum === 0 ? 0 : Math.round(score / weightSum);
  };
}
