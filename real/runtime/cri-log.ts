/**
 * CRI log files (the format containerd's CRI plugin writes and the kubelet reads:
 * `<RFC3339Nano time> <stdout|stderr> <P|F> <text>` per line, P for a partial line that the
 * next one continues), read from a byte offset so a follow reads only what is new.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseRfc3339 } from '../../core/api/time.ts';
import type { LogLine } from '../../core/ports/runtime.ts';

/** Largest piece read at once; a follow picks up the rest on its next read. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

/** The log's lines from byte `offset` up to its last complete line, and the offset after them. */
export function readCriLog(path: string, offset: number): { lines: LogLine[]; offset: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    // Nothing written yet (the driver creates the file with the first line).
    return { lines: [], offset };
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(MAX_READ_BYTES, Math.max(0, size - offset));
    const buf = Buffer.alloc(length);
    const read = length === 0 ? 0 : readSync(fd, buf, 0, length, offset);
    const last = buf.subarray(0, read).lastIndexOf(0x0a);
    if (last < 0) return { lines: [], offset };
    const text = buf.subarray(0, last).toString('utf8');
    return { lines: parseCriLines(text), offset: offset + last + 1 };
  } finally {
    closeSync(fd);
  }
}

/** Parses CRI log lines, joining partial (P) lines into the full line they end in. */
export function parseCriLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  let partial = '';
  for (const raw of text.split('\n')) {
    const m = /^(\S+) (stdout|stderr) ([PF]) ?(.*)$/.exec(raw);
    if (m === null) continue;
    const timeUs = parseRfc3339(m[1] ?? '');
    if (timeUs === undefined) continue;
    partial += m[4] ?? '';
    if (m[3] === 'P') continue;
    out.push({ timeUs, stream: m[2] as LogLine['stream'], text: partial });
    partial = '';
  }
  return out;
}
