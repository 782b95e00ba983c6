/**
 * LeastAllocated (noderesources/least_allocated.go): per resource
 * (allocatable - requested) * 100 / allocatable, 0 when over-requested; weighted mean,
 * integer division throughout.
 */
import { MAX_NODE_SCORE } from '../../framework/interface.ts';
import type { ResourceSpec } from './args.ts';
import { weightedMeanScorer, type Scorer } from './resource-allocation.ts';

export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export function leastResourceScorer(resources: readonly ResourceSpec[]): Scorer {
  return weightedMeanScorer(resources, leastRequestedScore);
}
