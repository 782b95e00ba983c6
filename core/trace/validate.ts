import { z } from 'zod';
import { TRACE_DEFINITIONS } from './catalog.ts';
import type { TraceRecord, TraceRecordOf } from './types.ts';
import { TRACE_HEADER_KIND, TRACE_SCHEMA_VERSION } from './version.ts';

export type TraceCheck =
  | { readonly ok: true; readonly record: TraceRecord }
  | { readonly ok: false; readonly problem: string };

function excerpt(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** Checks one parsed line against the definition of its kind. */
export function checkTraceRecord(value: unknown): TraceCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, problem: `not an object: ${excerpt(value)}` };
  const kind = (value as { k?: unknown }).k;
  if (typeof kind !== 'string') return { ok: false, problem: `no kind: ${excerpt(value)}` };
  const def = TRACE_DEFINITIONS.get(kind);
  if (def === undefined) return { ok: false, problem: `unknown kind ${kind}: ${excerpt(value)}` };
  const r = def.line.safeParse(value);
  if (!r.success) {
    const why = z.prettifyError(r.error).replaceAll('\n', ' ');
    return {
      ok: false,
      problem: `${kind} does not match its definition: ${why}: ${excerpt(value)}`,
    };
  }
  return { ok: true, record: value as TraceRecord };
}

/** Parses and checks one JSON line. */
export function checkTraceLine(line: string): TraceCheck {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { ok: false, problem: `not JSON (${(e as Error).message}): ${line.slice(0, 200)}` };
  }
  return checkTraceRecord(value);
}

/**
 * Parses one trace line the reader trusts to be valid (one this version of ksim wrote): a line
 * that does not match the schema is a bug, and throws.
 */
export function parseTraceRecord(line: string): TraceRecord {
  const r = checkTraceLine(line);
  if (!r.ok) throw new Error(`invalid trace record: ${r.problem}`);
  return r.record;
}

/**
 * Checks a whole trace, line by line, as it is written or read: every record matches its
 * definition; the first is the header, of this schema version, and no other is; debug records
 * appear only in a debug-level trace; time never goes backwards. Counts the records per kind.
 */
export class TraceChecker {
  private header: TraceRecordOf<typeof TRACE_HEADER_KIND> | undefined;
  private lastUs = 0;
  private readonly counts = new Map<string, number>();

  /** Records seen per kind, the header included. */
  get kinds(): ReadonlyMap<string, number> {
    return this.counts;
  }

  line(line: string): TraceCheck {
    const r = checkTraceLine(line);
    if (!r.ok) return r;
    const problem = this.inOrder(r.record);
    if (problem !== undefined) return { ok: false, problem: `${problem}: ${line.slice(0, 200)}` };
    this.counts.set(r.record.k, (this.counts.get(r.record.k) ?? 0) + 1);
    return r;
  }

  private inOrder(record: TraceRecord): string | undefined {
    if (this.header === undefined) {
      if (record.k !== TRACE_HEADER_KIND)
        return `the trace does not start with ${TRACE_HEADER_KIND}`;
      if (record.schemaVersion !== TRACE_SCHEMA_VERSION)
        return `trace schema version ${record.schemaVersion}; this reader knows ${TRACE_SCHEMA_VERSION}`;
      this.header = record;
      return undefined;
    }
    if (record.k === TRACE_HEADER_KIND) return 'a second header';
    if (TRACE_DEFINITIONS.get(record.k)?.level === 'debug' && this.header.level !== 'debug')
      return `debug record ${record.k} in an info-level trace`;
    if (record.t < this.lastUs) return `time goes back from ${this.lastUs} to ${record.t}`;
    this.lastUs = record.t;
    return undefined;
  }
}
