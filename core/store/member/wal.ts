/**
 * The member's write-ahead log on the Disk port: Raft's durable state (snapshot, hard state,
 * entries) as checksummed records in numbered segment files.
 *
 * Each segment starts with a head written by one atomic `writeFile`: the snapshot the log
 * builds on, the hard state, and every entry after the snapshot. Later Readys append records
 * to the newest segment (entries before hard state, so a torn append can never leave a commit
 * index beyond the last entry) and fsync before their messages leave. A new segment is started
 * on every start-up (so nothing is ever appended after a torn tail), after each local snapshot
 * and after installing a leader's snapshot; once its head is durable, older segments are
 * deleted. Recovery reads the newest segment whose head is whole and replays it up to its
 * first incomplete record; older segments, if a crash left any, are superseded by it.
 */
import type { Disk } from '../../ports/disk.ts';
import { LazyBytes } from '../../ports/lazy-bytes.ts';
import type { Entry, HardState, Snapshot } from '../../raft/types.ts';
import { decodeRecords, encodeRecords, recordsLength, type WalRecord } from './wal-codec.ts';

export interface RecoveredLog {
  /** The segment replayed. */
  readonly segment: number;
  /** The highest segment number on disk (a new segment must come after it). */
  readonly newestSegment: number;
  readonly snapshot: Snapshot;
  /** The last hard state recorded (the head always holds one). */
  readonly hardState: HardState;
  /** Entry records in write order; replaying them with MemoryStorage.append rebuilds the log. */
  readonly entryBatches: readonly (readonly Entry[])[];
  /** Bytes dropped after the last whole record of the segment (a torn tail). */
  readonly tornBytes: number;
}

const SEGMENT_DIGITS = 12;

export class Wal {
  /** The current segment's file: built once per segment, not on each of its appends and syncs. */
  private currentPath: string;

  private constructor(
    private readonly disk: Disk,
    private readonly dir: string,
    private seq: number,
  ) {
    this.currentPath = segmentPath(dir, seq);
  }

  /**
   * Starts a fresh segment after `previous` (0 on a new disk) holding the given state, and
   * removes the older ones. Resolves once the head is durable.
   */
  static async start(
    disk: Disk,
    dir: string,
    previous: number,
    snapshot: Snapshot,
    hardState: HardState,
    entries: readonly Entry[],
  ): Promise<Wal> {
    const wal = new Wal(disk, dir, previous);
    await wal.rotate(snapshot, hardState, entries);
    return wal;
  }

  get segment(): number {
    return this.seq;
  }

  /** Buffers records for the current segment; durable after the next `sync`. */
  append(entries: readonly Entry[], hardState: HardState | undefined): void {
    const written = entries.length > 0 ? entries : undefined;
    if (written === undefined && hardState === undefined) return;
    void this.disk.append(this.currentPath, new WalAppend(written, hardState));
  }

  sync(): Promise<void> {
    return this.disk.fsync(this.currentPath);
  }

  /** Moves to a new segment whose head is the given state; older segments are deleted. */
  async rotate(snapshot: Snapshot, hardState: HardState, entries: readonly Entry[]): Promise<void> {
    const records: WalRecord[] = [
      { kind: 'snapshot', snapshot },
      { kind: 'hard-state', hardState },
    ];
    if (entries.length > 0) records.push({ kind: 'entries', entries });
    const next = this.seq + 1;
    const path = segmentPath(this.dir, next);
    await this.disk.writeFile(path, walBytes(records));
    this.seq = next;
    this.currentPath = path;
    for (const old of await segmentPaths(this.disk, this.dir)) {
      if (old.seq < next) await this.disk.remove(old.path);
    }
  }
}

/**
 * Records as the disk is handed them: encoded (framed, checksummed) only when the file is read
 * back or written to a real disk. The records share the entries and snapshot the member holds
 * anyway, so a simulated WAL costs references, not a copy of every entry.
 */
function walBytes(records: readonly WalRecord[], knownLength?: number): LazyBytes {
  return new LazyBytes(() => encodeRecords(records), knownLength);
}

/**
 * One Ready's records (its entries, then its hard state), as `walBytes` would give them. A
 * simulated disk keeps every append since the last snapshot, one per Ready on every member: held
 * as this one object they cost about a fifth of a closure over a record list (measured on an idle
 * cluster of 100 nodes after a virtual hour, 13,000 appends per member: 16 MiB of heap, most of
 * the store's share, before).
 */
class WalAppend extends LazyBytes {
  #entries: readonly Entry[] | undefined;
  #hardState: HardState | undefined;

  constructor(entries: readonly Entry[] | undefined, hardState: HardState | undefined) {
    super(undefined, recordsLength(appendRecords(entries, hardState)));
    this.#entries = entries;
    this.#hardState = hardState;
  }

  protected override encode(): Uint8Array {
    const bytes = encodeRecords(appendRecords(this.#entries, this.#hardState));
    this.#entries = undefined;
    this.#hardState = undefined;
    return bytes;
  }
}

function appendRecords(
  entries: readonly Entry[] | undefined,
  hardState: HardState | undefined,
): WalRecord[] {
  const records: WalRecord[] = [];
  if (entries !== undefined) records.push({ kind: 'entries', entries });
  if (hardState !== undefined) records.push({ kind: 'hard-state', hardState });
  return records;
}

function segmentPath(dir: string, seq: number): string {
  return `${dir}/wal/${String(seq).padStart(SEGMENT_DIGITS, '0')}.wal`;
}

async function segmentPaths(disk: Disk, dir: string): Promise<{ seq: number; path: string }[]> {
  const prefix = `${dir}/wal/`;
  return (await disk.list(prefix))
    .map((path) => ({
      seq: Number(path.slice(prefix.length, prefix.length + SEGMENT_DIGITS)),
      path,
    }))
    .filter((s) => Number.isSafeInteger(s.seq));
}

export type WalReadResult =
  | { readonly kind: 'empty' }
  | { readonly kind: 'recovered'; readonly log: RecoveredLog }
  | { readonly kind: 'unreadable'; readonly reason: string };

/** Reads the log back after a restart. `readAttempts` covers transient read errors. */
export async function readWal(
  disk: Disk,
  dir: string,
  readAttempts: number,
): Promise<WalReadResult> {
  const segments = await segmentPaths(disk, dir);
  if (segments.length === 0) return { kind: 'empty' };
  for (let i = segments.length - 1; i >= 0; i--) {
    const { seq, path } = segments[i]!;
    const bytes = await readWithRetries(disk, path, readAttempts);
    if (bytes === undefined)
      return { kind: 'unreadable', reason: `${path}: read failed ${readAttempts} times` };
    const log = replaySegment(seq, segments[segments.length - 1]!.seq, bytes);
    if (log !== undefined) return { kind: 'recovered', log };
  }
  return { kind: 'unreadable', reason: `no segment under ${dir}/wal has a whole head` };
}

async function readWithRetries(
  disk: Disk,
  path: string,
  attempts: number,
): Promise<Uint8Array | undefined> {
  for (let i = 0; i < attempts; i++) {
    const r = await disk.read(path);
    if (r.ok) return r.data ?? new Uint8Array(0);
  }
  return undefined;
}

function replaySegment(
  seq: number,
  newestSegment: number,
  bytes: Uint8Array,
): RecoveredLog | undefined {
  const decoded = decodeRecords(bytes);
  const [head, state] = decoded.records;
  if (head?.kind !== 'snapshot' || state?.kind !== 'hard-state') return undefined;
  let hardState = state.hardState;
  const entryBatches: (readonly Entry[])[] = [];
  for (const r of decoded.records.slice(2)) {
    if (r.kind === 'hard-state') hardState = r.hardState;
    else if (r.kind === 'entries') entryBatches.push(r.entries);
  }
  return {
    segment: seq,
    newestSegment,
    snapshot: head.snapshot,
    hardState,
    entryBatches,
    tornBytes: bytes.length - decoded.validBytes,
  };
}
