/**
 * A simulation paced to the wall clock (`ksim serve`): virtual time advances no faster than
 * wall time times the speed, and requests from outside enter at the virtual time the pacer has
 * reached when they arrive. Everything inside stays deterministic given the arrival times;
 * only when things arrive depends on the wall clock, which the caller (the CLI, the one place
 * that may read it) provides as `WallClock`.
 *
 * The pacing can be paused, resumed and sped up or slowed down while the run goes on (the live
 * view's controls). None of that reaches the world: it changes only how far the pacer lets the
 * event loop run at a given wall time, as the arrival times of outside requests do.
 */
import type { OutsideRequests } from './outside-requests.ts';
import type { Simulation } from './simulation.ts';

export interface WallClock {
  /** Milliseconds, from any origin. */
  nowMs(): number;
  /** Resolves after `ms`, or as soon as `wake` resolves. */
  sleep(ms: number, wake: Promise<void>): Promise<void>;
}

export interface PacingState {
  /** Virtual seconds per wall second: 1 is real time, 10 ten times faster, 0.1 slower. */
  readonly speed: number;
  readonly paused: boolean;
}

/**
 * How far virtual time may have gone at a wall time: a line from an anchor (a wall time and
 * the virtual time reached then) with the speed as its slope, flat while paused. Every change
 * re-anchors at the virtual time the simulation has reached, so the virtual clock neither
 * goes back nor jumps ahead: a pause stops it where it is, and a simulation that lagged behind
 * its pace (too much work for the speed) does not rush to catch up after a change.
 */
export class Pacing {
  private anchorMs: number;
  private anchorUs: number;
  private speedValue: number;
  private pausedValue = false;

  constructor(
    private readonly wall: WallClock,
    private readonly virtualNowUs: () => number,
    speed: number,
  ) {
    Pacing.checkSpeed(speed);
    this.speedValue = speed;
    this.anchorMs = wall.nowMs();
    this.anchorUs = virtualNowUs();
  }

  /** Whether `speed` is one the pacing takes: a positive finite number. */
  static validSpeed(speed: number): boolean {
    return speed > 0 && Number.isFinite(speed);
  }

  private static checkSpeed(speed: number): void {
    if (!Pacing.validSpeed(speed)) throw new RangeError(`invalid speed ${speed}`);
  }

  get state(): PacingState {
    return { speed: this.speedValue, paused: this.pausedValue };
  }

  /** The virtual time the simulation may run to now. */
  targetUs(): number {
    if (this.pausedValue) return this.anchorUs;
    return this.anchorUs + Math.floor((this.wall.nowMs() - this.anchorMs) * 1000 * this.speedValue);
  }

  /** Wall milliseconds until the pace reaches `us` (Infinity while paused). */
  wallMsUntil(us: number): number {
    if (this.pausedValue) return Infinity;
    return (us - this.virtualNowUs()) / 1000 / this.speedValue;
  }

  pause(): void {
    this.reanchor();
    this.pausedValue = true;
  }

  resume(): void {
    this.reanchor();
    this.pausedValue = false;
  }

  setSpeed(speed: number): void {
    Pacing.checkSpeed(speed);
    this.reanchor();
    this.speedValue = speed;
  }

  private reanchor(): void {
    this.anchorMs = this.wall.nowMs();
    this.anchorUs = this.virtualNowUs();
  }
}

export interface PacedRunOptions {
  /** Virtual seconds per wall second, fixed (default 1); ignored when `pacing` is given. */
  readonly speed?: number;
  /** A pace the caller changes while the run goes on. */
  readonly pacing?: Pacing;
  /** Checked between steps: true ends the run. */
  readonly stop: () => boolean;
}

/** The longest the pacer sleeps at once, so that `stop` and pacing changes are seen promptly. */
const MAX_SLEEP_MS = 50;

export async function runPaced(
  sim: Simulation,
  outside: OutsideRequests,
  wall: WallClock,
  options: PacedRunOptions,
): Promise<void> {
  const pacing = options.pacing ?? new Pacing(wall, () => sim.now, options.speed ?? 1);
  while (!options.stop()) {
    const target = pacing.targetUs();
    if (target > sim.now) await sim.run({ untilUs: target });
    if (outside.admit() > 0) {
      // Start the admitted requests now; what they cause later waits for its time.
      await sim.run({ untilUs: sim.now });
      continue;
    }
    const next = sim.loop.nextEventUs;
    const untilNextMs = next === undefined ? MAX_SLEEP_MS : pacing.wallMsUntil(next);
    await wall.sleep(Math.min(MAX_SLEEP_MS, Math.max(0, untilNextMs)), outside.arrival());
  }
}
