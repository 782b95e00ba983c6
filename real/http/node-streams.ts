/**
 * pods/log, pods/exec and pods/attach over HTTP, as kube-apiserver serves them to kubectl: a log
 * is a `text/plain` chunked body that grows while a follow lasts; an exec or attach is a
 * WebSocket upgrade speaking the channel protocol (v5.channel.k8s.io, or v4: every binary message starts with its
 * channel — 1 stdout, 2 stderr, 3 the error channel's Status, 4 resize from the client — and
 * the server closes after the Status). kubectl 1.32 tries the WebSocket first and falls back to
 * SPDY when the upgrade fails; SPDY is not served, so a refused exec answers the fallback with
 * the refusal's Status (kubectl prints it) and an allowed one with a 400 that says so.
 *
 * The client's channels come back as the stream's input: 0 stdin, 4 a terminal's size
 * (`{"Width":W,"Height":H}`), and v5's close signal (255 followed by the channel: 255 0 is the
 * end of stdin, which v4 cannot say).
 */
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import * as errors from '../../core/api/errors.ts';
import type { ApiRequest, ApiResponse } from '../../core/api/http.ts';
import type { StreamFrame, StreamInput } from '../../core/api/node-stream.ts';
import type { ClientStream, StreamHandlers } from '../../core/ports/transport.ts';

/** Opens a streaming request on the API server (API_STREAM_PROTOCOL). */
export type OpenNodeStream = (
  req: ApiRequest,
  handlers: StreamHandlers<StreamFrame>,
) => ClientStream<StreamInput>;

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const CHANNEL = { stdout: 1, stderr: 2, error: 3 } as const;
const STDIN = 0;
const RESIZE = 4;
/** v5.channel.k8s.io: `255 N` closes channel N (remotecommand.StreamClose). */
const STREAM_CLOSE = 255;

/**
 * Upstream's streaming subresources of pods, by the last segments of the path: a log's body,
 * or the channel protocol of exec and attach (the same on the wire).
 */
export function nodeStreamKind(path: string): 'log' | 'exec' | undefined {
  const m = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/(log|exec|attach)$/.exec(path);
  if (m === null) return undefined;
  return m[1] === 'log' ? 'log' : 'exec';
}

type WriteAnswer = (r: ApiResponse) => void;

/** A log: the refusal as a Status, or 200 and the text as it comes. */
export function serveLog(
  open: OpenNodeStream,
  req: ApiRequest,
  res: http.ServerResponse,
  answer: WriteAnswer,
): void {
  let started = false;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    if (!started) answer(closedEarly());
    else res.end();
  };
  const stream = open(req, {
    onMessage: (frame) => {
      if (done) return;
      switch (frame.kind) {
        case 'start':
          started = true;
          res.writeHead(200, {
            'Content-Type': 'text/plain',
            'Cache-Control': 'no-cache, private',
            'Transfer-Encoding': 'chunked',
          });
          res.flushHeaders();
          return;
        case 'data':
          res.write(frame.data);
          return;
        case 'error':
          if (!started) {
            done = true;
            answer(frame.response);
          }
          return;
        case 'end':
          return;
      }
    },
    onClose: finish,
  });
  res.on('close', () => {
    done = true;
    stream.close();
  });
}

/** An exec that did not upgrade (SPDY, or a plain request): its refusal, or why it cannot run. */
export function serveExecWithoutUpgrade(
  open: OpenNodeStream,
  req: ApiRequest,
  answer: WriteAnswer,
): void {
  let done = false;
  const stream = open(req, {
    onMessage: (frame) => {
      if (done) return;
      done = true;
      stream.close();
      if (frame.kind === 'error') answer(frame.response);
      else answer(statusAnswer(errors.badRequest(SPDY_UNSUPPORTED)));
    },
    onClose: () => {
      if (done) return;
      done = true;
      answer(closedEarly());
    },
  });
}

const SPDY_UNSUPPORTED =
  'exec and attach are served over WebSocket (v5.channel.k8s.io) only; SPDY/3.1 upgrades are not supported';

/**
 * Upgrades an exec to a WebSocket once the API server accepted it; a refusal is written as an
 * HTTP answer on the socket (kubectl then tries SPDY, gets the same refusal and prints it).
 */
export function upgradeExec(
  wss: WebSocketServer,
  open: OpenNodeStream,
  apiReq: ApiRequest,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  let ws: WebSocket | undefined;
  let refused = false;
  const pending: StreamFrame[] = [];
  const send = (frame: StreamFrame): void => {
    if (ws === undefined) {
      pending.push(frame);
      return;
    }
    sendFrame(ws, frame);
  };
  const stream = open(apiReq, {
    onMessage: (frame) => {
      if (refused) return;
      if (frame.kind === 'error' && ws === undefined) {
        refused = true;
        writeRawAnswer(socket, frame.response);
        return;
      }
      if (frame.kind === 'start' && ws === undefined) {
        wss.handleUpgrade(req, socket, head, (upgraded) => {
          ws = upgraded;
          upgraded.on('close', () => stream.close());
          upgraded.on('error', () => stream.close());
          upgraded.on('message', (data: Buffer, isBinary: boolean) => {
            const input = isBinary ? clientInput(data) : undefined;
            if (input !== undefined) stream.send(input);
          });
          for (const f of pending.splice(0)) sendFrame(upgraded, f);
        });
        return;
      }
      send(frame);
    },
    onClose: () => {
      if (refused) return;
      if (ws === undefined && pending.length === 0) {
        writeRawAnswer(socket, closedEarly());
        return;
      }
      const close = (): void => ws?.close(1000);
      if (ws === undefined) pending.push({ kind: 'start' });
      close();
    },
  });
  socket.on('error', () => stream.close());
}

/** A client's binary message as stream input; anything else (unknown channels) is dropped. */
export function clientInput(data: Buffer): StreamInput | undefined {
  const channel = data[0];
  const payload = data.subarray(1);
  switch (channel) {
    case STDIN:
      return payload.length === 0 ? undefined : { kind: 'stdin', data: payload.toString('utf8') };
    case RESIZE:
      return terminalSize(payload);
    case STREAM_CLOSE:
      return payload[0] === STDIN ? { kind: 'stdin-close' } : undefined;
    default:
      return undefined;
  }
}

/** remotecommand.TerminalSize as JSON, `{"Width":80,"Height":24}`. */
function terminalSize(payload: Buffer): StreamInput | undefined {
  try {
    const v = JSON.parse(payload.toString('utf8')) as { Width?: unknown; Height?: unknown };
    const ok = (x: unknown): x is number =>
      typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffff;
    return ok(v.Width) && ok(v.Height)
      ? { kind: 'resize', width: v.Width, height: v.Height }
      : undefined;
  } catch {
    return undefined;
  }
}

function sendFrame(ws: WebSocket, frame: StreamFrame): void {
  switch (frame.kind) {
    case 'data':
      ws.send(Buffer.concat([Buffer.from([CHANNEL[frame.channel]]), Buffer.from(frame.data)]));
      return;
    case 'end':
      ws.send(
        Buffer.concat([Buffer.from([CHANNEL.error]), Buffer.from(JSON.stringify(frame.status))]),
      );
      ws.close(1000);
      return;
    case 'error': {
      const body = JSON.stringify(frame.response.body);
      ws.send(Buffer.concat([Buffer.from([CHANNEL.error]), Buffer.from(body)]));
      ws.close(1000);
      return;
    }
    case 'start':
      return;
  }
}

function statusAnswer(s: ReturnType<typeof errors.badRequest>): ApiResponse {
  return { status: s.code ?? 500, body: s };
}

function closedEarly(): ApiResponse {
  return statusAnswer(errors.serviceUnavailable('the API server closed the stream'));
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An HTTP answer written on a socket that was not upgraded, then closed. */
function writeRawAnswer(socket: Duplex, r: ApiResponse): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(r.body);
  socket.end(
    `HTTP/1.1 ${r.status} ${REASONS[r.status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A WebSocket server for exec upgrades: it picks the newest channel protocol the client offers. */
export function execWebSocketServer(): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
}
