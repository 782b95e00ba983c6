import { describe, expect, it } from 'vitest';
import type { Disk } from '../../../../core/ports/disk.ts';
import { LazyBytes, toBytes, type Bytes } from '../../../../core/ports/lazy-bytes.ts';
import {
  asIndex,
  asNodeId,
  asTerm,
  type Entry,
  type Snapshot,
} from '../../../../core/raft/types.ts';
import { readWal, Wal, type WalReadResult } from '../../../../core/store/member/wal.ts';
import { encodeRecords } from '../../../../core/store/member/wal-codec.ts';
import { Simulation } from '../../../../sim/simulation.ts';

const e = (index: number, term = 1): Entry => ({
  index: asIndex(index),
  term: asTerm(term),
  type: 'normal',
  data: new TextEncoder().encode(`entry-${index}`),
});
const snap = (index: number): Snapshot => ({
  metadata: {
    index: asIndex(index),
    term: asTerm(1),
    confState: { voters: [asNodeId(1)], learners: [] },
  },
  data: new Uint8Array([index]),
});
const hs = (commit: number) => ({ term: asTerm(1), vote: asNodeId(1), commit: asIndex(commit) });

/** Runs `script` with the disk of process "m" (a new incarnation each call). */
async function withDisk<T>(sim: Simulation, script: (disk: Disk) => Promise<T>): Promise<T> {
  let out: { value: T } | undefined;
  if (sim.hasProcess('m')) sim.restart('m');
  else sim.spawnProcess('m', () => undefined);
  const proc = sim.process('m');
  const disk = proc.disk.port(proc);
  sim.at(sim.now, () => {
    void script(disk).then((value) => (out = { value }));
  });
  await sim.run({ stopWhen: () => out !== undefined });
  return out!.value;
}

function indexes(r: WalReadResult): number[] {
  if (r.kind !== 'recovered') return [];
  return r.log.entryBatches.flatMap((b) => b.map((x) => x.index as number));
}

describe('Wal', () => {
  it('keeps what was synced, loses what was not, and tolerates a torn tail', async () => {
    const sim = new Simulation({ seed: 1 });
    await withDisk(sim, async (disk) => {
      const wal = await Wal.start(disk, 'd', 0, snap(1), hs(1), [e(2), e(3)]);
      wal.append([e(4)], hs(3));
      await wal.sync();
      wal.append([e(5)], hs(4));
    });
    sim.crash('m');
    const first = await withDisk(sim, (disk) => readWal(disk, 'd', 3));
    expect(indexes(first)).toEqual([2, 3, 4]);
    expect(first.kind === 'recovered' && first.log.hardState.commit).toBe(3);

    sim.process('m').disk.setFaults({ tornWriteProbability: 1, readErrorProbability: 0 });
    await withDisk(sim, async (disk) => {
      const wal = await Wal.start(disk, 'd', 1, snap(1), hs(3), [e(2), e(3), e(4)]);
      wal.append([e(5), e(6), e(7)], hs(5));
    });
    sim.crash('m');
    const torn = await withDisk(sim, (disk) => readWal(disk, 'd', 3));
    expect(torn.kind === 'recovered' && torn.log.tornBytes).toBeGreaterThan(0);
    expect(indexes(torn)).toEqual([2, 3, 4]);
    expect(torn.kind === 'recovered' && torn.log.segment).toBe(2);
  });

  it('rotation replaces the log with the new head and deletes older segments', async () => {
    const sim = new Simulation({ seed: 2 });
    const paths = await withDisk(sim, async (disk) => {
      const wal = await Wal.start(disk, 'd', 0, snap(1), hs(1), [e(2)]);
      wal.append([e(3), e(4)], hs(4));
      await wal.sync();
      await wal.rotate(snap(3), hs(4), [e(4)]);
      wal.append([e(5)], undefined);
      await wal.sync();
      return disk.list('d/');
    });
    expect(paths).toEqual(['d/wal/000000000002.wal']);
    const r = await withDisk(sim, (disk) => readWal(disk, 'd', 3));
    expect(r.kind === 'recovered' && r.log.snapshot.metadata.index).toBe(3);
    expect(indexes(r)).toEqual([4, 5]);
  });

  it('retries transient read errors and reports a disk it cannot read', async () => {
    const sim = new Simulation({ seed: 3 });
    await withDisk(sim, (disk) => Wal.start(disk, 'd', 0, snap(1), hs(1), []));
    sim.process('m').disk.setFaults({ tornWriteProbability: 0, readErrorProbability: 0.5 });
    expect((await withDisk(sim, (disk) => readWal(disk, 'd', 30))).kind).toBe('recovered');
    sim.process('m').disk.setFaults({ tornWriteProbability: 0, readErrorProbability: 1 });
    expect((await withDisk(sim, (disk) => readWal(disk, 'd', 3))).kind).toBe('unreadable');
    expect((await withDisk(sim, (disk) => readWal(disk, 'empty', 3))).kind).toBe('empty');
  });

  it("hands the disk each Ready's records lazily: the size known at once, the bytes those of its records", async () => {
    const appended: Bytes[] = [];
    const disk: Disk = {
      append: (_path, data) => {
        appended.push(data);
        return Promise.resolve();
      },
      fsync: () => Promise.resolve(),
      writeFile: () => Promise.resolve(),
      read: () => Promise.resolve({ ok: true, data: undefined }),
      remove: () => Promise.resolve(),
      list: () => Promise.resolve([]),
    };
    const wal = await Wal.start(disk, 'd', 0, snap(1), hs(1), []);
    wal.append([e(2), e(3)], hs(2));
    wal.append([e(4)], undefined);
    wal.append([], hs(4));
    wal.append([], undefined);
    const expected = [
      encodeRecords([
        { kind: 'entries', entries: [e(2), e(3)] },
        { kind: 'hard-state', hardState: hs(2) },
      ]),
      encodeRecords([{ kind: 'entries', entries: [e(4)] }]),
      encodeRecords([{ kind: 'hard-state', hardState: hs(4) }]),
    ];
    expect(appended).toHaveLength(3);
    appended.forEach((data, i) => {
      expect(data).toBeInstanceOf(LazyBytes);
      expect(data.length).toBe(expected[i]!.length);
      expect(toBytes(data)).toEqual(expected[i]);
      // Encoded once: the same bytes again.
      expect(toBytes(data)).toBe(toBytes(data));
    });
  });
});

describe('LazyBytes', () => {
  it('without a make function, a class that does not encode fails clearly', () => {
    expect(() => new LazyBytes().bytes()).toThrow(
      'LazyBytes: neither a make function nor an encode method',
    );
  });
});
