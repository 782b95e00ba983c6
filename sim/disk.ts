import type { Disk, DiskReadResult } from '../core/ports/disk.ts';
import { toBytes, type Bytes } from '../core/ports/lazy-bytes.ts';
import type { Random } from '../core/ports/random.ts';
import { assert } from '../core/util/assert.ts';
import type { EventLoop, EventOwner } from './event-loop.ts';
import type { TraceRecorder } from './trace.ts';

export interface DiskOptions {
  readonly writeLatencyUs: number;
  readonly fsyncLatencyUs: number;
  readonly readLatencyUs: number;
}

/** Typed fault options, off by default (TigerBeetle style: every fault has a named knob). */
export interface DiskFaults {
  /** On a crash, the probability that the oldest unsynced append leaves a torn prefix behind. */
  readonly tornWriteProbability: number;
  /** Probability that a read fails with an I/O error. */
  readonly readErrorProbability: number;
}

export const DEFAULT_DISK: DiskOptions = {
  writeLatencyUs: 20,
  fsyncLatencyUs: 1_000,
  readLatencyUs: 50,
};

/** What every append answers (nothing to wait for: see `SimDisk.port`). */
const APPENDED: Promise<void> = Promise.resolve();

export const NO_DISK_FAULTS: DiskFaults = { tornWriteProbability: 0, readErrorProbability: 0 };

interface FileState {
  /**
   * Chunks that survive a crash (kept as chunks so an fsync costs O(synced), not O(file)).
   * Lazy chunks stay objects until the file is read: a WAL that is never read back after a
   * crash never encodes what it wrote.
   */
  durable: Bytes[];
  /** Appends since the last fsync, oldest first, each tagged with its issue number. */
  pending: PendingAppend[];
}

interface PendingAppend {
  readonly id: number;
  readonly data: Bytes;
}

function concat(parts: readonly Bytes[]): Uint8Array {
  const chunks = parts.map(toBytes);
  if (chunks.length === 1) return chunks[0]!.slice();
  let size = 0;
  for (const p of chunks) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of chunks) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Plain bytes are copied (the caller keeps its array); lazy content is immutable, kept as is. */
function own(data: Bytes): Bytes {
  return data instanceof Uint8Array ? data.slice() : data;
}

/**
 * A process's disk in simulation. It outlives the process (a restart finds what was synced),
 * serves requests one at a time in issue order (a single queue, so an fsync waits behind the
 * writes before it), and forgets unsynced appends on a crash.
 */
export class SimDisk {
  private readonly files = new Map<string, FileState>();
  private busyUntilUs = 0;
  private appendsIssued = 0;
  private faults: DiskFaults = NO_DISK_FAULTS;

  constructor(
    readonly name: string,
    private readonly loop: EventLoop,
    private readonly random: Random,
    private readonly trace: TraceRecorder,
    private readonly options: DiskOptions = DEFAULT_DISK,
  ) {}

  setFaults(faults: DiskFaults): void {
    assert(
      faults.tornWriteProbability >= 0 && faults.tornWriteProbability <= 1,
      'tornWriteProbability in [0,1]',
    );
    assert(
      faults.readErrorProbability >= 0 && faults.readErrorProbability <= 1,
      'readErrorProbability in [0,1]',
    );
    this.faults = faults;
  }

  /** The Disk port for one incarnation: completions are owned, so they die with the process. */
  port(owner: EventOwner): Disk {
    const { writeLatencyUs, fsyncLatencyUs, readLatencyUs } = this.options;
    return {
      // An append reaches the page cache at once (reads see it) and is durable only after fsync.
      // Its write time holds up the requests queued behind it, but the append itself answers at
      // once, without an event: the WAL never waits for it, and on a member of an idle cluster
      // these completions were a tenth of all events.
      append: (path, data) => {
        this.doAppend(path, data);
        this.busyUntilUs = Math.max(this.busyUntilUs, this.loop.now) + writeLatencyUs;
        return APPENDED;
      },
      fsync: (path) => {
        // What is synced is what was appended before the fsync was issued, and only once the
        // fsync completes: a crash in between loses it.
        const upToId = this.appendsIssued;
        return this.complete(owner, fsyncLatencyUs, () => this.doSync(path, upToId));
      },
      writeFile: (path, data) => {
        const copy = own(data);
        return this.complete(owner, writeLatencyUs + fsyncLatencyUs, () => {
          this.files.set(path, { durable: [copy], pending: [] });
        });
      },
      read: (path) => this.complete(owner, readLatencyUs, () => this.doRead(path)),
      remove: (path) =>
        this.complete(owner, fsyncLatencyUs, () => {
          this.files.delete(path);
        }),
      // Queued, so it sees every request issued before it; free of latency of its own, as a
      // small directory's entries are in the host's metadata cache.
      list: (prefix = '') =>
        this.complete(owner, 0, () =>
          [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort(),
        ),
    };
  }

  /** A crash: unsynced appends are lost, except a possible torn prefix of the oldest one. */
  crash(): void {
    for (const [path, file] of this.files) {
      const first = file.pending[0];
      if (
        first !== undefined &&
        first.data.length > 1 &&
        this.random.float() < this.faults.tornWriteProbability
      ) {
        // Only a torn write needs the bytes of a lazy append.
        const data = toBytes(first.data);
        const keep = 1 + this.random.int(data.length - 1);
        file.durable.push(data.slice(0, keep));
        this.trace.record(this.name, 'disk.torn-write', {
          path,
          keptBytes: keep,
          lostBytes: data.length - keep,
        });
      }
      file.pending = [];
    }
    this.busyUntilUs = this.loop.now;
  }

  /** Disk loss: every file is gone, synced or not. */
  wipe(): void {
    this.files.clear();
    this.trace.record(this.name, 'fault.disk-wipe');
  }

  /**
   * The chunks (appends and whole-file writes) every file holds, synced or not: what the disk
   * keeps in memory, for tests that bound it over a long run.
   */
  retainedChunks(): number {
    let n = 0;
    for (const file of this.files.values()) n += file.durable.length + file.pending.length;
    return n;
  }

  /** Durable bytes of a file, for checkers and tests. */
  durableContent(path: string): Uint8Array | undefined {
    const file = this.files.get(path);
    return file === undefined ? undefined : concat(file.durable);
  }

  /** Runs `effect` when the request completes, behind every request issued before it. */
  private complete<T>(owner: EventOwner, latencyUs: number, effect: () => T): Promise<T> {
    this.busyUntilUs = Math.max(this.busyUntilUs, this.loop.now) + latencyUs;
    return new Promise((resolve) => {
      this.loop.scheduleAt(
        this.busyUntilUs,
        () => {
          resolve(effect());
        },
        owner,
      );
    });
  }

  private doAppend(path: string, data: Bytes): void {
    let file = this.files.get(path);
    if (file === undefined) {
      file = { durable: [], pending: [] };
      this.files.set(path, file);
    }
    file.pending.push({ id: ++this.appendsIssued, data: own(data) });
  }

  private doSync(path: string, upToId: number): void {
    const file = this.files.get(path);
    if (file === undefined) return;
    let n = 0;
    while (n < file.pending.length && (file.pending[n] as PendingAppend).id <= upToId) n++;
    if (n === 0) return;
    for (const p of file.pending.splice(0, n)) file.durable.push(p.data);
  }

  private doRead(path: string): DiskReadResult {
    if (
      this.faults.readErrorProbability > 0 &&
      this.random.float() < this.faults.readErrorProbability
    ) {
      this.trace.record(this.name, 'disk.read-error', { path });
      return { ok: false, error: 'io' };
    }
    const file = this.files.get(path);
    if (file === undefined) return { ok: true, data: undefined };
    return { ok: true, data: concat([...file.durable, ...file.pending.map((p) => p.data)]) };
  }
}
