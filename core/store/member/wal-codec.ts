/**
 * The WAL's record format. A record is framed as
 *
 *   [payload length: u32][crc32(payload): u32][payload]      (little-endian)
 *
 * and the payload's first byte is its kind:
 *
 *   1 snapshot    index f64, term f64, voters (u32 n, f64 × n), learners (u32 n, f64 × n),
 *                 data (u32 n, bytes)
 *   2 hard state  term f64, vote f64, commit f64
 *   3 entries     count u32, then per entry: index f64, term f64, type u8, data (u32 n, bytes)
 *
 * Numbers are float64 because ids, terms and indexes are JavaScript numbers (exact below 2^53).
 * A torn append leaves a frame whose length runs past the end of the file or whose checksum
 * fails; `decodeRecords` stops there and reports how many bytes were whole.
 */
import { toBytes } from '../../ports/lazy-bytes.ts';
import { assertNever } from '../../util/assert.ts';
import {
  asIndex,
  asNodeId,
  asTerm,
  type ConfState,
  type Entry,
  type EntryType,
  type HardState,
  type NodeId,
  type Snapshot,
} from '../../raft/types.ts';
import { crc32 } from './crc32.ts';

export type WalRecord =
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot }
  | { readonly kind: 'hard-state'; readonly hardState: HardState }
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] };

const FRAME_BYTES = 8;
const KIND_SNAPSHOT = 1;
const KIND_HARD_STATE = 2;
const KIND_ENTRIES = 3;
const ENTRY_HEADER_BYTES = 8 + 8 + 1 + 4;
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'conf-change'];

function payloadBytes(record: WalRecord): number {
  switch (record.kind) {
    case 'snapshot': {
      const { metadata, data } = record.snapshot;
      const cs = metadata.confState;
      return 1 + 16 + 4 + 8 * cs.voters.length + 4 + 8 * cs.learners.length + 4 + data.length;
    }
    case 'hard-state':
      return 1 + 24;
    case 'entries': {
      let n = 1 + 4;
      for (const e of record.entries) n += ENTRY_HEADER_BYTES + e.data.byteLength;
      return n;
    }
    default:
      return assertNever(record, 'wal record');
  }
}

/** The size `encodeRecords` gives, without encoding (a snapshot's lazy data is encoded). */
export function recordsLength(records: readonly WalRecord[]): number {
  let total = 0;
  for (const r of records) total += FRAME_BYTES + payloadBytes(r);
  return total;
}

/** Frames the records back to back into one buffer (one disk append). */
export function encodeRecords(records: readonly WalRecord[]): Uint8Array {
  const out = new Uint8Array(recordsLength(records));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const r of records) {
    const start = at + FRAME_BYTES;
    const end = writePayload(r, out, view, start);
    view.setUint32(at, end - start, true);
    view.setUint32(at + 4, crc32(out, start, end), true);
    at = end;
  }
  return out;
}

function writePayload(record: WalRecord, out: Uint8Array, view: DataView, start: number): number {
  let at = start;
  switch (record.kind) {
    case 'snapshot': {
      const { metadata } = record.snapshot;
      const data = toBytes(record.snapshot.data);
      view.setUint8(at, KIND_SNAPSHOT);
      view.setFloat64(at + 1, metadata.index, true);
      view.setFloat64(at + 9, metadata.term, true);
      at += 17;
      for (const ids of [metadata.confState.voters, metadata.confState.learners]) {
        view.setUint32(at, ids.length, true);
        at += 4;
        for (const id of ids) {
          view.setFloat64(at, id, true);
          at += 8;
        }
      }
      view.setUint32(at, data.byteLength, true);
      out.set(data, at + 4);
      return at + 4 + data.byteLength;
    }
    case 'hard-state': {
      const hs = record.hardState;
      view.setUint8(at, KIND_HARD_STATE);
      view.setFloat64(at + 1, hs.term, true);
      view.setFloat64(at + 9, hs.vote, true);
      view.setFloat64(at + 17, hs.commit, true);
      return at + 25;
    }
    case 'entries': {
      view.setUint8(at, KIND_ENTRIES);
      view.setUint32(at + 1, record.entries.length, true);
      at += 5;
      for (const e of record.entries) {
        view.setFloat64(at, e.index, true);
        view.setFloat64(at + 8, e.term, true);
        view.setUint8(at + 16, e.type === 'normal' ? 0 : 1);
        view.setUint32(at + 17, e.data.byteLength, true);
        out.set(e.data, at + ENTRY_HEADER_BYTES);
        at += ENTRY_HEADER_BYTES + e.data.byteLength;
      }
      return at;
    }
    default:
      return assertNever(record, 'wal record');
  }
}

export interface DecodedRecords {
  readonly records: readonly WalRecord[];
  /** Length of the prefix made of whole, checksummed records. */
  readonly validBytes: number;
  /** True when bytes follow the valid prefix (a torn or corrupt tail). */
  readonly torn: boolean;
}

/** Decodes records from the start of `bytes` up to the first incomplete or corrupt one. */
export function decodeRecords(bytes: Uint8Array): DecodedRecords {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: WalRecord[] = [];
  let at = 0;
  while (at + FRAME_BYTES <= bytes.length) {
    const length = view.getUint32(at, true);
    const start = at + FRAME_BYTES;
    const end = start + length;
    if (length === 0 || end > bytes.length) break;
    if (view.getUint32(at + 4, true) !== crc32(bytes, start, end)) break;
    const record = readPayload(bytes, view, start, end);
    if (record === undefined) break;
    records.push(record);
    at = end;
  }
  return { records, validBytes: at, torn: at < bytes.length };
}

/** A payload that passed its checksum but does not parse is treated like a torn one. */
function readPayload(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  end: number,
): WalRecord | undefined {
  const kind = view.getUint8(start);
  let at = start + 1;
  const need = (n: number): boolean => at + n <= end;
  switch (kind) {
    case KIND_SNAPSHOT: {
      if (!need(16)) return undefined;
      const index = asIndex(view.getFloat64(at, true));
      const term = asTerm(view.getFloat64(at + 8, true));
      at += 16;
      const lists: NodeId[][] = [];
      for (let l = 0; l < 2; l++) {
        if (!need(4)) return undefined;
        const n = view.getUint32(at, true);
        at += 4;
        if (!need(8 * n)) return undefined;
        const ids: NodeId[] = [];
        for (let i = 0; i < n; i++, at += 8) ids.push(asNodeId(view.getFloat64(at, true)));
        lists.push(ids);
      }
      if (!need(4)) return undefined;
      const dataLength = view.getUint32(at, true);
      at += 4;
      if (at + dataLength !== end) return undefined;
      const confState: ConfState = { voters: lists[0]!, learners: lists[1]! };
      const data = bytes.slice(at, end);
      return { kind: 'snapshot', snapshot: { metadata: { index, term, confState }, data } };
    }
    case KIND_HARD_STATE: {
      if (at + 24 !== end) return undefined;
      return {
        kind: 'hard-state',
        hardState: {
          term: asTerm(view.getFloat64(at, true)),
          vote: asNodeId(view.getFloat64(at + 8, true)),
          commit: asIndex(view.getFloat64(at + 16, true)),
        },
      };
    }
    case KIND_ENTRIES: {
      if (!need(4)) return undefined;
      const count = view.getUint32(at, true);
      at += 4;
      const entries: Entry[] = [];
      for (let i = 0; i < count; i++) {
        if (!need(ENTRY_HEADER_BYTES)) return undefined;
        const type = ENTRY_TYPES[view.getUint8(at + 16)];
        const length = view.getUint32(at + 17, true);
        if (type === undefined || !need(ENTRY_HEADER_BYTES + length)) return undefined;
        const dataStart = at + ENTRY_HEADER_BYTES;
        entries.push({
          index: asIndex(view.getFloat64(at, true)),
          term: asTerm(view.getFloat64(at + 8, true)),
          type,
          data: bytes.slice(dataStart, dataStart + length),
        });
        at = dataStart + length;
      }
      return at === end ? { kind: 'entries', entries } : undefined;
    }
    default:
      return undefined;
  }
}
