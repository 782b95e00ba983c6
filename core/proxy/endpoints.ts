/**
 * The endpoints of each Service port as the proxier sees them, built from EndpointSlices as
 * upstream's endpointslicecache.go does: the first address of each endpoint, one entry per
 * slice port with a port number, ready = conditions.ready unless false, serving likewise,
 * terminating only when true; duplicates across slices merged by "ip:port" (a local one wins);
 * each port's list sorted by "ip:port" so that equal state gives equal rules.
 */
import type { EndpointSlice } from '../api/kinds/endpoint-slice.ts';
import { endpointChainName } from './hash.ts';
import { parseIpv4 } from './ipv4.ts';
import { servicePortKey, servicePortName, type Protocol } from './service-port.ts';

export interface EndpointInfo {
  readonly ip: string;
  readonly port: number;
  /** "ip:port", the endpoint's identity in chain names and comments. */
  readonly endpoint: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  /** On this node (the slice's nodeName is the proxier's node). */
  readonly isLocal: boolean;
  /** Its KUBE-SEP chain, hashed once per slice change as upstream's endpointInfo caches it. */
  readonly chainName: string;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The Service ("ns/name") a slice belongs to, undefined for a slice of no Service. */
export function sliceService(slice: EndpointSlice): string | undefined {
  const name = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  if (name === undefined || name === '') return undefined;
  return `${slice.metadata.namespace ?? ''}/${name}`;
}

/**
 * Endpoints per service port key (servicePortKey) of one Service's slices. `chainName` names
 * each endpoint's KUBE-SEP chain (a proxier may remember the names it hashed).
 */
export function endpointsOfSlices(
  slices: readonly EndpointSlice[],
  nodeName: string,
  chainName: typeof endpointChainName = endpointChainName,
): Map<string, EndpointInfo[]> {
  const byPort = new Map<string, Map<string, EndpointInfo>>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const namespace = slice.metadata.namespace ?? '';
    const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (service === undefined || service === '') continue;
    for (const port of slice.ports ?? []) {
      if (port.port === undefined || port.port === 0) continue;
      const protocol = (port.protocol ?? 'TCP').toLowerCase() as Protocol;
      const name = servicePortName(namespace, service, port.name ?? '');
      const key = servicePortKey(name, protocol);
      let set = byPort.get(key);
      if (set === undefined) byPort.set(key, (set = new Map()));
      for (const ep of slice.endpoints) {
        const ip = ep.addresses[0];
        if (ip === undefined || parseIpv4(ip) === undefined) continue;
        const isLocal = ep.nodeName !== undefined && ep.nodeName === nodeName;
        const endpoint = `${ip}:${port.port}`;
        const info: EndpointInfo = {
          ip,
          port: port.port,
          endpoint,
          chainName: chainName(name, protocol, endpoint),
          ready: ep.conditions?.ready !== false,
          serving: ep.conditions?.serving !== false,
          terminating: ep.conditions?.terminating === true,
          isLocal,
        };
        if (!set.has(info.endpoint) || isLocal) set.set(info.endpoint, info);
      }
    }
  }
  const out = new Map<string, EndpointInfo[]>();
  for (const [key, set] of byPort) {
    out.set(
      key,
      [...set.values()].sort((a, b) =>
        a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0,
      ),
    );
  }
  return out;
}
