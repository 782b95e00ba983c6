import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../core/client/workqueue.ts';
import { Simulation } from '../../../sim/simulation.ts';
import { cpuProfiles } from '../../../sim/cost-model.ts';
import type { CpuProfile } from '../../../sim/cpu.ts';

/** Runs `body` inside a simulated process and returns what it logged; `now` counts from 0. */
async function inProcess(
  body: (q: WorkQueue<string>, log: string[], now: () => number) => Promise<void>,
  cpu?: CpuProfile,
): Promise<string[]> {
  const sim = new Simulation({ seed: 1 });
  const log: string[] = [];
  sim.spawnProcess(
    'p',
    (ports) =>
      ports.spawn(() => body(new WorkQueue(ports), log, () => ports.clock.now() - sim.epochUs)),
    cpu,
  );
  await sim.run();
  return log;
}

describe('WorkQueue', () => {
  it("charges each item a worker takes as a reconcile on the process's cores", async () => {
    const profile = { ...cpuProfiles({ model: 'upstream-like' })('controller-manager')!, cores: 1 };
    const costUs = profile.costs['controller.reconcile'].baseUs;
    const log = await inProcess(async (q, log, now) => {
      q.add('a');
      q.add('b');
      // Two workers take the queued items at once; a third waits for one.
      const a = q.get();
      const b = q.get();
      log.push(`${(await a) as string}@${now()}`);
      log.push(`${(await b) as string}@${now()}`);
      const c = q.get();
      q.add('c');
      log.push(`${(await c) as string}@${now()}`);
    }, profile);
    // One core: the reconciles run one after another.
    expect(log).toEqual([`a@${costUs}`, `b@${2 * costUs}`, `c@${3 * costUs}`]);
  });

  it('queues an item once however often it is added, in first-added order', async () => {
    const log = await inProcess(async (q, log) => {
      for (const x of ['a', 'b', 'a', 'c', 'b']) q.add(x);
      expect(q.length).toBe(3);
      for (let i = 0; i < 3; i++) {
        const item = (await q.get()) as string;
        log.push(item);
        q.done(item);
      }
    });
    expect(log).toEqual(['a', 'b', 'c']);
  });

  it('never hands an item to two workers at once, and re-queues it if added while processing', async () => {
    const log = await inProcess(async (q, log) => {
      q.add('a');
      const first = (await q.get()) as string;
      q.add('a');
      expect(q.length).toBe(0);
      q.done(first);
      expect(q.length).toBe(1);
      log.push((await q.get()) as string);
    });
    expect(log).toEqual(['a']);
  });

  it('wakes a waiting worker when an item arrives', async () => {
    const log = await inProcess(async (q, log, now) => {
      q.addAfter('late', 5_000);
      const item = await q.get();
      log.push(`${item}@${now()}`);
    });
    expect(log).toEqual(['late@5000']);
  });

  it('backs off exponentially per item until forgotten', async () => {
    const log = await inProcess(async (q, log, now) => {
      for (let i = 0; i < 4; i++) {
        const start = now();
        q.addRateLimited('x');
        const item = (await q.get()) as string;
        log.push(String(now() - start));
        q.done(item);
      }
      q.forget('x');
      expect(q.numRequeues('x')).toBe(0);
    });
    expect(log).toEqual(['5000', '10000', '20000', '40000']);
  });
});
