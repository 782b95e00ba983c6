import { FREE_CPU } from '../../core/ports/cpu.ts';
import type { ProcessPorts } from '../../core/ports/process.ts';
import { NO_TRACE, type Trace } from '../../core/ports/trace.ts';
import type { Transport } from '../../core/ports/transport.ts';
import type { TraceLevel } from '../../core/trace/define.ts';
import { FileDisk } from './file-disk.ts';
import { HostRandom } from './host-random.ts';
import { JsonlTrace } from './jsonl-trace.ts';
import { WallClock } from './wall-clock.ts';

/** The exit code of a process that stopped on a programmer error or a failed disk (as ksim's 3). */
export const EXIT_FATAL = 3;

/** Ends the process: a real host's crash. Tests pass one that records instead. */
export type Fatal = (message: string) => void;

export const exitOnFatal: Fatal = (message) => {
  process.stderr.write(`ksim: ${message}\n`);
  process.exit(EXIT_FATAL);
};

export interface HostProcessOptions {
  readonly name: string;
  /** The root seed; drawn from the OS when absent (and recorded in the trace header). */
  readonly seed?: number;
  /** The directory the Disk port's paths live under. */
  readonly dataDir: string;
  readonly transport: Transport;
  readonly trace?: {
    readonly path: string;
    readonly level: TraceLevel;
    readonly ksimVersion: string;
    readonly check?: boolean;
  };
  readonly fatal?: Fatal;
}

export interface HostProcess {
  readonly ports: ProcessPorts;
  readonly seed: number;
  /**
   * Stops its timers, flushes the trace and closes the files (a clean stop; SIGKILL skips it,
   * by design). Close the transport first.
   */
  close(): Promise<void>;
}

/**
 * One real process's ports: the wall clock, seeded randomness, files under a directory, the
 * given transport and a JSONL trace. Its incarnation is always 1: a restart is a new OS
 * process, which finds only what the previous one made durable. Check mode is off, as the port
 * says of real mode.
 */
export function hostProcess(options: HostProcessOptions): HostProcess {
  const exit = options.fatal ?? exitOnFatal;
  // Declared below; the trace's last lines are flushed before the process ends.
  let jsonl: JsonlTrace | undefined;
  const fatal: Fatal = (message) => {
    jsonl?.flush();
    exit(message);
  };
  const seed = options.seed ?? HostRandom.cryptoSeed();
  const clock = new WallClock();
  const disk = new FileDisk(options.dataDir, (what, error) =>
    fatal(`process ${options.name}: disk ${what} failed: ${describe(error)}`),
  );
  jsonl =
    options.trace === undefined
      ? undefined
      : new JsonlTrace({
          ...options.trace,
          process: options.name,
          seed,
          now: () => clock.now(),
        });
  const trace: Trace = jsonl ?? NO_TRACE;
  const failed = (error: unknown): void =>
    fatal(`process ${options.name}: a task failed: ${describe(error)}`);
  const ports: ProcessPorts = {
    name: options.name,
    incarnation: 1,
    clock,
    // The simulator's derivation for a process's first incarnation (sim/simulation.ts).
    random: HostRandom.root(seed).fork(`process/${options.name}`).fork('incarnation-1'),
    transport: options.transport,
    disk,
    trace,
    // Real work takes real time: no virtual charge on top of it.
    cpu: FREE_CPU,
    checkImmutability: false,
    // Detached, as in simulation: the task starts on a later turn of the loop, never inside
    // the caller, and an exception in it is a programmer error that ends the process.
    spawn: (task) => {
      setImmediate(() => {
        try {
          task().catch(failed);
        } catch (e) {
          failed(e);
        }
      });
    },
  };
  return {
    ports,
    seed,
    close: async () => {
      clock.stop();
      await disk.close();
      jsonl?.close();
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
