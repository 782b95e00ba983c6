/**
 * A served session (`ksim serve --record FILE`) and its replay (`ksim replay-session`).
 *
 * The world of `ksim serve` depends on the outside only through what OutsideRequests admits:
 * each request, each watch or stream opened or closed, at the virtual time and in the batch
 * (one `admit`) it was admitted. The session file holds those admissions as JSON lines after a
 * header naming the scenario, the seed and what else the world was built with (the front's CA,
 * which the cluster publishes), and ends with the virtual time the run stopped at. Replaying
 * builds the same world, runs it without pacing to each batch's time, admits the batch as
 * recorded and runs on: the trace is the served run's, byte for byte.
 *
 * What an admission records is the request as the API server receives it: method, path, query,
 * content type, accept, the Authorization the front presented for the client (a bearer token,
 * or the credential the front issued for a client certificate's subject; it names the user),
 * and the body (a protobuf body as the JSON object it decodes to).
 */
import type { ApiRequest } from '../core/api/http.ts';
import type { ClientStream } from '../core/ports/transport.ts';
import { checkStreamInput } from '../core/api/node-stream.ts';
import type { Admission, OutsideRequests } from './outside-requests.ts';
import type { Simulation } from './simulation.ts';

export const SESSION_FORMAT = 1;

export interface SessionHeader {
  readonly k: 'session.header';
  readonly format: typeof SESSION_FORMAT;
  readonly scenario: string;
  readonly seed: number;
  /** The CA the front served with, which the cluster publishes (kube-root-ca.crt). */
  readonly rootCA?: string;
}

export type SessionAdmission = {
  readonly k: 'session.admit';
  readonly atUs: number;
  readonly batch: number;
} & Admission;

export interface SessionEnd {
  readonly k: 'session.end';
  readonly atUs: number;
}

export type SessionLine = SessionHeader | SessionAdmission | SessionEnd;

export interface Session {
  readonly header: SessionHeader;
  readonly admissions: readonly SessionAdmission[];
  readonly endUs: number;
}

/** Writes a session as it happens: the header at once, an admission per line, the end. */
export class SessionWriter {
  constructor(
    header: Omit<SessionHeader, 'k' | 'format'>,
    private readonly write: (line: string) => void,
  ) {
    this.line({ k: 'session.header', format: SESSION_FORMAT, ...header });
  }

  admitted(atUs: number, batch: number, admission: Admission): void {
    this.line({ k: 'session.admit', atUs, batch, ...admission });
  }

  end(atUs: number): void {
    this.line({ k: 'session.end', atUs });
  }

  private line(l: SessionLine): void {
    this.write(JSON.stringify(l));
  }
}

/** A session file's text, checked: an error names the line and what is wrong with it. */
export function parseSession(text: string): Session {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const parsed = lines.map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new Error(`line ${i + 1}: not JSON`);
    }
  });
  const [first, ...rest] = parsed;
  if (first?.k !== 'session.header') throw new Error('line 1: not a session header');
  if (first.format !== SESSION_FORMAT)
    throw new Error(
      `line 1: session format ${String(first.format)}, this ksim reads ${SESSION_FORMAT}`,
    );
  if (typeof first.scenario !== 'string' || typeof first.seed !== 'number')
    throw new Error('line 1: the header needs scenario (string) and seed (number)');
  if (first.rootCA !== undefined && typeof first.rootCA !== 'string')
    throw new Error('line 1: rootCA must be a string');
  const admissions: SessionAdmission[] = [];
  let endUs: number | undefined;
  let lastUs = 0;
  let lastBatch = -1;
  rest.forEach((l, i) => {
    const where = `line ${i + 2}`;
    if (endUs !== undefined) throw new Error(`${where}: after session.end`);
    if (typeof l.atUs !== 'number' || !Number.isInteger(l.atUs) || l.atUs < lastUs)
      throw new Error(`${where}: atUs must be an integer not before the line above's`);
    lastUs = l.atUs;
    if (l.k === 'session.end') {
      endUs = l.atUs;
      return;
    }
    if (l.k !== 'session.admit') throw new Error(`${where}: unknown kind ${JSON.stringify(l.k)}`);
    if (typeof l.batch !== 'number' || l.batch < lastBatch)
      throw new Error(`${where}: batch must be a number not below the line above's`);
    lastBatch = l.batch;
    admissions.push(checkAdmission(l, where));
  });
  if (endUs === undefined)
    throw new Error('the session has no session.end line (was serve stopped cleanly?)');
  return { header: first as unknown as SessionHeader, admissions, endUs };
}

function checkAdmission(l: Record<string, unknown>, where: string): SessionAdmission {
  const isRequest = (r: unknown): r is ApiRequest =>
    typeof r === 'object' &&
    r !== null &&
    (r as ApiRequest).kind === 'http' &&
    typeof (r as ApiRequest).method === 'string' &&
    typeof (r as ApiRequest).path === 'string';
  switch (l.op) {
    case 'request':
      if (!isRequest(l.req)) throw new Error(`${where}: req is not an API request`);
      break;
    case 'watch':
    case 'stream':
      if (!isRequest(l.req)) throw new Error(`${where}: req is not an API request`);
      if (typeof l.id !== 'number') throw new Error(`${where}: a ${l.op} needs its id`);
      break;
    case 'close':
      if (typeof l.id !== 'number') throw new Error(`${where}: a close needs the id it closes`);
      break;
    case 'input': {
      if (typeof l.id !== 'number') throw new Error(`${where}: input needs the stream's id`);
      const problem = checkStreamInput(l.input);
      if (problem !== undefined) throw new Error(`${where}: input: ${problem}`);
      break;
    }
    default:
      throw new Error(`${where}: unknown op ${JSON.stringify(l.op)}`);
  }
  return l as unknown as SessionAdmission;
}

const IGNORE = { onMessage: () => {}, onClose: () => {} };

/**
 * Reruns a session's admissions into a world built as the served one was: each batch at its
 * virtual time, in its order, then on to the time the served run stopped at.
 */
export async function replaySession(
  sim: Simulation,
  outside: OutsideRequests,
  session: Session,
): Promise<void> {
  const streams = new Map<number, ClientStream<unknown>>();
  const { admissions } = session;
  let i = 0;
  while (i < admissions.length) {
    const first = admissions[i] as SessionAdmission;
    await sim.run({ untilUs: first.atUs });
    if (sim.now !== first.atUs)
      throw new Error(`the replay reached ${sim.now} µs, past the admission at ${first.atUs} µs`);
    for (; i < admissions.length && admissions[i]?.batch === first.batch; i++) {
      start(outside, streams, admissions[i] as SessionAdmission);
    }
    outside.admit();
    await sim.run({ untilUs: sim.now });
  }
  await sim.run({ untilUs: session.endUs });
}

function start(
  outside: OutsideRequests,
  streams: Map<number, ClientStream>,
  a: SessionAdmission,
): void {
  switch (a.op) {
    case 'request':
      void outside.request(a.req);
      return;
    case 'watch':
      streams.set(a.id, outside.watch(a.req, IGNORE));
      return;
    case 'stream':
      streams.set(a.id, outside.stream(a.req, IGNORE));
      return;
    case 'close': {
      const s = streams.get(a.id);
      if (s === undefined) throw new Error(`the session closes stream ${a.id}, never opened`);
      s.close();
      return;
    }
    case 'input': {
      const s = streams.get(a.id);
      if (s === undefined) throw new Error(`the session writes to stream ${a.id}, never opened`);
      s.send(a.input);
      return;
    }
  }
}
