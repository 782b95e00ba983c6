/**
 * MostAllocated (noderesources/most_allocated.go): per resource requested * 100 / allocatable,
 * requested capped at allocatable (non-zero defaults can exceed it); weighted mean, integer
 * division throughout.
 */
import { MAX_NODE_SCORE } from '../../framework/interface.ts';
import type { ResourceSpec } from './args.ts';
import { weightedMeanScorer, type Scorer } from './resource-allocation.ts';

export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  const r = requested > capacity ? capacity : requested;
  return Math.trunc((r * MAX_NODE_SCORE) / capacity);
}

export function mostResourceScorer(resources: readonly ResourceSpec[]): Scorer {
  return weightedMeanScorer(resources, mostRequestedScore);
}
