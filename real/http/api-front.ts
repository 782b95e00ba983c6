/**
 * The Kubernetes HTTP surface (DESIGN.md §8, "HTTP front"): a node:http listener, plain or TLS,
 * that turns each request into the API server's `ApiRequest`, sends it through an `ApiBackend`
 * (the API server process over a Transport: simulated under `ksim serve`, real sockets in real
 * mode) and writes the answer back as kube-apiserver would: JSON bodies, Status errors with
 * their codes, `Warning`, `Retry-After` and `Audit-Id` headers, gzip when the client takes it,
 * and watches as chunked streams of one JSON WatchEvent per line.
 *
 * The front keeps no API semantics of its own: authentication, max-in-flight, authorization and
 * everything after happen in the API server, so every host serves the same API.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { gzipSync } from 'node:zlib';
import * as errors from '../../core/api/errors.ts';
import { isOpenApiPath } from '../../core/apiserver/openapi.ts';
import type { ApiRequest, ApiResponse, WatchFrame } from '../../core/api/http.ts';
import type { Status } from '../../core/api/status-types.ts';
import type { StreamFrame, StreamInput } from '../../core/api/node-stream.ts';
import type { CallResult, ClientStream, StreamHandlers } from '../../core/ports/transport.ts';
import {
  execWebSocketServer,
  nodeStreamKind,
  serveExecWithoutUpgrade,
  serveLog,
  upgradeExec,
} from './node-streams.ts';
import { ClientCertificates, type CertificateCredential } from './client-certificates.ts';
import { DocumentCache, matchesETag } from './document-cache.ts';
import { isWatch, toApiRequest } from './translate.ts';

/** Where the front sends what it receives: the API server, by whatever way the host reaches it. */
export interface ApiBackend {
  request(req: ApiRequest): Promise<CallResult<ApiResponse>>;
  watch(req: ApiRequest, handlers: StreamHandlers<WatchFrame>): { close(): void };
  /** pods/log and pods/exec (node-stream.ts); without it they are not found. */
  stream?(req: ApiRequest, handlers: StreamHandlers<StreamFrame>): ClientStream<StreamInput>;
}

export interface TlsFiles {
  readonly key: string;
  readonly cert: string;
  /**
   * Client certificates signed by `clientCA` (PEM) authenticate as their subject, through
   * `credential` (client-certificates.ts); clients without one use bearer tokens.
   */
  readonly clientAuth?: { readonly clientCA: string; readonly credential: CertificateCredential };
}

export interface ApiFrontOptions {
  /** Default 127.0.0.1: the front listens on loopback unless told otherwise. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly tls?: TlsFiles;
  /** Larger bodies are refused with 413 (upstream's limit for JSON bodies is 3 MiB). */
  readonly maxBodyBytes?: number;
  /**
   * How long a client may take to send a request's headers (default 30 s) and whole request
   * (default 60 s), and how long an idle keep-alive connection stays open (default 60 s):
   * a slow or silent client loses its connection and holds nothing else up.
   */
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  /**
   * Routes beside the API (the live view of `ksim serve` at /ui): sees each request first and
   * returns true when it answered it; the API never serves the paths it takes.
   */
  readonly extraRoutes?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Upstream compresses responses of at least 128 KiB when the client accepts gzip. */
const GZIP_THRESHOLD_BYTES = 128 * 1024;

export interface ApiFront {
  /** `http://127.0.0.1:<port>` or `https://...`. */
  readonly url: string;
  readonly port: number;
  /** Open watch streams right now. */
  readonly watches: number;
  /** Stops listening, ends open watches and waits for the connections to close. */
  close(): Promise<void>;
}

/** RFC 7230 quoted-string: the text of a `299 - "<text>"` warning. */
function warningHeader(text: string): string {
  return `299 - "${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ')}"`;
}

function statusResponse(s: Status): ApiResponse {
  return { status: s.code ?? 500, body: s };
}

function failedCall(r: CallResult<ApiResponse>): ApiResponse {
  switch (r.kind) {
    case 'reply':
      return r.body;
    case 'timeout':
      return statusResponse(errors.timeout('the API server did not answer in time', 1));
    case 'refused':
      return statusResponse(errors.serviceUnavailable('the API server is not running'));
  }
}

const acceptsGzip = (req: http.IncomingMessage): boolean =>
  /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));

/** An OpenAPI document: encoded once, with its ETag, and a 304 for a client that has it. */
function writeDocument(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: object,
  documents: DocumentCache,
): void {
  const doc = documents.of(body);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    ETag: doc.etag,
    Vary: 'Accept-Encoding',
    'Audit-Id': randomUUID(),
  };
  if (matchesETag(req.headers['if-none-match'], doc.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const payload = acceptsGzip(req) ? doc.gzip() : doc.json;
  if (payload !== doc.json) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = String(payload.length);
  res.writeHead(200, headers);
  res.end(payload);
}

/** Writes one answer: the body as JSON (plain text for health checks), gzip if asked and large. */
function writeResponse(req: http.IncomingMessage, res: http.ServerResponse, r: ApiResponse): void {
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  const headers: Record<string, string | string[]> = {
    'Content-Type': typeof r.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Audit-Id': randomUUID(),
  };
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = v;
  if (r.warnings !== undefined && r.warnings.length > 0) {
    headers.Warning = r.warnings.map(warningHeader);
  }
  let payload: Buffer = Buffer.from(text);
  if (payload.length >= GZIP_THRESHOLD_BYTES && acceptsGzip(req)) {
    payload = gzipSync(payload);
    headers['Content-Encoding'] = 'gzip';
  }
  headers['Content-Length'] = String(payload.length);
  res.writeHead(r.status, headers);
  res.end(payload);
}

export function startApiFront(
  backend: ApiBackend,
  options: ApiFrontOptions = {},
): Promise<ApiFront> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const streams = backend.stream?.bind(backend);
  const openWatches = new Set<{ stop(): void }>();
  const documents = new DocumentCache();
  const clientAuth = options.tls?.clientAuth;
  const certificates =
    clientAuth === undefined ? undefined : new ClientCertificates(clientAuth.credential);

  const serveWatch = (req: ApiRequest, res: http.ServerResponse): void => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Audit-Id': randomUUID(),
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    let ended = false;
    const entry = {
      stop: (): void => {
        if (ended) return;
        ended = true;
        openWatches.delete(entry);
        stream.close();
        res.end();
      },
    };
    const stream = backend.watch(req, {
      onMessage: (frame) => {
        if (!ended) res.write(`${JSON.stringify(frame)}\n`);
      },
      onClose: () => {
        if (ended) return;
        ended = true;
        openWatches.delete(entry);
        res.end();
      },
    });
    openWatches.add(entry);
    res.on('close', entry.stop);
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (options.extraRoutes?.(req, res) === true) return;
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        refused = true;
        const r = statusResponse(errors.requestEntityTooLarge(maxBodyBytes));
        // Answer at once and close the connection; the rest of the body is read and dropped
        // (closing with unread data would reset the connection before the client reads the
        // answer), bounded by the request timeout.
        writeResponse(req, res, { ...r, headers: { Connection: 'close' } });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      const parsed = toApiRequest(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
        Buffer.concat(chunks),
      );
      const translated =
        certificates === undefined || errors.isStatus(parsed)
          ? parsed
          : certificates.authenticate(req.socket as TLSSocket, parsed);
      if (errors.isStatus(translated)) {
        writeResponse(req, res, statusResponse(translated));
        return;
      }
      if (isWatch(translated)) {
        serveWatch(translated, res);
        return;
      }
      const streamKind = nodeStreamKind(translated.path);
      if (streams !== undefined && streamKind !== undefined) {
        const answer = (r: ApiResponse): void => writeResponse(req, res, r);
        if (streamKind === 'log') serveLog(streams, translated, res, answer);
        else serveExecWithoutUpgrade(streams, translated, answer);
        return;
      }
      const document = translated.method === 'GET' && isOpenApiPath(translated.path);
      backend.request(translated).then(
        (r) => {
          const answer = failedCall(r);
          if (
            document &&
            answer.status === 200 &&
            typeof answer.body === 'object' &&
            answer.body !== null
          )
            writeDocument(req, res, answer.body, documents);
          else writeResponse(req, res, answer);
        },
        (e: unknown) => writeResponse(req, res, statusResponse(errors.internalError(String(e)))),
      );
    });
    req.on('error', () => res.destroy());
  };

  const headersTimeoutMs = options.headersTimeoutMs ?? 30_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const serverOptions = {
    keepAlive: true,
    // How often node looks for requests past their timeouts (its default is 30 s).
    connectionsCheckingInterval: Math.min(1_000, Math.ceil(headersTimeoutMs / 4)),
  };
  const server =
    options.tls === undefined
      ? http.createServer(serverOptions, handle)
      : https.createServer(
          {
            ...serverOptions,
            key: options.tls.key,
            cert: options.tls.cert,
            // Ask for a certificate, but take clients without one (tokens) or with one that
            // does not verify (then a token or a 401): the handler decides, as upstream's does.
            ...(clientAuth === undefined
              ? {}
              : { ca: clientAuth.clientCA, requestCert: true, rejectUnauthorized: false }),
          },
          handle,
        );
  // A request node could not parse, or one past its timeouts: a Status answer, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = timedOut
      ? errors.timeout('the request did not arrive in time')
      : errors.badRequest(`malformed HTTP request: ${err.code ?? err.message}`);
    const body = JSON.stringify(status);
    const reason = timedOut ? '408 Request Timeout' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  // WebSocket upgrades: pods/exec and pods/attach only (node-streams.ts); anything else is refused.
  const wss = execWebSocketServer();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const parsed = toApiRequest(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
      Buffer.alloc(0),
    );
    // The same authentication as any request: a client certificate maps to its credential.
    const translated =
      certificates === undefined || errors.isStatus(parsed)
        ? parsed
        : certificates.authenticate(req.socket as TLSSocket, parsed);
    if (errors.isStatus(translated) && translated.code === 401) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (
      streams === undefined ||
      errors.isStatus(translated) ||
      nodeStreamKind(translated.path) !== 'exec'
    ) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    upgradeExec(wss, streams, translated, req, socket, head);
  });
  server.keepAliveTimeout = options.idleTimeoutMs ?? 60_000;
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = headersTimeoutMs;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      const scheme = options.tls === undefined ? 'http' : 'https';
      const host = options.host ?? '127.0.0.1';
      resolve({
        url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        get watches() {
          return openWatches.size;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const w of [...openWatches]) w.stop();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
