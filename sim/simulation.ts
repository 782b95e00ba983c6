import { assert } from '../core/util/assert.ts';
import type { CpuProfile } from './cpu.ts';
import type { BuggifyConfig } from './buggify.ts';
import { DEFAULT_DISK, SimDisk, type DiskOptions } from './disk.ts';
import { DEFAULT_EPOCH, epochUs } from './epoch.ts';
import { EventLoop, type RunLimits, type RunOutcome } from './event-loop.ts';
import { DEFAULT_NETWORK, Network, type NetworkOptions } from './network.ts';
import { SimProcess, type ProcessFactory } from './process.ts';
import { SeededRandom } from './random.ts';
import { TraceRecorder, type TraceLevel } from './trace.ts';
import { checkingSink } from './trace-check.ts';
import { KSIM_VERSION } from './version.ts';
import { DEFAULT_SAMPLE_EVERY, WireCheck } from './wire-check.ts';

export interface SimulationOptions {
  readonly seed: number;
  readonly network?: NetworkOptions;
  readonly disk?: DiskOptions;
  readonly traceLevel?: TraceLevel;
  /** Checks every trace record against its schema as it is written (tests; slows the run). */
  readonly checkTrace?: boolean;
  /**
   * RFC3339 wall-clock time at which every process's clock starts (default DEFAULT_EPOCH).
   * Only timestamps change with it: virtual time, and the trace's `t`, still count from 0.
   */
  readonly epoch?: string;
  /**
   * Check mode (DESIGN.md §8): every message is deep-frozen when sent and every
   * `wireSampleEvery`-th message of each protocol and shape is round-tripped through its codec;
   * processes freeze the objects they share (`ProcessPorts.checkImmutability`). The trace is
   * the same in both modes. Default: `setDefaultCheckImmutability` (off, but on in the test
   * suite).
   */
  readonly checkImmutability?: boolean;
  readonly wireSampleEvery?: number;
  /** Buggify sites turned on for this run (sim/buggify.ts); none by default. */
  readonly buggify?: BuggifyConfig;
}

let defaultCheckImmutability = false;

/**
 * The mode of simulations that do not choose one. The test suite turns check mode on for all
 * of them (test/support/check-mode.ts); the CLI's commands choose explicitly.
 */
export function setDefaultCheckImmutability(on: boolean): void {
  defaultCheckImmutability = on;
}

/**
 * One seed builds the whole world: the event loop, the network, every process's disk, clock
 * and random stream. Nothing in a run reads the wall clock or an unseeded source, so the same
 * seed and the same program give the same trace, byte for byte.
 */
export class Simulation {
  readonly seed: number;
  readonly loop = new EventLoop();
  readonly random: SeededRandom;
  readonly trace: TraceRecorder;
  readonly network: Network;
  /** The epoch in Unix microseconds: what process clocks read at virtual time 0. */
  readonly epochUs: number;
  readonly checkImmutability: boolean;
  /** Check mode's watch over the network, when on. */
  readonly wireCheck: WireCheck | undefined;
  private readonly processes = new Map<string, SimProcess>();
  private readonly diskOptions: DiskOptions;
  private readonly buggify: BuggifyConfig | undefined;

  constructor(options: SimulationOptions) {
    assert(Number.isSafeInteger(options.seed), `seed must be an integer, got ${options.seed}`);
    this.seed = options.seed;
    this.epochUs = epochUs(options.epoch ?? DEFAULT_EPOCH);
    this.random = SeededRandom.root(options.seed);
    this.trace = new TraceRecorder(() => this.loop.now, {
      seed: options.seed,
      level: options.traceLevel ?? 'info',
      ksimVersion: KSIM_VERSION,
    });
    if (options.checkTrace === true) this.trace.addSink(checkingSink());
    this.checkImmutability = options.checkImmutability ?? defaultCheckImmutability;
    this.wireCheck = this.checkImmutability
      ? new WireCheck(options.wireSampleEvery ?? DEFAULT_SAMPLE_EVERY)
      : undefined;
    this.network = new Network(
      this.loop,
      this.random.fork('network'),
      this.trace,
      options.network ?? DEFAULT_NETWORK,
      this.wireCheck,
    );
    this.diskOptions = options.disk ?? DEFAULT_DISK;
    this.buggify = options.buggify;
  }

  get now(): number {
    return this.loop.now;
  }

  /**
   * Registers a process and starts it now. Names are unique for the whole run. With `cpu` its
   * work costs virtual time on that processor (sim/cpu.ts); without, work is free.
   */
  spawnProcess(name: string, factory: ProcessFactory, cpu?: CpuProfile): SimProcess {
    assert(!this.processes.has(name), `process ${name} already exists`);
    const random = this.random.fork(`process/${name}`);
    const disk = new SimDisk(name, this.loop, random.fork('disk'), this.trace, this.diskOptions);
    const proc = new SimProcess(
      name,
      factory,
      this.loop,
      this.network,
      disk,
      random,
      this.trace,
      this.epochUs,
      this.checkImmutability,
      cpu,
      this.buggify,
    );
    this.processes.set(name, proc);
    proc.start();
    return proc;
  }

  process(name: string): SimProcess {
    const proc = this.processes.get(name);
    if (proc === undefined) throw new Error(`no process named ${JSON.stringify(name)}`);
    return proc;
  }

  hasProcess(name: string): boolean {
    return this.processes.has(name);
  }

  processNames(): string[] {
    return [...this.processes.keys()];
  }

  crash(name: string): void {
    this.process(name).crash();
  }

  /** Starts a crashed process again as a new incarnation (a no-op for a running one). */
  restart(name: string): void {
    const proc = this.process(name);
    if (!proc.alive) proc.start();
  }

  /** Runs `fn` at virtual time `timeUs` (>= now), outside any process. */
  at(timeUs: number, fn: () => void): void {
    this.loop.scheduleAt(timeUs, fn, null);
  }

  run(limits: RunLimits = {}): Promise<RunOutcome> {
    return this.loop.run(limits);
  }
}
