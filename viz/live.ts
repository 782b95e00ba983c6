/**
 * The live view of `ksim serve`: the report page at `/ui` on the serve listener, fed with
 * snapshots of the running simulation's report over server-sent events, and a control that
 * pauses, resumes and changes the speed of the pacing.
 *
 *   GET  /ui           the report page in live mode (viz/app, the same bundle `ksim report` inlines)
 *   GET  /ui/events    text/event-stream: `status` and `report` events, the current state first
 *   GET  /ui/control   the status as JSON
 *   POST /ui/control   {"action": "pause" | "resume"} or {"action": "speed", "speed": 10}
 *
 * The routes carry no authentication: the listener is on loopback only. They refuse requests
 * whose Host is not a loopback name (a DNS-rebinding page cannot read the report or drive the
 * control), and the control takes only `application/json` bodies (a cross-site form cannot send
 * one, and a cross-site fetch of one needs a CORS preflight these routes never grant). A
 * listener on another interface must require the admin token instead.
 *
 * viz/ does not know the simulation: the caller (sim/cli/serve-command.ts) provides the
 * snapshots, the status and the control as a `LiveSource`, and calls `publish` every second.
 */
import type * as http from 'node:http';
import { renderLiveHtml } from './html.ts';
import type { LiveStatus, ReportData } from './model/report-data.ts';

export type { LiveStatus };

/** The live view's report builder: the event log keeps the latest rows, 5,000 of them. */
export const LIVE_REPORT = { events: 'latest', maxEventRows: 5_000 } as const;

/** The speeds the page offers (virtual seconds per wall second); the control takes any. */
export const LIVE_SPEEDS = [0.5, 1, 2, 10, 100] as const;

export type LiveControl =
  | { readonly action: 'pause' }
  | { readonly action: 'resume' }
  | { readonly action: 'speed'; readonly speed: number };

export interface LiveSource {
  snapshot(): ReportData;
  status(): LiveStatus;
  /** Applies a control; returns an error message when it cannot be applied. */
  control(c: LiveControl): string | undefined;
}

/** Bodies of POST /ui/control beyond this are refused. */
const MAX_CONTROL_BYTES = 1_024;
/** Open event streams beyond this are refused (each costs a report's JSON per second). */
const MAX_STREAMS = 16;

interface Stream {
  readonly res: http.ServerResponse;
  /** The socket's buffer is full: skip updates until it drains, rather than queue them. */
  blocked: boolean;
  /** Records of the last report sent (-1: none yet). */
  sentRecords: number;
}

/** Host names that reach only this machine, with or without a port. */
function loopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}

/** Parses a control body; a string is the reason it was refused. */
export function parseControl(body: string): LiveControl | string {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return 'the body is not JSON';
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  switch (o['action']) {
    case 'pause':
    case 'resume':
      return { action: o['action'] };
    case 'speed': {
      const speed = o['speed'];
      if (typeof speed !== 'number' || !(speed > 0) || !Number.isFinite(speed))
        return `speed must be a positive number, got ${JSON.stringify(speed)}`;
      return { action: 'speed', speed };
    }
    default:
      return `action must be pause, resume or speed, got ${JSON.stringify(o['action'])}`;
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export class LiveView {
  private readonly streams = new Set<Stream>();
  /** The last report's JSON and the records it covered, shared by every stream. */
  private last: { records: number; json: string } | undefined;

  constructor(private readonly source: LiveSource) {}

  /** Answers the request if it is one of the live view's; false leaves it to the API. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (path !== '/ui' && !path.startsWith('/ui/')) return false;
    if (!loopbackHost(req.headers.host)) {
      sendJson(res, 403, { error: 'the live view answers only requests to a loopback host' });
      return true;
    }
    const route = `${req.method ?? 'GET'} ${path}`;
    switch (route) {
      case 'GET /ui':
      case 'GET /ui/':
        this.page(res);
        return true;
      case 'GET /ui/events':
        this.openStream(res);
        return true;
      case 'GET /ui/control':
        sendJson(res, 200, this.source.status());
        return true;
      case 'POST /ui/control':
        this.control(req, res);
        return true;
      default:
        sendJson(res, path === '/ui/control' || path === '/ui/events' ? 405 : 404, {
          error: `no route ${route}`,
        });
        return true;
    }
  }

  /**
   * Sends the status to every stream, and the report when records came since the stream's
   * last one. The caller calls it once per wall second.
   */
  publish(): void {
    if (this.streams.size === 0) return;
    const status = this.source.status();
    for (const s of this.streams) this.send(s, status);
  }

  /** Ends every stream (the server is stopping). */
  close(): void {
    for (const s of [...this.streams]) s.res.end();
    this.streams.clear();
  }

  private page(res: http.ServerResponse): void {
    renderLiveHtml({ events: '/ui/events', control: '/ui/control', speeds: [...LIVE_SPEEDS] }).then(
      (html) => {
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store',
          'Content-Length': Buffer.byteLength(html),
        });
        res.end(html);
      },
      (e: unknown) => sendJson(res, 500, { error: `cannot build the page: ${String(e)}` }),
    );
  }

  private openStream(res: http.ServerResponse): void {
    if (this.streams.size >= MAX_STREAMS) {
      sendJson(res, 503, { error: `at most ${MAX_STREAMS} live views at once` });
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    const stream: Stream = { res, blocked: false, sentRecords: -1 };
    this.streams.add(stream);
    res.on('drain', () => (stream.blocked = false));
    res.on('close', () => this.streams.delete(stream));
    this.send(stream, this.source.status());
  }

  private send(s: Stream, status: LiveStatus): void {
    if (s.blocked) return;
    let ok = s.res.write(`event: status\ndata: ${JSON.stringify(status)}\n\n`);
    if (status.records !== s.sentRecords) {
      ok = s.res.write(`event: report\ndata: ${this.reportJson(status.records)}\n\n`) && ok;
      s.sentRecords = status.records;
    }
    if (!ok) s.blocked = true;
  }

  private reportJson(records: number): string {
    if (this.last?.records !== records)
      this.last = { records, json: JSON.stringify(this.source.snapshot()) };
    return this.last.json;
  }

  private control(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!/^application\/json\b/.test(String(req.headers['content-type'] ?? ''))) {
      sendJson(res, 415, { error: 'the control takes application/json' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_CONTROL_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_CONTROL_BYTES) {
        sendJson(res, 413, { error: `the body is larger than ${MAX_CONTROL_BYTES} bytes` });
        return;
      }
      const c = parseControl(Buffer.concat(chunks).toString('utf8'));
      const refused = typeof c === 'string' ? c : this.source.control(c);
      if (refused !== undefined) {
        sendJson(res, 400, { error: refused });
        return;
      }
      const status = this.source.status();
      sendJson(res, 200, status);
      // Every open page shows the change now, not at the next tick.
      for (const s of this.streams)
        if (!s.blocked) s.res.write(`event: status\ndata: ${JSON.stringify(status)}\n\n`);
    });
    req.on('error', () => res.destroy());
  }
}
