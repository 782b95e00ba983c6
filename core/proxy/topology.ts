/**
 * Which endpoints a Service port's traffic may reach from this node (pkg/proxy/topology.go
 * CategorizeEndpoints): ready endpoints for "Cluster" policy, falling back to serving
 * terminating ones when none is ready (so connections drain instead of failing during a
 * rollout); for "Local" policy this node's ready endpoints, else its serving terminating ones.
 * Topology-aware hints are not modelled: the EndpointSlice controller writes none.
 */
import type { EndpointInfo } from './endpoints.ts';
import { usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from './service-port.ts';

export interface CategorizedEndpoints {
  readonly clusterEndpoints: readonly EndpointInfo[];
  readonly localEndpoints: readonly EndpointInfo[];
  /** Every endpoint some traffic from this node may reach: each gets a KUBE-SEP chain. */
  readonly allReachableEndpoints: readonly EndpointInfo[];
  /** Some endpoint on some node is usable (else the Service rejects). */
  readonly hasAnyEndpoints: boolean;
}

const servingTerminating = (ep: EndpointInfo) => ep.serving && ep.terminating;

export function categorizeEndpoints(
  endpoints: readonly EndpointInfo[],
  svc: ServicePortInfo,
): CategorizedEndpoints {
  let clusterEndpoints: readonly EndpointInfo[] = [];
  let hasAnyEndpoints = false;
  if (usesClusterEndpoints(svc)) {
    clusterEndpoints = endpoints.filter((ep) => ep.ready);
    if (clusterEndpoints.length === 0) clusterEndpoints = endpoints.filter(servingTerminating);
    hasAnyEndpoints = clusterEndpoints.length > 0;
  }
  if (!usesLocalEndpoints(svc)) {
    return {
      clusterEndpoints,
      localEndpoints: [],
      allReachableEndpoints: clusterEndpoints,
      hasAnyEndpoints,
    };
  }
  let hasLocalReady = false;
  let hasLocalServingTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAnyEndpoints = true;
      if (ep.isLocal) hasLocalReady = true;
    } else if (servingTerminating(ep)) {
      hasAnyEndpoints = true;
      if (ep.isLocal) hasLocalServingTerminating = true;
    }
  }
  const localEndpoints = hasLocalReady
    ? endpoints.filter((ep) => ep.isLocal && ep.ready)
    : hasLocalServingTerminating
      ? endpoints.filter((ep) => ep.isLocal && servingTerminating(ep))
      : [];
  if (!usesClusterEndpoints(svc)) {
    return {
      clusterEndpoints,
      localEndpoints,
      allReachableEndpoints: localEndpoints,
      hasAnyEndpoints,
    };
  }
  if (localEndpoints.length === 0) {
    return {
      clusterEndpoints,
      localEndpoints,
      allReachableEndpoints: clusterEndpoints,
      hasAnyEndpoints,
    };
  }
  // Upstream unions through a map (random order); the order of KUBE-SEP chains does not matter.
  const seen = new Set(clusterEndpoints.map((ep) => ep.endpoint));
  const allReachableEndpoints = [
    ...clusterEndpoints,
    ...localEndpoints.filter((ep) => !seen.has(ep.endpoint)),
  ];
  return { clusterEndpoints, localEndpoints, allReachableEndpoints, hasAnyEndpoints };
}
