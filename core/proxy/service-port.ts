/**
 * What the proxier keeps of one Service port (pkg/proxy/serviceport.go newBaseServiceInfo and
 * iptables/proxier.go newServiceInfo): addresses of the cluster's family (IPv4 here), traffic
 * policies, session affinity and the chain names, computed once per Service change.
 */
import type { Service, ServicePort } from '../api/kinds/service-types.ts';
import { portProtoHash } from './hash.ts';
import { parseIpv4, parseIpv4Cidr, type Ipv4Cidr } from './ipv4.ts';

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface ServicePortInfo {
  /** "ns/name", the Service the port belongs to (partial syncs work per Service). */
  readonly service: string;
  /** ServicePortName.String(): "ns/name:port", or "ns/name" for an unnamed port. */
  readonly name: string;
  readonly protocol: Protocol;
  readonly clusterIP: string;
  readonly port: number;
  /** 0 when the port has none. */
  readonly nodePort: number;
  readonly externalIPs: readonly string[];
  readonly loadBalancerVIPs: readonly string[];
  readonly loadBalancerSourceRanges: readonly Ipv4Cidr[];
  /** ClientIP affinity's timeout, undefined without affinity. */
  readonly stickyMaxAgeSeconds: number | undefined;
  readonly externalPolicyLocal: boolean;
  readonly internalPolicyLocal: boolean;
  /** 0 unless a LoadBalancer with externalTrafficPolicy Local. */
  readonly healthCheckNodePort: number;
  readonly clusterPolicyChain: string;
  readonly localPolicyChain: string;
  readonly firewallChain: string;
  readonly externalChain: string;
}

/** Upstream's default sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_STICKY_MAX_AGE_SECONDS = 10_800;

/** The key that ties a Service port to its endpoints: name and protocol. */
export function servicePortKey(name: string, protocol: Protocol): string {
  return `${name}/${protocol}`;
}

export function servicePortName(namespace: string, service: string, port: string): string {
  return `${namespace}/${service}${port === '' ? '' : `:${port}`}`;
}

/**
 * The proxied ports of a Service; none for a headless or ExternalName Service or one whose
 * cluster IP is not IPv4 (ShouldSkipService).
 */
export function servicePorts(service: Service): ServicePortInfo[] {
  const spec = service.spec ?? {};
  const clusterIP = spec.clusterIP ?? '';
  if (spec.type === 'ExternalName' || parseIpv4(clusterIP) === undefined) return [];
  const namespace = service.metadata.namespace ?? '';
  const name = service.metadata.name ?? '';
  const externallyReachable =
    spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.externalIPs ?? []).length > 0;
  const externalPolicyLocal = externallyReachable && spec.externalTrafficPolicy === 'Local';
  const common = {
    service: `${namespace}/${name}`,
    clusterIP,
    externalIPs: (spec.externalIPs ?? []).filter((ip) => parseIpv4(ip) !== undefined),
    loadBalancerVIPs: (service.status?.loadBalancer?.ingress ?? [])
      // An ingress in Proxy mode is reached through the load balancer, not short-circuited.
      .filter((i) => i.ip !== undefined && i.ipMode !== 'Proxy' && parseIpv4(i.ip) !== undefined)
      .map((i) => i.ip as string),
    loadBalancerSourceRanges: (spec.loadBalancerSourceRanges ?? []).flatMap((r) => {
      const cidr = parseIpv4Cidr(r.trim());
      return cidr === undefined ? [] : [cidr];
    }),
    stickyMaxAgeSeconds:
      spec.sessionAffinity === 'ClientIP'
        ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_STICKY_MAX_AGE_SECONDS)
        : undefined,
    externalPolicyLocal,
    internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
    healthCheckNodePort:
      spec.type === 'LoadBalancer' && externalPolicyLocal ? (spec.healthCheckNodePort ?? 0) : 0,
  };
  return (spec.ports ?? []).map((p) => portInfo(namespace, name, p, common));
}

function portInfo(
  namespace: string,
  service: string,
  port: ServicePort,
  common: Omit<
    ServicePortInfo,
    | 'name'
    | 'protocol'
    | 'port'
    | 'nodePort'
    | 'clusterPolicyChain'
    | 'localPolicyChain'
    | 'firewallChain'
    | 'externalChain'
  >,
): ServicePortInfo {
  const name = servicePortName(namespace, service, port.name ?? '');
  const protocol = (port.protocol ?? 'TCP').toLowerCase() as Protocol;
  const hash = portProtoHash(name, protocol);
  return {
    ...common,
    name,
    protocol,
    port: port.port,
    nodePort: port.nodePort ?? 0,
    clusterPolicyChain: `KUBE-SVC-${hash}`,
    localPolicyChain: `KUBE-SVL-${hash}`,
    firewallChain: `KUBE-FW-${hash}`,
    externalChain: `KUBE-EXT-${hash}`,
  };
}

/** ExternallyAccessible: reachable by a node port, a load balancer or an external IP. */
export function externallyAccessible(svc: ServicePortInfo): boolean {
  return svc.nodePort !== 0 || svc.loadBalancerVIPs.length > 0 || svc.externalIPs.length > 0;
}

/** UsesClusterEndpoints: some traffic to the port goes to endpoints on any node. */
export function usesClusterEndpoints(svc: ServicePortInfo): boolean {
  return !svc.internalPolicyLocal || (externallyAccessible(svc) && !svc.externalPolicyLocal);
}

/** UsesLocalEndpoints: some traffic to the port goes only to this node's endpoints. */
export function usesLocalEndpoints(svc: ServicePortInfo): boolean {
  return svc.internalPolicyLocal || (externallyAccessible(svc) && svc.externalPolicyLocal);
}
