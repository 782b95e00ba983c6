import { Simulation } from '../../simulation.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { jsonProtocol } from '../../../core/ports/transport.ts';

export interface KernelBenchRow {
  readonly name: string;
  readonly events: number;
  readonly wallMs: number;
  readonly eventsPerSecond: number;
  readonly virtualSeconds: number;
}

export interface KernelBenchOptions {
  readonly seed: number;
  readonly timerEvents: number;
  readonly messages: number;
  readonly processes: number;
  /** Check mode (SimulationOptions.checkImmutability): measures what checking costs. */
  readonly checkImmutability?: boolean;
}

export const DEFAULT_KERNEL_BENCH: KernelBenchOptions = {
  seed: 1,
  timerEvents: 4_000_000,
  messages: 2_000_000,
  processes: 100,
};

/** Wall clock for the harness only; it never flows into the simulation. */
const wallMs = (): number => performance.now();

/** Every process keeps a periodic timer going with a jittered period: pure event-loop cost. */
function simulation(opts: KernelBenchOptions): Simulation {
  return new Simulation({ seed: opts.seed, checkImmutability: opts.checkImmutability ?? false });
}

async function timers(opts: KernelBenchOptions): Promise<KernelBenchRow> {
  const sim = simulation(opts);
  for (let i = 0; i < opts.processes; i++) {
    sim.spawnProcess(`p${i}`, (ports: ProcessPorts) => {
      const tick = (): void => {
        ports.clock.setTimer(1_000 + ports.random.int(1_000), tick);
      };
      tick();
    });
  }
  const start = wallMs();
  const outcome = await sim.run({ maxEvents: opts.timerEvents });
  return row('timer events', outcome.eventsRun, wallMs() - start, sim.now);
}

const PING = jsonProtocol('ping');

/** Datagrams bounce between random peers through the default network model. */
async function messages(opts: KernelBenchOptions): Promise<KernelBenchRow> {
  const sim = simulation(opts);
  const names = Array.from({ length: opts.processes }, (_, i) => `p${i}`);
  for (const name of names) {
    sim.spawnProcess(name, (ports: ProcessPorts) => {
      const msg = { kind: 'ping' };
      ports.transport.listen(PING, {
        onMessage: () =>
          ports.transport.send(PING, names[ports.random.int(names.length)] as string, msg),
      });
      for (let k = 0; k < 10; k++)
        ports.transport.send(PING, names[ports.random.int(names.length)] as string, msg);
    });
  }
  const start = wallMs();
  await sim.run({ maxEvents: opts.messages });
  return row('network messages', sim.network.stats.delivered, wallMs() - start, sim.now);
}

function row(name: string, events: number, elapsedMs: number, virtualUs: number): KernelBenchRow {
  return {
    name,
    events,
    wallMs: Math.round(elapsedMs),
    eventsPerSecond: Math.round(events / (elapsedMs / 1000)),
    virtualSeconds: virtualUs / 1e6,
  };
}

export async function runKernelBench(
  opts: KernelBenchOptions = DEFAULT_KERNEL_BENCH,
): Promise<KernelBenchRow[]> {
  return [await timers(opts), await messages(opts)];
}
