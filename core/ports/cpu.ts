/**
 * The processor a process runs on, as far as its work costs time (DESIGN.md §8, "CPU cost
 * model"). A component charges each unit of work it does: the host turns the charge into time
 * on one of the process's cores and settles the promise when that time has passed, so work
 * queues when every core is busy, as it does on a real machine.
 *
 * In real mode, and in simulations without a cost model, work is free: `charge` returns
 * undefined and the caller goes on at once, without even a microtask hop, so a run without a
 * cost model interleaves exactly as it did before the port existed.
 */

/**
 * What a unit of work is, per kind of work. Each kind costs a base per charge plus a cost per
 * unit (the host's model says how much).
 *
 * - `api.get` ... `api.delete`: one API request by verb (`api.list`: a GET answered with a list);
 *   units are KiB of request and response body.
 * - `scheduler.attempt`: one scheduling cycle; units are nodes evaluated by the filters plus
 *   nodes scored.
 * - `controller.reconcile`: one work-queue item taken by a controller's worker (a sync);
 *   units are reconciles (1).
 * - `raft.ready`: one Ready of a Raft store member persisted (a WAL write and fsync) and
 *   applied; units are entries persisted plus entries applied.
 */
export const CPU_WORK_KINDS = [
  'api.get',
  'api.list',
  'api.create',
  'api.update',
  'api.patch',
  'api.delete',
  'scheduler.attempt',
  'controller.reconcile',
  'raft.ready',
] as const;

export type CpuWork = (typeof CPU_WORK_KINDS)[number];

export interface Cpu {
  /**
   * True when every charge is free: a caller may skip measuring units it would only charge
   * (the size of a response, say). Constant for the process's life.
   */
  readonly free: boolean;
  /**
   * Charges `units` (finite, >= 0) of `work`. Resolves once the work has had its CPU time, or
   * returns undefined when it costs nothing: `const c = cpu.charge(...); if (c) await c;`.
   * A crashed process's charge never resolves.
   */
  charge(work: CpuWork, units: number): Promise<void> | undefined;
}

/** The processor of real mode and of runs without a cost model: everything is free. */
export const FREE_CPU: Cpu = {
  free: true,
  charge: () => undefined,
};
