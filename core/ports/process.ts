import type { Buggify } from './buggify.ts';
import type { Clock } from './clock.ts';
import type { Cpu } from './cpu.ts';
import type { Disk } from './disk.ts';
import type { Random } from './random.ts';
import type { Trace } from './trace.ts';
import type { Transport } from './transport.ts';

/**
 * Everything a service process gets from its host. A process never reaches past these: in
 * simulation they are the event loop's, in real mode the operating system's.
 */
export interface ProcessPorts {
  readonly name: string;
  /** Starts at 1 and grows by one at every restart. */
  readonly incarnation: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
  readonly disk: Disk;
  readonly trace: Trace;
  /**
   * The process's processor: components charge their work to it (FREE_CPU in real mode and in
   * simulations without a cost model).
   */
  readonly cpu: Cpu;
  /**
   * Check mode (DESIGN.md §8): the objects this process shares with others without copying
   * (decoded store objects, the watch cache's objects, informer caches) are deep-frozen, so a
   * mutation throws instead of corrupting what another holder sees. Off in fast mode, which
   * shares the same objects unfrozen, and in real mode. Read it once, at construction: it
   * never changes, and hot paths should not test it per object when it is off.
   */
  readonly checkImmutability: boolean;
  /** The run's buggify sites (buggify.ts); absent when none is on, and always in real mode. */
  readonly buggify?: Buggify;
  /**
   * Starts detached async work owned by this process (a control loop, a watch consumer). It dies
   * with the process; an exception in it is a programmer error and fails the run.
   */
  spawn(task: () => Promise<unknown>): void;
}
