/**
 * The node's rules built incrementally: each Service's part (rules.ts serviceRules, one per
 * port) is kept until the Service or its EndpointSlices change, and the sync assembles the kept
 * parts around the chains every sync writes. Upstream's syncProxyRules builds every Service's
 * rules at each sync and then writes only the changed ones; a simulated node pays for what it
 * builds, so here a sync builds only what changed. The result is the same lines in the same
 * order as buildRules over everything (test/core/proxy/rules-cache.property.test.ts).
 *
 * A part also depends on largeClusterMode (the node's endpoint count across all Services), so
 * every part is built again when that flips.
 */
import type { EndpointInfo } from './endpoints.ts';
import {
  assembleRules,
  LARGE_CLUSTER_ENDPOINTS_THRESHOLD,
  serviceRules,
  type ProxierConfig,
  type ProxyRules,
  type ServiceRules,
} from './rules.ts';
import { servicePortKey, type ServicePortInfo } from './service-port.ts';

interface Kept {
  readonly largeClusterMode: boolean;
  readonly ports: readonly ServiceRules[];
}

export class RulesCache {
  private readonly kept = new Map<string, Kept>();

  constructor(private readonly config: ProxierConfig) {}

  /** The Service ("ns/name"), its ports or its endpoints changed: build its part again. */
  invalidate(service: string): void {
    this.kept.delete(service);
  }

  /** Build every part again at the next build. */
  clear(): void {
    this.kept.clear();
  }

  /**
   * The rules for these Services' ports, each Service's sorted by name, `services` in the
   * order to write them (by name), with every Service port's endpoints in `endpoints`.
   */
  build(
    services: readonly string[],
    portsOf: (service: string) => readonly ServicePortInfo[],
    endpoints: ReadonlyMap<string, readonly EndpointInfo[]>,
  ): ProxyRules {
    const endpointsOf = (p: ServicePortInfo) =>
      endpoints.get(servicePortKey(p.name, p.protocol)) ?? [];
    let endpointCount = 0;
    for (const s of services) for (const p of portsOf(s)) endpointCount += endpointsOf(p).length;
    const largeClusterMode = endpointCount > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;
    const parts = services.flatMap((service) => {
      const kept = this.kept.get(service);
      if (kept !== undefined && kept.largeClusterMode === largeClusterMode) return kept.ports;
      const ports = portsOf(service).map((p) =>
        serviceRules(this.config, p, endpointsOf(p), largeClusterMode),
      );
      this.kept.set(service, { largeClusterMode, ports });
      return ports;
    });
    return assembleRules(this.config, parts, endpointCount);
  }
}
