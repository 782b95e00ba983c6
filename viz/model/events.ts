/**
 * The event log: every record a person would read, one row each, with the object it is about
 * pulled out so the table can be filtered by it. Records that are samples or per-request
 * detail (API requests, lease renewals, progress and queue samples, network messages) are
 * charted instead; the log is capped so that a large run stays a file a browser opens.
 */
import type { TraceRecord } from '../../core/trace/types.ts';
import type { EventRow, EventsView } from './report-data.ts';

export const MAX_EVENT_ROWS = 25_000;

const CHARTED_ONLY = new Set([
  'trace.header',
  'api.request',
  'api.watch',
  'kubelet.lease-renewed',
  'store.member.progress',
  'scheduler.queue',
]);

/** Fields that name the object a record is about, in order of preference. */
const OBJECT_FIELDS = [
  'pod',
  'victim',
  'node',
  'rs',
  'pdb',
  'zone',
  'process',
  'image',
  'name',
] as const;

function shown(kind: string): boolean {
  return (
    (!CHARTED_ONLY.has(kind) && !kind.startsWith('net.') && !kind.startsWith('runtime.')) ||
    kind === 'runtime.fault'
  );
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The object a record is about and its remaining fields as `name=value` text. */
export function describe(r: TraceRecord): [object: string, detail: string] {
  const fields = r as unknown as Readonly<Record<string, unknown>>;
  let object = '';
  for (const f of OBJECT_FIELDS) {
    const v = fields[f];
    if (typeof v === 'string') {
      object = v;
      break;
    }
  }
  if (r.k.startsWith('store.member.') && typeof fields['id'] === 'number')
    object = `member ${fields['id']}`;
  if (object === '' && (r.k.startsWith('process.') || r.k.startsWith('disk.'))) object = r.p;
  const detail = Object.keys(fields)
    .filter((k) => k !== 't' && k !== 'p' && k !== 'k' && fields[k] !== object)
    .map((k) => `${k}=${text(fields[k])}`)
    .join(' ');
  return [object, detail];
}

/**
 * Which rows the capped log keeps: a report of a finished trace keeps the first (how the run
 * began is read top down), the live view of a running one the latest (what is happening now).
 */
export type EventsKept = 'first' | 'latest';

export class EventsModel {
  /** With 'latest', up to twice the cap, trimmed in halves so each record costs O(1). */
  private rows: EventRow[] = [];
  private seen = 0;

  constructor(
    private readonly keeps: EventsKept = 'first',
    private readonly maxRows = MAX_EVENT_ROWS,
  ) {}

  add(r: TraceRecord): void {
    if (!shown(r.k)) return;
    this.seen++;
    if (this.keeps === 'first' && this.rows.length >= this.maxRows) return;
    if (this.rows.length >= 2 * this.maxRows) this.rows = this.rows.slice(this.maxRows);
    const [object, detail] = describe(r);
    this.rows.push([r.t, r.p, r.k, object, detail]);
  }

  view(): EventsView {
    const rows = this.rows.slice(-this.maxRows);
    return { rows, omitted: this.seen - rows.length, keeps: this.keeps };
  }
}
