/**
 * A simulation paced to the wall clock (`ksim serve`): virtual time advances no faster than
 * wall time times `speed`, and requests from outside enter at the virtual time the pacer has
 * reached when they arrive. Everything inside stays deterministic given the arrival times;
 * only when things arrive depends on the wall clock, which the caller (the CLI, the one place
 * that may read it) provides as `WallClock`.
 */
import type { OutsideRequests } from './outside-requests.ts';
import type { Simulation } from './simulation.ts';

export interface WallClock {
  /** Milliseconds, from any origin. */
  nowMs(): number;
  /** Resolves after `ms`, or as soon as `wake` resolves. */
  sleep(ms: number, wake: Promise<void>): Promise<void>;
}

export interface PacedRunOptions {
  /** Virtual seconds per wall second: 1 is real time, 10 ten times faster, 0.1 slower. */
  readonly speed: number;
  /** Checked between steps: true ends the run. */
  readonly stop: () => boolean;
}

/** The longest the pacer sleeps at once, so that `stop` is seen promptly. */
const MAX_SLEEP_MS = 50;

export async function runPaced(
  sim: Simulation,
  outside: OutsideRequests,
  wall: WallClock,
  options: PacedRunOptions,
): Promise<void> {
  const startMs = wall.nowMs();
  const startUs = sim.now;
  const targetUs = (): number =>
    startUs + Math.floor((wall.nowMs() - startMs) * 1000 * options.speed);
  while (!options.stop()) {
    const target = targetUs();
    if (target > sim.now) await sim.run({ untilUs: target });
    if (outside.admit() > 0) {
      // Start the admitted requests now; what they cause later waits for its time.
      await sim.run({ untilUs: sim.now });
      continue;
    }
    const next = sim.loop.nextEventUs;
    const untilNextMs = next === undefined ? MAX_SLEEP_MS : (next - sim.now) / 1000 / options.speed;
    await wall.sleep(Math.min(MAX_SLEEP_MS, Math.max(0, untilNextMs)), outside.arrival());
  }
}
