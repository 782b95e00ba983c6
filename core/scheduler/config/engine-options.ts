/**
 * What a scheduler process derives from its configuration for the SchedulingEngine, in one place
 * so the scheduler process and the scheduler_perf harness run the engine identically.
 */
import type { QueueOptions } from '../queue/scheduling-queue.ts';
import type { SchedulerConfiguration } from './load.ts';

const SECOND_US = 1_000_000;

/** How often the engine's per-second housekeeping runs (backoff and unschedulable moves). */
export const ENGINE_TICK_US = SECOND_US;
/** scheduling_queue.go: the unschedulable pool's leftover flush runs every 30 s. */
export const UNSCHEDULABLE_FLUSH_US = 30 * SECOND_US;
/** scheduling_queue.go DefaultPodMaxInUnschedulablePodsDuration: 5 min. */
const POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION_US = 5 * 60 * SECOND_US;

export function queueOptionsFrom(config: SchedulerConfiguration): QueueOptions {
  return {
    podInitialBackoffUs: config.podInitialBackoffSeconds * SECOND_US,
    podMaxBackoffUs: config.podMaxBackoffSeconds * SECOND_US,
    podMaxInUnschedulablePodsDurationUs: POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION_US,
  };
}
