/**
 * Byte accounting for flow control (maxSizePerMsg, maxCommittedSizePerReady). The payload plus a
 * fixed framing cost per entry (term, index, type), so that a message of empty entries is not
 * unbounded either.
 */
import type { Entry } from './types.ts';

export const ENTRY_OVERHEAD_BYTES = 16;

export function entrySizeBytes(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

export function entriesSizeBytes(entries: readonly Entry[]): number {
  let size = 0;
  for (const e of entries) size += entrySizeBytes(e);
  return size;
}

/**
 * The end (exclusive) of the longest run entries[start, end) within [start, endMax) whose size
 * fits in maxSizeBytes; always at least one entry if start < endMax, so progress is guaranteed.
 */
export function limitEntriesEnd(
  entries: readonly Entry[],
  start: number,
  endMax: number,
  maxSizeBytes: number,
): number {
  if (start >= endMax) return start;
  let size = entrySizeBytes(entries[start] as Entry);
  let end = start + 1;
  while (end < endMax) {
    size += entrySizeBytes(entries[end] as Entry);
    if (size > maxSizeBytes) break;
    end++;
  }
  return end;
}
