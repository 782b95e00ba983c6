/**
 * Runs a probe's or a hook's handler against a container and words the outcome as upstream's
 * probers do (pkg/probe/exec, http, tcp, grpc), so Events read like a real node's.
 */
import type { Container } from '../../api/pod-types.ts';
import type { ProbeNetwork } from '../../ports/probe-network.ts';
import type { Runtime } from '../../ports/runtime.ts';
import { assertNever } from '../../util/assert.ts';
import type { ProbeHandler } from './probe-spec.ts';

/** `error`: the probe could not run at all (upstream's "probe errored"): the worker ignores it. */
export type HandlerOutcome =
  | { readonly result: 'success'; readonly output: string }
  | { readonly result: 'failure'; readonly output: string }
  | { readonly result: 'error'; readonly output: string };

export interface HandlerTarget {
  readonly container: Container;
  readonly containerId: string;
  readonly podIP: string | undefined;
}

export interface HandlerPorts {
  readonly runtime: Runtime;
  readonly network: ProbeNetwork;
}

export async function runHandler(
  ports: HandlerPorts,
  target: HandlerTarget,
  handler: ProbeHandler,
  timeoutUs: number,
): Promise<HandlerOutcome> {
  switch (handler.kind) {
    case 'exec': {
      const r = await ports.runtime.execSync(target.containerId, handler.command, timeoutUs);
      if (!r.ok) {
        // ExecProbeTimeout: a command that runs too long is a failure, not an error.
        if (r.reason === 'DeadlineExceeded') return { result: 'failure', output: r.message };
        return { result: 'error', output: r.message };
      }
      return r.value.exitCode === 0
        ? { result: 'success', output: r.value.output }
        : { result: 'failure', output: r.value.output };
    }
    case 'http-get': {
      const port = resolvePort(handler.port, target.container);
      const host = handler.host ?? target.podIP;
      if (typeof port === 'string') return { result: 'error', output: port };
      if (host === undefined) return { result: 'error', output: 'pod has no IP yet' };
      const url = `${handler.scheme}://${joinHostPort(host, port)}${handler.path}`;
      const a = await ports.network.httpGet(
        { scheme: handler.scheme, host, port, path: handler.path, headers: handler.headers },
        timeoutUs,
      );
      if (a.kind === 'refused')
        return {
          result: 'failure',
          output: `Get "${url}": dial tcp ${joinHostPort(host, port)}: connect: connection refused`,
        };
      if (a.kind === 'timeout')
        return {
          result: 'failure',
          output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        };
      if (a.statusCode >= 200 && a.statusCode < 400) return { result: 'success', output: a.body };
      return {
        result: 'failure',
        output: `HTTP probe failed with statuscode: ${a.statusCode}`,
      };
    }
    case 'tcp-socket': {
      const port = resolvePort(handler.port, target.container);
      const host = handler.host ?? target.podIP;
      if (typeof port === 'string') return { result: 'error', output: port };
      if (host === undefined) return { result: 'error', output: 'pod has no IP yet' };
      const a = await ports.network.tcpConnect(host, port, timeoutUs);
      const addr = joinHostPort(host, port);
      if (a.kind === 'connected') return { result: 'success', output: '' };
      return {
        result: 'failure',
        output:
          a.kind === 'refused'
            ? `dial tcp ${addr}: connect: connection refused`
            : `dial tcp ${addr}: i/o timeout`,
      };
    }
    case 'grpc': {
      const host = target.podIP;
      if (host === undefined) return { result: 'error', output: 'pod has no IP yet' };
      const a = await ports.network.grpcHealthCheck(host, handler.port, handler.service, timeoutUs);
      const addr = joinHostPort(host, handler.port);
      if (a.kind === 'status') {
        return a.status === 'SERVING'
          ? { result: 'success', output: '' }
          : { result: 'failure', output: `service unhealthy (responded with "${a.status}")` };
      }
      return {
        result: 'failure',
        output: `timeout: failed to connect service "${addr}" within ${timeoutUs / 1_000_000}s: context deadline exceeded`,
      };
    }
    default:
      return assertNever(handler, 'probe handler');
  }
}

/**
 * A port number, or a named port of the container (upstream findPortByName, then a number in a
 * string); the error text when neither.
 */
export function resolvePort(port: number | string, container: Container): number | string {
  let n: number;
  if (typeof port === 'number') n = port;
  else {
    const named = container.ports?.find((p) => p.name === port);
    n = named?.containerPort ?? (/^\d+$/.test(port) ? Number(port) : NaN);
    if (Number.isNaN(n)) return `port ${port} not found`;
  }
  return n > 0 && n < 65536 ? n : `invalid port number: ${n}`;
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
