import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Trace } from '../../../core/ports/trace.ts';
import { TraceChecker } from '../../../core/trace/validate.ts';
import { hostProcess } from '../../../real/host/host-process.ts';
import { HostRandom } from '../../../real/host/host-random.ts';
import { JsonlTrace } from '../../../real/host/jsonl-trace.ts';
import { WallClock } from '../../../real/host/wall-clock.ts';
import { SeededRandom } from '../../../sim/random.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
function dir(): string {
  const d = tempDir('ports');
  dirs.push(d);
  return d.path;
}

describe('WallClock', () => {
  it('reads Unix microseconds', () => {
    const clock = new WallClock();
    const us = clock.now();
    expect(Number.isInteger(us)).toBe(true);
    // The same instant as Date's, to within a generous second (not a timing assertion).
    expect(Math.abs(us - Date.now() * 1_000)).toBeLessThan(1_000_000);
  });

  it('fires timers in deadline order, never inside the call, never early; cancelled ones never', async () => {
    const clock = new WallClock();
    const fired: string[] = [];
    const startUs = clock.now();
    let lateUs = 0;
    clock.setTimer(20_000, () => {
      fired.push('20ms');
      lateUs = clock.now() - startUs;
    });
    const cancelled = clock.setTimer(5_000, () => fired.push('cancelled'));
    clock.setTimer(0, () => fired.push('0'));
    clock.setTimer(2_500, () => fired.push('2.5ms'));
    clock.cancelTimer(cancelled);
    expect(fired).toEqual([]);
    // Polled rather than slept for: under load the loop may stall past any fixed wait.
    while (fired.length < 3) await clock.sleep(5_000);
    await clock.sleep(10_000);
    clock.cancelTimer(cancelled);
    expect(fired).toEqual(['0', '2.5ms', '20ms']);
    expect(lateUs).toBeGreaterThanOrEqual(20_000);
  });

  it('drops pending timers and arms no new ones once stopped', async () => {
    const clock = new WallClock();
    const fired: string[] = [];
    clock.setTimer(1_000, () => fired.push('pending'));
    clock.stop();
    clock.setTimer(0, () => fired.push('new'));
    await new WallClock().sleep(20_000);
    expect(fired).toEqual([]);
  });

  it('refuses a delay that is not a non-negative integer', () => {
    expect(() => new WallClock().setTimer(-1, () => {})).toThrow(/non-negative integer/);
    expect(() => new WallClock().setTimer(0.5, () => {})).toThrow(/non-negative integer/);
  });
});

describe('HostRandom', () => {
  it("draws, for a given seed, exactly the simulator's streams, forks included", () => {
    const draw = (r: { float(): number; int(n: number): number }): number[] => [
      r.float(),
      r.int(1000),
      r.float(),
    ];
    for (const seed of [0, 7, 123456789]) {
      expect(draw(HostRandom.root(seed))).toEqual(draw(SeededRandom.root(seed)));
      expect(draw(HostRandom.root(seed).fork('raft').fork('x'))).toEqual(
        draw(SeededRandom.root(seed).fork('raft').fork('x')),
      );
    }
  });

  it('draws crypto seeds that differ', () => {
    const seeds = new Set(Array.from({ length: 8 }, () => HostRandom.cryptoSeed()));
    expect(seeds.size).toBe(8);
    for (const s of seeds) expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
  });
});

describe('JsonlTrace', () => {
  const options = (path: string) =>
    ({
      path,
      process: 'etcd-0',
      seed: 42,
      level: 'info',
      ksimVersion: '0.0.0-test',
      now: () => 1_000,
      check: true,
    }) as const;

  it('writes the header, then schema-valid records stamped with its process', () => {
    const path = join(dir(), 'trace.jsonl');
    const trace = new JsonlTrace(options(path));
    (trace as Trace).emit('process.start', { incarnation: 1 });
    trace.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    const checker = new TraceChecker();
    for (const line of lines) expect(checker.line(line)).toMatchObject({ ok: true });
    expect(JSON.parse(lines[0]!)).toMatchObject({ k: 'trace.header', seed: 42, level: 'info' });
    expect(JSON.parse(lines[1]!)).toEqual({
      t: 0,
      p: 'etcd-0',
      k: 'process.start',
      incarnation: 1,
    });
  });

  it('refuses a record that does not match its definition, in check mode', () => {
    const trace = new JsonlTrace(options(join(dir(), 'trace.jsonl')));
    expect(() => trace.emit('process.start', { incarnation: 'one' })).toThrow(/trace check/);
    trace.close();
  });
});

describe('hostProcess', () => {
  it('runs spawned tasks later, and ends the process with a clear message when one throws', async () => {
    const fatal: string[] = [];
    const host = hostProcess({
      name: 'worker',
      seed: 3,
      dataDir: dir(),
      transport: undefined as never,
      fatal: (m) => fatal.push(m),
    });
    const order: string[] = [];
    host.ports.spawn(async () => {
      order.push('task');
      await host.ports.clock.sleep(1_000);
      throw new Error('broken invariant');
    });
    order.push('caller');
    await new WallClock().sleep(30_000);
    expect(order).toEqual(['caller', 'task']);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatch(/^process worker: a task failed: Error: broken invariant/);
    await host.close();
  });

  it('seeds its randomness as a simulated process of the same seed', () => {
    const host = hostProcess({ name: 'p', seed: 9, dataDir: dir(), transport: undefined as never });
    expect(host.ports.random.float()).toBe(
      SeededRandom.root(9).fork('process/p').fork('incarnation-1').float(),
    );
    expect(host.seed).toBe(9);
  });
});
