/**
 * The network part of a pod's sandbox config, as pure functions of the pod and the kubelet's
 * configuration: DNS (pkg/kubelet/network/dns/dns.go GetPodDNS), hostname
 * (GeneratePodHostNameAndDomain) and hostPort mappings (kuberuntime_sandbox.go
 * generatePodSandboxConfig).
 */
import type { Pod, PodDNSConfigOption } from '../api/pod-types.ts';
import type { DnsConfig, PortMapping } from '../ports/runtime.ts';
import type { KubeletConfig } from './config.ts';

/** resolv.conf limits glibc honours (MaxDNSNameservers, MaxDNSSearchPaths). */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
/** Upstream's defaultDNSOptions for cluster DNS. */
const CLUSTER_DNS_OPTIONS = ['ndots:5'];
const MAX_HOSTNAME_LENGTH = 63;

/**
 * The node's resolver as the runtime finds it: an empty DnsConfig makes the runtime copy the
 * host's resolv.conf (containerd does), which is what upstream's podDNSHost amounts to.
 */
const HOST_DNS: DnsConfig = { servers: [], searches: [], options: [] };

type DnsType = 'none' | 'cluster' | 'host';

function dnsType(pod: Pod): DnsType {
  switch (pod.spec.dnsPolicy ?? 'ClusterFirst') {
    case 'None':
      return 'none';
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    case 'ClusterFirst':
      // A host-network pod falls back to the node's resolver unless it asks otherwise.
      return pod.spec.hostNetwork === true ? 'host' : 'cluster';
    case 'Default':
      return 'host';
  }
}

export function podDnsConfig(pod: Pod, config: KubeletConfig): DnsConfig {
  let base: DnsConfig;
  const type = dnsType(pod);
  if (type === 'none') base = { servers: [], searches: [], options: [] };
  else if (type === 'cluster' && config.clusterDNS.length > 0) {
    const ns = pod.metadata.namespace ?? 'default';
    const domain = config.clusterDomain;
    base = {
      servers: [...config.clusterDNS],
      searches: domain === '' ? [] : [`${ns}.svc.${domain}`, `svc.${domain}`, domain],
      options: CLUSTER_DNS_OPTIONS,
    };
  } else base = HOST_DNS;
  const extra = pod.spec.dnsConfig;
  const merged: DnsConfig =
    extra === undefined
      ? base
      : {
          servers: unique([...base.servers, ...(extra.nameservers ?? [])]),
          searches: unique([...base.searches, ...(extra.searches ?? [])]),
          options: mergeOptions(base.options, extra.options ?? []),
        };
  return {
    servers: merged.servers.slice(0, MAX_NAMESERVERS),
    searches: merged.searches.slice(0, MAX_SEARCHES),
    options: merged.options,
  };
}

/**
 * The pod's spec.hostname or its own name; empty for a host-network pod, which keeps the
 * node's (upstream leaves the sandbox config's hostname unset then).
 */
export function podHostname(pod: Pod): string {
  if (pod.spec.hostNetwork === true) return '';
  const name = pod.spec.hostname ?? pod.metadata.name ?? '';
  if (name.length <= MAX_HOSTNAME_LENGTH) return name;
  return name.slice(0, MAX_HOSTNAME_LENGTH).replace(/[-.]+$/, '');
}

/**
 * Every port of the pod's containers that has a hostPort, in container order. Upstream passes
 * the ports without one too, which the CNI portmap plugin then ignores.
 */
export function podPortMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (p.hostPort === undefined || p.hostPort === 0) continue;
      out.push({
        protocol: p.protocol ?? 'TCP',
        containerPort: p.containerPort,
        hostPort: p.hostPort,
        hostIP: p.hostIP ?? '',
      });
    }
  }
  return out;
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

/** Options are "name" or "name:value"; the pod's override the base's of the same name. */
function mergeOptions(
  base: readonly string[],
  extra: readonly PodDNSConfigOption[],
): readonly string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0] ?? o, o);
  for (const o of extra) {
    if (o.name === undefined) continue;
    byName.set(o.name, o.value === undefined ? o.name : `${o.name}:${o.value}`);
  }
  return [...byName.values()];
}
