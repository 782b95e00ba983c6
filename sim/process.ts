import { FREE_CPU } from '../core/ports/cpu.ts';
import type { ProcessPorts } from '../core/ports/process.ts';
import { buggifyOn, SimBuggify, type BuggifyConfig } from './buggify.ts';
import { assert } from '../core/util/assert.ts';
import { CpuUsage, SimCpu, type CpuProfile } from './cpu.ts';
import type { EventLoop, EventOwner } from './event-loop.ts';
import type { Network } from './network.ts';
import { ProcessClock } from './process-clock.ts';
import type { SeededRandom } from './random.ts';
import type { SimDisk } from './disk.ts';
import type { TraceRecorder } from './trace.ts';

/** Builds a process's volatile state from its ports; called at every (re)start. */
export type ProcessFactory = (ports: ProcessPorts) => unknown;

/**
 * A named simulated process. Its disk and clock belong to the machine and survive crashes;
 * everything the factory built is volatile and is dropped on a crash, together with the
 * incarnation's pending timers, replies and deliveries.
 */
export class SimProcess implements EventOwner {
  incarnation = 0;
  alive = false;
  instance: unknown = undefined;
  readonly clock: ProcessClock;
  /** What the process's processor did (zero without a CPU profile). */
  readonly cpuUsage = new CpuUsage();

  constructor(
    readonly name: string,
    private readonly factory: ProcessFactory,
    private readonly loop: EventLoop,
    private readonly network: Network,
    readonly disk: SimDisk,
    private readonly random: SeededRandom,
    private readonly trace: TraceRecorder,
    epochUs: number,
    private readonly checkImmutability = false,
    /** Its processor under the run's cost model; free work without one. */
    private readonly cpuProfile: CpuProfile | undefined = undefined,
    private readonly buggify: BuggifyConfig | undefined = undefined,
  ) {
    this.clock = new ProcessClock(loop, this, epochUs);
  }

  start(): void {
    assert(!this.alive, `process ${this.name} is already running`);
    this.incarnation++;
    this.alive = true;
    const incarnation = this.incarnation;
    const transport = this.network.attach(this);
    this.trace.record(this.name, 'process.start', { incarnation });
    const loop = this.loop;
    const trace = this.trace.forProcess(this.name);
    const buggify = buggifyOn(this.buggify)
      ? new SimBuggify(this.buggify!, this.random.fork(`buggify-${incarnation}`), trace)
      : undefined;
    const ports: ProcessPorts = {
      name: this.name,
      incarnation,
      clock: this.clock,
      random: this.random.fork(`incarnation-${incarnation}`),
      transport,
      disk: this.disk.port(this),
      trace,
      // A restarted process starts with idle cores: the work queued before the crash died.
      cpu:
        this.cpuProfile === undefined
          ? FREE_CPU
          : new SimCpu(loop, this, this.cpuProfile, this.cpuUsage),
      checkImmutability: this.checkImmutability,
      ...(buggify === undefined ? {} : { buggify }),
      spawn: (task) => {
        loop.schedule(0, task, this);
      },
    };
    this.instance = this.factory(ports);
  }

  crash(): void {
    if (!this.alive) return;
    this.alive = false;
    this.instance = undefined;
    this.network.detach(this.name);
    this.disk.crash();
    this.trace.record(this.name, 'process.crash', { incarnation: this.incarnation });
  }
}
