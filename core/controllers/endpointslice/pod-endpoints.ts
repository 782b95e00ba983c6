/**
 * What a Service's EndpointSlices say about one pod (staging/src/k8s.io/endpointslice/utils.go:
 * podToEndpoint, getEndpointPorts; pkg/api/v1/pod FindPort; endpointutil.ShouldPodBeInEndpoints
 * and ShouldSetHostname).
 */
import type { EndpointSlice } from '../../api/kinds/endpoint-slice.ts';
import type { Service, ServicePort } from '../../api/kinds/service-types.ts';
import { isPodReady, isPodTerminal } from '../../api/pod-helpers.ts';
import type { Pod } from '../../api/pod-types.ts';

export type Endpoint = EndpointSlice['endpoints'][number];
export type EndpointPort = NonNullable<EndpointSlice['ports']>[number];
export type AddressType = 'IPv4' | 'IPv6';

/**
 * ShouldPodBeInEndpoints with terminating pods included: a pod needs an IP and must not have
 * finished (a terminal pod never serves again).
 */
export function podBelongsInSlices(pod: Pod): boolean {
  if (isPodTerminal(pod)) return false;
  return (pod.status?.podIP ?? '') !== '' || (pod.status?.podIPs?.length ?? 0) > 0;
}

/** The pod's addresses of one family. */
export function podAddresses(pod: Pod, addressType: AddressType): string[] {
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? [];
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  const wantV6 = addressType === 'IPv6';
  const match = ips.find((ip) => ip.includes(':') === wantV6);
  return match === undefined ? [] : [match];
}

/**
 * podToEndpoint: serving follows readiness; a terminating pod is never ready unless the Service
 * publishes not-ready addresses, which makes every endpoint ready and serving.
 */
export function podToEndpoint(
  pod: Pod,
  service: Service,
  addressType: AddressType,
  zone: string | undefined,
): Endpoint {
  const publish = service.spec?.publishNotReadyAddresses === true;
  const serving = publish || isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const ready = publish || (serving && !terminating);
  const hostname = pod.spec.hostname;
  const setHostname =
    hostname !== undefined &&
    hostname !== '' &&
    // ksim's PodSpec type does not declare subdomain yet; manifests may carry it.
    (pod.spec as { readonly subdomain?: string }).subdomain === service.metadata.name &&
    pod.metadata.namespace === service.metadata.namespace;
  return {
    addresses: podAddresses(pod, addressType),
    conditions: { ready, serving, terminating },
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
    },
    ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    ...(zone === undefined ? {} : { zone }),
    ...(setHostname ? { hostname } : {}),
  };
}

/**
 * getEndpointPorts: each Service port resolved against the pod (a named targetPort must name a
 * container port of the same protocol, else the port is left out for this pod).
 */
export function endpointPorts(service: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of service.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const protocol = sp.protocol ?? 'TCP';
    out.push({
      name: sp.name ?? '',
      port,
      protocol,
      ...(sp.appProtocol === undefined ? {} : { appProtocol: sp.appProtocol }),
    });
  }
  return out;
}

/** FindPort: a numeric targetPort as is, a named one from the containers, else the port. */
function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort;
  if (target === undefined || target === '' || target === 0) return sp.port;
  if (typeof target === 'number') return target;
  const protocol = sp.protocol ?? 'TCP';
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** The key that groups pods exposing the same ports into the same slices (portMapKey). */
export function portsKey(ports: readonly EndpointPort[]): string {
  return JSON.stringify(
    [...ports]
      .map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? ''])
      .sort(),
  );
}
