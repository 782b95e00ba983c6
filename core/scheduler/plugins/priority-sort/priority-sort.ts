/**
 * QueueSort: higher priority first, then the pod that entered the queue earlier
 * (pkg/scheduler/framework/plugins/queuesort/priority_sort.go). Virtual time makes equal
 * timestamps common, so the queue's arrival counter breaks those ties (FIFO).
 */
import type { QueueSortPlugin } from '../../framework/interface.ts';
import type { QueuedPodInfo } from '../../framework/queued-pod-info.ts';
import { PRIORITY_SORT } from '../names/names.ts';

export const NAME = PRIORITY_SORT;

export class PrioritySort implements QueueSortPlugin {
  readonly name = NAME;

  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = a.podInfo.priority;
    const pb = b.podInfo.priority;
    if (pa !== pb) return pa > pb;
    return a.timestampUs !== b.timestampUs ? a.timestampUs < b.timestampUs : a.seq < b.seq;
  }
}

export function New(): PrioritySort {
  return new PrioritySort();
}
