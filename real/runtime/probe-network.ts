/**
 * Probes from the node's network namespace to pod IPs, as upstream's kubelet dials them
 * (pkg/probe/http, tcp, grpc): node:http for httpGet, a bare connect for tcpSocket, and the
 * grpc.health.v1 Check call over HTTP/2 for grpc probes. A refused or timed-out dial is an
 * answer, not an error.
 */
import { request as httpRequest } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type {
  DialFailure,
  GrpcHealthAnswer,
  HttpGetAnswer,
  HttpGetRequest,
  ProbeNetwork,
  TcpConnectAnswer,
} from '../../core/ports/probe-network.ts';

/** Upstream reads at most 10 KiB of a probe's body (pkg/probe/http maxRespBodyLength). */
const MAX_BODY_BYTES = 10 * 1024;

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

function failure(error: unknown): DialFailure {
  const code = (error as { code?: string }).code;
  return code === 'ETIMEDOUT' ? { kind: 'timeout' } : { kind: 'refused' };
}

export class HostProbeNetwork implements ProbeNetwork {
  httpGet(request: HttpGetRequest, timeoutUs: number): Promise<HttpGetAnswer> {
    const send = request.scheme === 'https' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32' };
      for (const h of request.headers) headers[h.name] = h.value;
      const req = send(
        {
          host: request.host,
          port: request.port,
          path: request.path,
          method: 'GET',
          headers,
          timeout: Math.ceil(timeoutUs / 1000),
          // Upstream's probes do not verify certificates (InsecureSkipVerify).
          rejectUnauthorized: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < MAX_BODY_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () =>
            resolve({
              kind: 'response',
              statusCode: res.statusCode ?? 0,
              body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8'),
            }),
          );
          res.on('error', (e) => resolve(failure(e)));
        },
      );
      req.on('timeout', () => {
        req.destroy();
        resolve({ kind: 'timeout' });
      });
      req.on('error', (e) => resolve(failure(e)));
      req.end();
    });
  }

  tcpConnect(host: string, port: number, timeoutUs: number): Promise<TcpConnectAnswer> {
    return new Promise((resolve) => {
      const socket = connect({ host, port });
      const timer = setTimeout(
        () => {
          socket.destroy();
          resolve({ kind: 'timeout' });
        },
        Math.ceil(timeoutUs / 1000),
      );
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ kind: 'connected' });
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        resolve(failure(e));
      });
    });
  }

  grpcHealthCheck(
    host: string,
    port: number,
    service: string,
    timeoutUs: number,
  ): Promise<GrpcHealthAnswer> {
    return new Promise((resolve) => {
      const session = http2Connect(`http://${host}:${port}`);
      const timer = setTimeout(
        () => {
          session.destroy();
          resolve({ kind: 'timeout' });
        },
        Math.ceil(timeoutUs / 1000),
      );
      const done = (answer: GrpcHealthAnswer): void => {
        clearTimeout(timer);
        session.close();
        resolve(answer);
      };
      session.once('error', (e) => done(failure(e)));
      const stream = session.request({
        ':method': 'POST',
        ':path': '/grpc.health.v1.Health/Check',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => done(decodeHealthResponse(Buffer.concat(chunks))));
      stream.on('error', (e) => done(failure(e)));
      stream.end(grpcFrame(encodeHealthRequest(service)));
    });
  }
}

/** HealthCheckRequest { string service = 1; } */
export function encodeHealthRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  if (name.length === 0) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** A gRPC message on the wire: uncompressed flag, 4-byte big-endian length, message. */
function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** HealthCheckResponse { ServingStatus status = 1; } from one gRPC frame. */
export function decodeHealthResponse(frame: Buffer): GrpcHealthAnswer {
  // No message: the call failed (a gRPC error status comes in the trailers). Upstream's
  // probe reports that as a failure; the service does not exist as far as the probe knows.
  if (frame.length < 5) return { kind: 'status', status: 'SERVICE_UNKNOWN' };
  const message = frame.subarray(5, 5 + frame.readUInt32BE(1));
  // proto3 leaves out a zero field: an empty message is UNKNOWN.
  const status = message.length >= 2 && message[0] === 0x08 ? (message[1] ?? 0) : 0;
  return { kind: 'status', status: SERVING_STATUS[status] ?? 'UNKNOWN' };
}
