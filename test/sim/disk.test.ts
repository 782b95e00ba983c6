import { describe, expect, it } from 'vitest';
import type { Disk } from '../../core/ports/disk.ts';
import { LazyBytes } from '../../core/ports/lazy-bytes.ts';
import { Simulation } from '../../sim/simulation.ts';
import { diskContract } from '../support/disk-contract.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : new TextDecoder().decode(b);

/** Runs `script` in a process named "db" and returns what it recorded. */
async function withDisk(
  script: (disk: Disk, sim: Simulation) => Promise<void>,
  setup: (sim: Simulation) => void = () => {},
): Promise<Simulation> {
  const sim = new Simulation({ seed: 4 });
  sim.spawnProcess('db', (p) => p.spawn(() => script(p.disk, sim)));
  setup(sim);
  await sim.run();
  return sim;
}

diskContract('simulated', async (script) => {
  await withDisk((disk) => script(disk));
});

describe('simulated disk', () => {
  it('reads back buffered appends before fsync, and keeps only synced data after a crash', async () => {
    let seen: string | undefined;
    const sim = await withDisk(async (disk, s) => {
      await disk.append('wal', bytes('a'));
      await disk.fsync('wal');
      await disk.append('wal', bytes('b'));
      const r = await disk.read('wal');
      seen = r.ok ? text(r.data) : 'error';
      s.crash('db');
    });
    expect(seen).toBe('ab');
    expect(text(sim.process('db').disk.durableContent('wal'))).toBe('a');
  });

  it('loses writes whose fsync had not completed when the crash came', async () => {
    const sim = await withDisk(
      async (disk) => {
        await disk.append('wal', bytes('x'));
        await disk.fsync('wal');
      },
      (s) => s.at(500, () => s.crash('db')),
    );
    expect(text(sim.process('db').disk.durableContent('wal'))).toBe('');
  });

  it('lists paths under a prefix, sorted, as of every request issued before the listing', async () => {
    let listed: readonly string[] = [];
    let listUs = 0;
    await withDisk(async (disk, s) => {
      await disk.writeFile('d/b', bytes('b'));
      void disk.writeFile('d/a', bytes('a'));
      void disk.append('other', bytes('x'));
      const removal = disk.remove('d/b');
      const t0 = s.now;
      listed = await disk.list('d/');
      listUs = s.now - t0;
      await removal;
    });
    expect(listed).toEqual(['d/a']);
    // Queued behind the write, the append and the removal; no latency of its own.
    expect(listUs).toBe(1_020 + 20 + 1_000);
  });

  it('syncs only what was appended before the fsync was issued', async () => {
    const sim = await withDisk(async (disk, s) => {
      await disk.append('wal', bytes('1'));
      const sync = disk.fsync('wal');
      await disk.append('wal', bytes('2'));
      await sync;
      s.crash('db');
    });
    expect(text(sim.process('db').disk.durableContent('wal'))).toBe('1');
  });

  it('can leave a torn prefix of an unsynced append (a fault option)', async () => {
    const sim = await withDisk(async (disk, s) => {
      s.process('db').disk.setFaults({ tornWriteProbability: 1, readErrorProbability: 0 });
      await disk.append('wal', bytes('0123456789'));
      s.crash('db');
    });
    const kept = text(sim.process('db').disk.durableContent('wal')) ?? '';
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(10);
    expect('0123456789'.startsWith(kept)).toBe(true);
  });

  it('keeps lazy content as objects until a read needs its bytes', async () => {
    let encodes = 0;
    const lazy = (s: string) =>
      new LazyBytes(() => {
        encodes++;
        return bytes(s);
      }, s.length);
    let beforeRead = -1;
    let seen: string | undefined;
    await withDisk(async (disk) => {
      await disk.writeFile('wal', lazy('head'));
      await disk.append('wal', lazy('+a'));
      await disk.fsync('wal');
      await disk.append('wal', lazy('+b'));
      beforeRead = encodes;
      const r = await disk.read('wal');
      seen = r.ok ? text(r.data) : 'error';
    });
    expect(beforeRead).toBe(0);
    expect(seen).toBe('head+a+b');
    expect(encodes).toBe(3);
  });

  it('tears a lazy append as it tears bytes, encoding only the torn one', async () => {
    let encodes = 0;
    const sim = await withDisk(async (disk, s) => {
      s.process('db').disk.setFaults({ tornWriteProbability: 1, readErrorProbability: 0 });
      await disk.append(
        'wal',
        new LazyBytes(() => {
          encodes++;
          return bytes('0123456789');
        }, 10),
      );
      s.crash('db');
    });
    expect(encodes).toBe(1);
    const kept = text(sim.process('db').disk.durableContent('wal')) ?? '';
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(10);
    expect('0123456789'.startsWith(kept)).toBe(true);
  });

  it('returns read errors at the configured rate', async () => {
    let errors = 0;
    await withDisk(async (disk, s) => {
      await disk.writeFile('snap', bytes('state'));
      s.process('db').disk.setFaults({ tornWriteProbability: 0, readErrorProbability: 0.5 });
      for (let i = 0; i < 200; i++) if (!(await disk.read('snap')).ok) errors++;
    });
    expect(errors).toBeGreaterThan(70);
    expect(errors).toBeLessThan(130);
  });

  it('keeps synced files for the next incarnation', async () => {
    const sim = new Simulation({ seed: 4 });
    const seen: (string | undefined)[] = [];
    sim.spawnProcess('db', (p) =>
      p.spawn(async () => {
        if (p.incarnation === 1) {
          await p.disk.writeFile('snap', bytes('state'));
          await p.disk.append('wal', bytes('unsynced'));
          sim.crash('db');
          sim.restart('db');
          return;
        }
        for (const path of ['snap', 'wal']) {
          const r = await p.disk.read(path);
          seen.push(r.ok ? text(r.data) : 'error');
        }
      }),
    );
    await sim.run();
    expect(seen).toEqual(['state', '']);
  });

  it('wipes everything on disk loss', async () => {
    const sim = await withDisk(async (disk, s) => {
      await disk.writeFile('snap', bytes('state'));
      s.process('db').disk.wipe();
    });
    expect(sim.process('db').disk.durableContent('snap')).toBeUndefined();
  });
});
