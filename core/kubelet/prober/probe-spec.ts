/**
 * A container's probes with upstream's defaults filled in (pkg/apis/core/v1/defaults.go
 * SetDefaults_Probe: period 10 s, timeout 1 s, success 1, failure 3, no initial delay).
 */
import type { Container, Probe } from '../../api/pod-types.ts';

export type ProbeType = 'startup' | 'liveness' | 'readiness';

/** In the order upstream's AddPod creates the workers. */
export const PROBE_TYPES: readonly ProbeType[] = ['startup', 'readiness', 'liveness'];

/** probeType.String() as Events and messages show it. */
export const PROBE_TYPE_NAMES: Readonly<Record<ProbeType, string>> = {
  startup: 'Startup',
  liveness: 'Liveness',
  readiness: 'Readiness',
};

export type ProbeHandler =
  | { readonly kind: 'exec'; readonly command: readonly string[] }
  | {
      readonly kind: 'http-get';
      readonly scheme: 'http' | 'https';
      readonly host: string | undefined;
      readonly port: number | string;
      readonly path: string;
      readonly headers: readonly { readonly name: string; readonly value: string }[];
    }
  | {
      readonly kind: 'tcp-socket';
      readonly host: string | undefined;
      readonly port: number | string;
    }
  | { readonly kind: 'grpc'; readonly port: number; readonly service: string };

export interface ProbeSpec {
  readonly type: ProbeType;
  readonly handler: ProbeHandler;
  readonly initialDelaySeconds: number;
  readonly periodUs: number;
  readonly timeoutUs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
  /** The probe-level grace period a liveness or startup failure kills the container with. */
  readonly terminationGracePeriodSeconds: number | undefined;
}

const US_PER_SECOND = 1_000_000;

export function containerProbe(c: Container, type: ProbeType): Probe | undefined {
  switch (type) {
    case 'startup':
      return c.startupProbe;
    case 'liveness':
      return c.livenessProbe;
    case 'readiness':
      return c.readinessProbe;
  }
}

/** The probe with defaults, or undefined when it has no handler ksim knows. */
export function resolveProbe(type: ProbeType, probe: Probe): ProbeSpec | undefined {
  const handler = probeHandler(probe);
  if (handler === undefined) return undefined;
  return {
    type,
    handler,
    initialDelaySeconds: probe.initialDelaySeconds ?? 0,
    periodUs: Math.max(1, probe.periodSeconds ?? 10) * US_PER_SECOND,
    timeoutUs: Math.max(1, probe.timeoutSeconds ?? 1) * US_PER_SECOND,
    successThreshold: Math.max(1, probe.successThreshold ?? 1),
    failureThreshold: Math.max(1, probe.failureThreshold ?? 3),
    terminationGracePeriodSeconds: probe.terminationGracePeriodSeconds,
  };
}

export function probeHandler(probe: {
  readonly exec?: Probe['exec'];
  readonly httpGet?: Probe['httpGet'];
  readonly tcpSocket?: Probe['tcpSocket'];
  readonly grpc?: Probe['grpc'];
}): ProbeHandler | undefined {
  if (probe.exec !== undefined) return { kind: 'exec', command: probe.exec.command ?? [] };
  if (probe.httpGet !== undefined) {
    const h = probe.httpGet;
    return {
      kind: 'http-get',
      scheme: h.scheme === 'HTTPS' ? 'https' : 'http',
      host: h.host || undefined,
      port: h.port,
      path: h.path ?? '',
      headers: h.httpHeaders ?? [],
    };
  }
  if (probe.tcpSocket !== undefined)
    return {
      kind: 'tcp-socket',
      host: probe.tcpSocket.host || undefined,
      port: probe.tcpSocket.port,
    };
  if (probe.grpc !== undefined)
    return { kind: 'grpc', port: probe.grpc.port, service: probe.grpc.service ?? '' };
  return undefined;
}
