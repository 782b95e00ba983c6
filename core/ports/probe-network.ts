/**
 * The network requests a kubelet makes to its own pods for probes and lifecycle hooks: an HTTP
 * GET, a TCP connect, a gRPC health check (grpc.health.v1.Health/Check). Upstream's kubelet
 * dials the pod IP from the node's network namespace (pkg/probe/http, tcp, grpc); real mode does
 * the same, the simulator answers from the behaviour of the container listening on the port.
 *
 * Answers are data, the way the dial ends: a refused or timed-out connection is an answer, not
 * an error, and the kubelet turns it into upstream's probe output.
 */
export interface HttpGetRequest {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
}

/** How a dial ended before any answer: nothing listens, or no answer within the timeout. */
export type DialFailure = { readonly kind: 'refused' } | { readonly kind: 'timeout' };

export type HttpGetAnswer =
  { readonly kind: 'response'; readonly statusCode: number; readonly body: string } | DialFailure;

export type TcpConnectAnswer = { readonly kind: 'connected' } | DialFailure;

/** grpc.health.v1 HealthCheckResponse.ServingStatus, or how the call failed. */
export type GrpcHealthAnswer =
  | {
      readonly kind: 'status';
      readonly status: 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN';
    }
  | DialFailure;

export interface ProbeNetwork {
  httpGet(request: HttpGetRequest, timeoutUs: number): Promise<HttpGetAnswer>;
  tcpConnect(host: string, port: number, timeoutUs: number): Promise<TcpConnectAnswer>;
  grpcHealthCheck(
    host: string,
    port: number,
    service: string,
    timeoutUs: number,
  ): Promise<GrpcHealthAnswer>;
}
