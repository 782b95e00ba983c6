import { describe, expect, it } from 'vitest';
import { EventLoop } from '../../sim/event-loop.ts';

describe('EventLoop', () => {
  it('runs events in (time, insertion) order', async () => {
    const loop = new EventLoop();
    const seen: string[] = [];
    loop.schedule(20, () => seen.push('c@20'));
    loop.schedule(10, () => seen.push('a@10'));
    loop.schedule(10, () => seen.push('b@10'));
    loop.schedule(0, () => seen.push('z@0'));
    await loop.run();
    expect(seen).toEqual(['z@0', 'a@10', 'b@10', 'c@20']);
    expect(loop.now).toBe(20);
  });

  it('never runs a cancelled event', async () => {
    const loop = new EventLoop();
    const seen: number[] = [];
    const ev = loop.schedule(5, () => seen.push(5));
    loop.schedule(1, () => loop.cancel(ev));
    loop.schedule(9, () => seen.push(9));
    await loop.run();
    expect(seen).toEqual([9]);
  });

  it('compacts the heap when cancelled timers pile up, without losing live events', async () => {
    const loop = new EventLoop();
    const fired: number[] = [];
    const timers = Array.from({ length: 20_000 }, (_, i) =>
      loop.schedule(1_000 + i, () => fired.push(i)),
    );
    for (let i = 0; i < timers.length; i++)
      if (i % 10 !== 0) loop.cancel(timers[i] as (typeof timers)[number]);
    expect(loop.pending).toBeLessThan(20_000);
    await loop.run();
    expect(fired).toEqual(Array.from({ length: 2_000 }, (_, k) => k * 10));
  });

  it('stops before events later than untilUs and leaves the clock there', async () => {
    const loop = new EventLoop();
    const seen: number[] = [];
    for (const t of [10, 20, 30]) loop.schedule(t, () => seen.push(t));
    const out = await loop.run({ untilUs: 25 });
    expect(out.reason).toBe('until');
    expect(seen).toEqual([10, 20]);
    expect(loop.now).toBe(25);
    await loop.run();
    expect(seen).toEqual([10, 20, 30]);
  });

  it('drops events of an owner that crashed or restarted since scheduling', async () => {
    const loop = new EventLoop();
    const owner = { name: 'p', incarnation: 1, alive: true };
    const seen: string[] = [];
    loop.schedule(10, () => seen.push('old'), owner);
    loop.schedule(5, () => {
      owner.incarnation = 2; // restart
      loop.schedule(10, () => seen.push('new'), owner);
    });
    await loop.run();
    expect(seen).toEqual(['new']);
  });

  it('lets a promise chain settle at the virtual time of the event that resolved it', async () => {
    const loop = new EventLoop();
    const times: number[] = [];
    const sleep = (us: number) =>
      new Promise<void>((resolve) =>
        loop.schedule(us, () => {
          resolve();
        }),
      );
    loop.schedule(0, async () => {
      await sleep(100);
      await Promise.resolve();
      await Promise.resolve();
      times.push(loop.now);
      await sleep(50);
      times.push(loop.now);
    });
    loop.schedule(120, () => times.push(-loop.now));
    await loop.run();
    expect(times).toEqual([100, -120, 150]);
  });

  it('settles every kind of promise chain before the next event', async () => {
    const loop = new EventLoop();
    const seen: string[] = [];
    const at = (us: number): Promise<void> =>
      new Promise<void>((resolve) => loop.schedule(us, () => resolve()));
    // An async function returning a pending promise resolves through a thenable job.
    const returnsPromise = async (): Promise<void> => at(10);
    loop.schedule(0, async () => {
      await returnsPromise();
      seen.push(`returned-promise@${loop.now}`);
    });
    // A hand-written thenable, resolved by an event.
    let resolveThenable: (() => void) | undefined;
    const thenable = {
      then(onFulfilled: () => void): void {
        resolveThenable = onFulfilled;
      },
    };
    loop.schedule(0, async () => {
      await thenable;
      seen.push(`thenable@${loop.now}`);
    });
    loop.schedule(20, () => resolveThenable?.());
    // A long chain: each hop queues the next only when it runs.
    loop.schedule(30, async () => {
      for (let i = 0; i < 500; i++) await Promise.resolve();
      seen.push(`chain@${loop.now}`);
    });
    // Scheduled after the resolving events, so each runs right after one of them.
    loop.schedule(0, () => {
      loop.schedule(10, () => seen.push('next@10'));
      loop.schedule(20, () => seen.push('next@20'));
      loop.schedule(0, () => loop.schedule(30, () => seen.push('next@30')));
    });
    await loop.run();
    expect(seen).toEqual([
      'returned-promise@10',
      'next@10',
      'thenable@20',
      'next@20',
      'chain@30',
      'next@30',
    ]);
  });

  it('lets the host run its own macrotasks during a long run', async () => {
    const loop = new EventLoop();
    let hostRanAt = -1;
    setImmediate(() => {
      hostRanAt = loop.now;
    });
    for (let i = 1; i <= 20_000; i++) loop.schedule(i, () => Promise.resolve());
    await loop.run();
    expect(hostRanAt).toBeGreaterThan(0);
    expect(hostRanAt).toBeLessThan(20_000);
  });

  it('fails the run when async work throws', async () => {
    const loop = new EventLoop();
    loop.schedule(1, async () => {
      await Promise.resolve();
      throw new Error('boom');
    });
    loop.schedule(2, () => undefined);
    await expect(loop.run()).rejects.toThrow('boom');
  });

  it('rejects negative or fractional delays', () => {
    const loop = new EventLoop();
    expect(() => loop.schedule(-1, () => undefined)).toThrow(/non-negative integer/);
    expect(() => loop.schedule(1.5, () => undefined)).toThrow(/non-negative integer/);
  });
});
