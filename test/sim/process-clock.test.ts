import { describe, expect, it } from 'vitest';
import { formatTime } from '../../core/api/time.ts';
import { DEFAULT_EPOCH_US } from '../../sim/epoch.ts';
import { Simulation } from '../../sim/simulation.ts';

/** Clock readings of process "p" at virtual times, with `act` run at each of them first. */
async function readings(
  sim: Simulation,
  atUs: readonly number[],
  act: (virtualUs: number) => void = () => {},
): Promise<number[]> {
  const out: number[] = [];
  const proc = sim.spawnProcess('p', () => undefined);
  for (const t of atUs)
    sim.at(t, () => {
      act(t);
      out.push(proc.clock.now());
    });
  await sim.run();
  return out;
}

describe('process clocks', () => {
  it('read Unix microseconds from the default epoch, 2026-01-01T00:00:00Z', async () => {
    const sim = new Simulation({ seed: 1 });
    const [t0, t1] = await readings(sim, [0, 1_500_000]);
    expect(t0).toBe(DEFAULT_EPOCH_US);
    expect(formatTime(t0 as number)).toBe('2026-01-01T00:00:00Z');
    expect(t1).toBe(DEFAULT_EPOCH_US + 1_500_000);
    expect(sim.epochUs).toBe(DEFAULT_EPOCH_US);
  });

  it('start at the epoch a run gives, while virtual time still counts from 0', async () => {
    const sim = new Simulation({ seed: 1, epoch: '2030-06-15T12:00:00Z' });
    const [t] = await readings(sim, [2_000_000]);
    expect(formatTime(t as number)).toBe('2030-06-15T12:00:02Z');
    expect(sim.now).toBe(2_000_000);
  });

  it('refuses an epoch that is not RFC3339', () => {
    expect(() => new Simulation({ seed: 1, epoch: 'tomorrow' })).toThrow(/epoch/);
  });

  it('jump and drift on top of the epoch; timers are relative and never see a jump', async () => {
    const sim = new Simulation({ seed: 1 });
    const proc = sim.spawnProcess('q', () => undefined);
    let firedAtUs = -1;
    const out = await readings(sim, [1_000_000, 2_000_000, 3_000_000], (t) => {
      if (t === 1_000_000) {
        proc.clock.jump(-10_000_000);
        proc.clock.setTimer(500_000, () => (firedAtUs = sim.now));
      }
      if (t === 2_000_000) proc.clock.setRate(2);
    });
    const e = DEFAULT_EPOCH_US;
    // Process p's clock is untouched by q's faults.
    expect(out).toEqual([e + 1_000_000, e + 2_000_000, e + 3_000_000]);
    // Process q's clock: back 10 s at 1 s, twice as fast from 2 s.
    expect(proc.clock.now()).toBe(e + 1_000_000 - 10_000_000 + 1_000_000 + 2 * 1_000_000);
    expect(firedAtUs).toBe(1_500_000);
  });
});
