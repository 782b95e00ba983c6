/**
 * Every crash point of a small WAL, byte by byte, as etcd's WAL tests cut files: whatever a
 * crash leaves of the appends after a segment's head, recovery replays exactly the records that
 * are whole, the recovered commit index never passes the last recovered entry, and the recovered
 * term and vote are those of the last whole hard-state record — never one that was still being
 * written. A flipped byte anywhere in the tail is caught the same way (the checksum), never read
 * as a record.
 */
import { toBytes, type Bytes } from '../../../../core/ports/lazy-bytes.ts';
import { describe, expect, it } from 'vitest';
import type { Disk, DiskReadResult } from '../../../../core/ports/disk.ts';
import {
  asIndex,
  asNodeId,
  asTerm,
  type Entry,
  type HardState,
  type Snapshot,
} from '../../../../core/raft/types.ts';
import { readWal, Wal } from '../../../../core/store/member/wal.ts';
import { encodeRecords, type WalRecord } from '../../../../core/store/member/wal-codec.ts';

/** A disk with no faults and no latency: recovery reads exactly the bytes it is given. */
class BytesDisk implements Disk {
  readonly files = new Map<string, Uint8Array>();
  async append(path: string, lazy: Bytes): Promise<void> {
    const data = toBytes(lazy);
    const old = this.files.get(path) ?? new Uint8Array(0);
    const next = new Uint8Array(old.length + data.length);
    next.set(old);
    next.set(data, old.length);
    this.files.set(path, next);
  }
  async fsync(): Promise<void> {}
  async writeFile(path: string, data: Bytes): Promise<void> {
    this.files.set(path, toBytes(data).slice());
  }
  async read(path: string): Promise<DiskReadResult> {
    return { ok: true, data: this.files.get(path) };
  }
  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }
  async list(prefix = ''): Promise<readonly string[]> {
    return [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort();
  }
}

const entry = (index: number, term: number): Entry => ({
  index: asIndex(index),
  term: asTerm(term),
  type: 'normal',
  data: new TextEncoder().encode(`e${index}t${term}`),
});
const entries = (from: number, to: number, term: number): Entry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term));
const hardState = (term: number, vote: number, commit: number): HardState => ({
  term: asTerm(term),
  vote: asNodeId(vote),
  commit: asIndex(commit),
});
const SNAPSHOT: Snapshot = {
  metadata: {
    index: asIndex(1),
    term: asTerm(1),
    confState: { voters: [asNodeId(1)], learners: [] },
  },
  data: new Uint8Array([7]),
};

/**
 * The appends after the head, as a member makes them (entries before the hard state of the same
 * Ready): a vote in a new term, a follower's conflicting tail replaced, entries without a hard
 * state, a hard state without entries.
 */
const APPENDS: readonly (readonly WalRecord[])[] = [
  [
    { kind: 'entries', entries: entries(4, 5, 1) },
    { kind: 'hard-state', hardState: hardState(1, 1, 3) },
  ],
  [{ kind: 'hard-state', hardState: hardState(2, 2, 3) }],
  [
    { kind: 'entries', entries: entries(4, 6, 2) },
    { kind: 'hard-state', hardState: hardState(2, 2, 5) },
  ],
  [{ kind: 'entries', entries: entries(7, 7, 2) }],
  [{ kind: 'hard-state', hardState: hardState(2, 2, 7) }],
];

interface WholeRecord {
  readonly record: WalRecord;
  /** Byte offset in the segment file where the record ends. */
  readonly end: number;
}

/** Writes the head and the appends through the Wal and returns the segment's bytes. */
async function segment(): Promise<{ bytes: Uint8Array; headBytes: number; tail: WholeRecord[] }> {
  const disk = new BytesDisk();
  const wal = await Wal.start(disk, 'd', 0, SNAPSHOT, hardState(1, 1, 1), entries(2, 3, 1));
  const [path] = await disk.list('d/wal/');
  const headBytes = disk.files.get(path!)!.length;
  const tail: WholeRecord[] = [];
  let end = headBytes;
  for (const append of APPENDS) {
    const entriesRecord = append.find((r) => r.kind === 'entries');
    const hardStateRecord = append.find((r) => r.kind === 'hard-state');
    wal.append(
      entriesRecord?.kind === 'entries' ? entriesRecord.entries : [],
      hardStateRecord?.kind === 'hard-state' ? hardStateRecord.hardState : undefined,
    );
    await wal.sync();
    for (const record of append) {
      end += encodeRecords([record]).length;
      tail.push({ record, end });
    }
  }
  const bytes = disk.files.get(path!)!;
  expect(bytes.length).toBe(end);
  return { bytes, headBytes, tail };
}

/** What replaying whole records must give: entries after truncation, and the last hard state. */
function expected(whole: readonly WholeRecord[]): { indexes: string[]; hs: HardState } {
  let log: Entry[] = entries(2, 3, 1);
  let hs = hardState(1, 1, 1);
  for (const { record } of whole) {
    if (record.kind === 'hard-state') hs = record.hardState;
    if (record.kind === 'entries') {
      const first = record.entries[0]!.index;
      log = [...log.filter((e) => e.index < first), ...record.entries];
    }
  }
  return { indexes: log.map((e) => `${e.index}@${e.term}`), hs };
}

async function recover(bytes: Uint8Array) {
  const disk = new BytesDisk();
  await disk.writeFile('d/wal/000000000001.wal', bytes);
  const r = await readWal(disk, 'd', 1);
  if (r.kind !== 'recovered') throw new Error(`not recovered: ${r.kind}`);
  const log = new Map<number, Entry>();
  for (const batch of r.log.entryBatches) {
    const first = batch[0]!.index;
    for (const i of [...log.keys()]) if (i >= first) log.delete(i);
    for (const e of batch) log.set(e.index, e);
  }
  const recovered = [...log.values()].sort((a, b) => a.index - b.index);
  return { log: r.log, indexes: recovered.map((e) => `${e.index}@${e.term}`), recovered };
}

describe('WAL crash points', () => {
  it('a crash at any byte of the appends recovers exactly the whole records before it', async () => {
    const { bytes, headBytes, tail } = await segment();
    let cuts = 0;
    for (let cut = headBytes; cut <= bytes.length; cut++) {
      const whole = tail.filter((r) => r.end <= cut);
      const want = expected(whole);
      const got = await recover(bytes.subarray(0, cut));
      expect(got.indexes, `cut at byte ${cut}`).toEqual(want.indexes);
      expect(got.log.hardState, `cut at byte ${cut}`).toEqual(want.hs);
      const last = got.recovered.at(-1)?.index ?? SNAPSHOT.metadata.index;
      expect(got.log.hardState.commit, `cut at byte ${cut}`).toBeLessThanOrEqual(last);
      expect(got.log.tornBytes).toBe(cut - (whole.at(-1)?.end ?? headBytes));
      cuts++;
    }
    expect(cuts).toBe(bytes.length - headBytes + 1);
  });

  it('a byte flipped anywhere in the appends ends recovery at the record it is in', async () => {
    const { bytes, headBytes, tail } = await segment();
    for (let at = headBytes; at < bytes.length; at++) {
      const damaged = bytes.slice();
      damaged[at] = damaged[at]! ^ 0xff;
      const whole = tail.filter((r) => r.end <= at);
      const want = expected(whole);
      const got = await recover(damaged);
      expect(got.indexes, `flip at byte ${at}`).toEqual(want.indexes);
      expect(got.log.hardState, `flip at byte ${at}`).toEqual(want.hs);
    }
  });
});
