/**
 * The desired rules of one node as data: syncProxyRules of upstream's iptables proxier
 * (pkg/proxy/iptables/proxier.go), line for line, for the IPv4 family. Pure: the same
 * Services, endpoints and configuration give the same lines, in the same order (Service ports
 * sorted by name, endpoints by "ip:port"), so a restarted kube-proxy renders identical rules.
 *
 * Lines are iptables-restore lines; nat lines carry the Service they belong to when they sit in
 * one of its own chains (KUBE-SVC/SVL/EXT/FW/SEP), which a partial sync may leave out when the
 * Service did not change (restore --noflush keeps chains the input does not name).
 */
import { categorizeEndpoints } from './topology.ts';
import type { EndpointInfo } from './endpoints.ts';
import { cidrContains, formatIpv4Cidr, parseIpv4 } from './ipv4.ts';
import {
  externallyAccessible as externallyAccessibleOf,
  servicePortKey,
  usesClusterEndpoints as usesClusterEndpointsOf,
  usesLocalEndpoints as usesLocalEndpointsOf,
  type ServicePortInfo,
} from './service-port.ts';

export interface ProxierConfig {
  /** The node's IP (a load balancer source range containing it lets the node in). */
  readonly nodeIP: string;
  /** --cluster-cidr for detect-local-mode ClusterCIDR; undefined: no local detection. */
  readonly clusterCIDR: string | undefined;
  /** --masquerade-all: SNAT every packet to a cluster IP. */
  readonly masqueradeAll: boolean;
  /**
   * The SNAT mark (--iptables-masquerade-bit 14). Upstream formats it "%#08x" (0x004000);
   * iptables-save prints 0x4000, as upstream's tests write it.
   */
  readonly masqueradeMark: string;
  /** --iptables-localhost-nodeports (default true): node ports answer on 127.0.0.0/8 too. */
  readonly localhostNodePorts: boolean;
  /** iptables supports MASQUERADE --random-fully (every iptables since 1.6.2). */
  readonly randomFully: boolean;
  /** net.netfilter.nf_conntrack_tcp_be_liberal is set: no DROP of INVALID packets. */
  readonly conntrackTCPLiberal: boolean;
}

export const DEFAULT_MASQUERADE_MARK = '0x4000';

export interface NatLine {
  readonly text: string;
  /** The Service ("ns/name") whose own chain the line writes, for partial syncs. */
  readonly service?: string;
}

export interface ProxyRules {
  readonly filterChains: readonly string[];
  readonly filterRules: readonly string[];
  readonly natChains: readonly NatLine[];
  readonly natRules: readonly NatLine[];
  /** The nat rules written after stale chains are deleted (the KUBE-NODEPORTS tail call). */
  readonly natTail: readonly string[];
  /** Every per-Service nat chain of this ruleset (the rest are stale once it is applied). */
  readonly activeNatChains: ReadonlySet<string>;
  readonly endpointCount: number;
}

/** Above this many endpoints upstream drops per-endpoint comments (largeClusterMode). */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBELET_FIREWALL = 'KUBE-FIREWALL';

const SERVICE_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-SEP-', 'KUBE-FW-', 'KUBE-EXT-'];

/** isServiceChainName: chains the proxier owns per Service, which it deletes when stale. */
export function isServiceChainName(chain: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => chain.startsWith(p));
}

const chainLine = (chain: string) => `:${chain} - [0:0]`;
const q = (text: string) => `"${text}"`;

/** computeProbability: 1/n with ten decimals, as Go's "%0.10f". */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

export function buildRules(
  config: ProxierConfig,
  services: readonly ServicePortInfo[],
  endpoints: ReadonlyMap<string, readonly EndpointInfo[]>,
): ProxyRules {
  let endpointCount = 0;
  for (const svc of services) endpointCount += endpointCountOf(svc, endpoints);
  const largeClusterMode = endpointCount > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;
  const segments = services.map((svc) =>
    serviceRules(
      config,
      svc,
      endpoints.get(servicePortKey(svc.name, svc.protocol)) ?? [],
      largeClusterMode,
    ),
  );
  return assembleRules(config, segments, endpointCount);
}

/** The endpoints of one Service port, which together decide largeClusterMode. */
export function endpointCountOf(
  svc: ServicePortInfo,
  endpoints: ReadonlyMap<string, readonly EndpointInfo[]>,
): number {
  return endpoints.get(servicePortKey(svc.name, svc.protocol))?.length ?? 0;
}

/**
 * What one Service port adds to the node's rules. It depends only on the port, its endpoints,
 * the configuration and largeClusterMode, so a proxier may keep it until one of those changes.
 */
export interface ServiceRules {
  readonly filterRules: readonly string[];
  readonly natChains: readonly NatLine[];
  readonly natRules: readonly NatLine[];
  readonly activeNatChains: readonly string[];
}

/** One Service port's part of syncProxyRules' loop over the service map. */
export function serviceRules(
  config: ProxierConfig,
  svc: ServicePortInfo,
  all: readonly EndpointInfo[],
  largeClusterMode: boolean,
): ServiceRules {
  const filterRules: string[] = [];
  const natChains: NatLine[] = [];
  const natRules: NatLine[] = [];
  const activeNatChains: string[] = [];
  const nodeIP = parseIpv4(config.nodeIP);
  const local = config.clusterCIDR;
  const comment = (text: string) => (largeClusterMode ? '' : ` -m comment --comment ${text}`);
  const protocol = svc.protocol;
  const name = svc.name;
  const own = (text: string): NatLine => ({ text, service: svc.service });
  const { clusterEndpoints, localEndpoints, allReachableEndpoints, hasAnyEndpoints } =
    categorizeEndpoints(all, svc);
  const hasEndpoints = hasAnyEndpoints;
  const clusterPolicyChain = svc.clusterPolicyChain;
  const usesClusterPolicyChain = clusterEndpoints.length > 0 && usesClusterEndpointsOf(svc);
  const localPolicyChain = svc.localPolicyChain;
  const usesLocalPolicyChain = localEndpoints.length > 0 && usesLocalEndpointsOf(svc);

  let internalPolicyChain = clusterPolicyChain;
  let hasInternalEndpoints = hasEndpoints;
  if (svc.internalPolicyLocal) {
    internalPolicyChain = localPolicyChain;
    if (localEndpoints.length === 0) hasInternalEndpoints = false;
  }
  const internalTrafficChain = internalPolicyChain;

  let externalPolicyChain = clusterPolicyChain;
  let hasExternalEndpoints = hasEndpoints;
  if (svc.externalPolicyLocal) {
    externalPolicyChain = localPolicyChain;
    if (localEndpoints.length === 0) hasExternalEndpoints = false;
  }
  const externalTrafficChain = svc.externalChain;
  const usesExternalTrafficChain = hasEndpoints && externallyAccessibleOf(svc);

  let loadBalancerTrafficChain = externalTrafficChain;
  const fwChain = svc.firewallChain;
  const usesFWChain =
    hasEndpoints && svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  if (usesFWChain) loadBalancerTrafficChain = fwChain;

  let internalFilterTarget = '';
  let internalFilterComment = '';
  let externalFilterTarget = '';
  let externalFilterComment = '';
  if (!hasEndpoints) {
    internalFilterTarget = 'REJECT';
    internalFilterComment = q(`${name} has no endpoints`);
    externalFilterTarget = 'REJECT';
    externalFilterComment = internalFilterComment;
  } else {
    if (!hasInternalEndpoints) {
      internalFilterTarget = 'DROP';
      internalFilterComment = q(`${name} has no local endpoints`);
    }
    if (!hasExternalEndpoints) {
      externalFilterTarget = 'DROP';
      externalFilterComment = q(`${name} has no local endpoints`);
    }
  }

  const proto = `-m ${protocol} -p ${protocol}`;
  const clusterIPMatch = `${proto} -d ${svc.clusterIP} --dport ${svc.port}`;

  // Capture the cluster IP.
  if (hasInternalEndpoints) {
    natRules.push({
      text: `-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} cluster IP`)} ${clusterIPMatch} -j ${internalTrafficChain}`,
    });
  } else {
    filterRules.push(
      `-A ${KUBE_SERVICES} -m comment --comment ${internalFilterComment} ${clusterIPMatch} -j ${internalFilterTarget}`,
    );
  }

  // Capture external IPs.
  for (const ip of svc.externalIPs) {
    const match = `${proto} -d ${ip} --dport ${svc.port}`;
    if (hasEndpoints) {
      natRules.push({
        text: `-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} external IP`)} ${match} -j ${externalTrafficChain}`,
      });
    }
    if (!hasExternalEndpoints) {
      filterRules.push(
        `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} ${match} -j ${externalFilterTarget}`,
      );
    }
  }

  // Capture load-balancer ingress.
  for (const lbip of svc.loadBalancerVIPs) {
    const match = `${proto} -d ${lbip} --dport ${svc.port}`;
    if (hasEndpoints) {
      natRules.push({
        text: `-A ${KUBE_SERVICES} -m comment --comment ${q(`${name} loadbalancer IP`)} ${match} -j ${loadBalancerTrafficChain}`,
      });
    }
    if (usesFWChain) {
      filterRules.push(
        `-A ${KUBE_PROXY_FIREWALL} -m comment --comment ${q(`${name} traffic not accepted by ${fwChain}`)} ${match} -j DROP`,
      );
    }
  }
  if (!hasExternalEndpoints) {
    for (const lbip of svc.loadBalancerVIPs) {
      filterRules.push(
        `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} ${proto} -d ${lbip} --dport ${svc.port} -j ${externalFilterTarget}`,
      );
    }
  }

  // Capture node ports. (Upstream adds a 127.0.0.0/8 rule with an nfacct counter when the
  // kernel has nfacct; the simulated node has none, as upstream's tests assume.)
  if (svc.nodePort !== 0) {
    if (hasEndpoints) {
      natRules.push({
        text: `-A ${KUBE_NODEPORTS} -m comment --comment ${name} ${proto} --dport ${svc.nodePort} -j ${externalTrafficChain}`,
      });
    }
    if (!hasExternalEndpoints) {
      filterRules.push(
        `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} -m addrtype --dst-type LOCAL ${proto} --dport ${svc.nodePort} -j ${externalFilterTarget}`,
      );
    }
  }

  if (svc.healthCheckNodePort !== 0) {
    filterRules.push(
      `-A ${KUBE_NODEPORTS} -m comment --comment ${q(`${name} health check node port`)} -m tcp -p tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`,
    );
  }

  // Internal traffic handling.
  if (hasInternalEndpoints) {
    const args = `-m comment --comment ${q(`${name} cluster IP`)} ${clusterIPMatch}`;
    if (config.masqueradeAll) {
      natRules.push(own(`-A ${internalTrafficChain} ${args} -j ${KUBE_MARK_MASQ}`));
    } else if (local !== undefined) {
      natRules.push(own(`-A ${internalTrafficChain} ${args} ! -s ${local} -j ${KUBE_MARK_MASQ}`));
    }
  }

  // External traffic handling.
  if (usesExternalTrafficChain) {
    natChains.push(own(chainLine(externalTrafficChain)));
    activeNatChains.push(externalTrafficChain);
    const ext = `-A ${externalTrafficChain}`;
    if (!svc.externalPolicyLocal) {
      natRules.push(
        own(
          `${ext} -m comment --comment ${q(`masquerade traffic for ${name} external destinations`)} -j ${KUBE_MARK_MASQ}`,
        ),
      );
    } else {
      if (local !== undefined) {
        natRules.push(
          own(
            `${ext} -m comment --comment ${q(`pod traffic for ${name} external destinations`)} -s ${local} -j ${clusterPolicyChain}`,
          ),
        );
      }
      natRules.push(
        own(
          `${ext} -m comment --comment ${q(`masquerade LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${KUBE_MARK_MASQ}`,
        ),
      );
      natRules.push(
        own(
          `${ext} -m comment --comment ${q(`route LOCAL traffic for ${name} external destinations`)} -m addrtype --src-type LOCAL -j ${clusterPolicyChain}`,
        ),
      );
    }
    if (hasExternalEndpoints) natRules.push(own(`${ext} -j ${externalPolicyChain}`));
  }

  // The load balancer source-range firewall.
  if (usesFWChain) {
    natChains.push(own(chainLine(fwChain)));
    activeNatChains.push(fwChain);
    const args = `-A ${fwChain} -m comment --comment ${q(`${name} loadbalancer IP`)}`;
    let allowFromNode = false;
    for (const cidr of svc.loadBalancerSourceRanges) {
      natRules.push(own(`${args} -s ${formatIpv4Cidr(cidr)} -j ${externalTrafficChain}`));
      if (nodeIP !== undefined && cidrContains(cidr, nodeIP)) allowFromNode = true;
    }
    if (allowFromNode) {
      for (const lbip of svc.loadBalancerVIPs)
        natRules.push(own(`${args} -s ${lbip} -j ${externalTrafficChain}`));
    }
    natRules.push(
      own(
        `-A ${fwChain} -m comment --comment ${q(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`)}`,
      ),
    );
  }

  if (usesClusterPolicyChain) {
    natChains.push(own(chainLine(clusterPolicyChain)));
    activeNatChains.push(clusterPolicyChain);
    for (const text of serviceToEndpointRules(svc, clusterPolicyChain, clusterEndpoints, comment))
      natRules.push(own(text));
  }
  if (usesLocalPolicyChain) {
    natChains.push(own(chainLine(localPolicyChain)));
    activeNatChains.push(localPolicyChain);
    for (const text of serviceToEndpointRules(svc, localPolicyChain, localEndpoints, comment))
      natRules.push(own(text));
  }

  // The per-endpoint chains.
  for (const ep of allReachableEndpoints) {
    const chain = ep.chainName;
    natChains.push(own(chainLine(chain)));
    activeNatChains.push(chain);
    const args = `-A ${chain}${comment(name)}`;
    natRules.push(own(`${args} -s ${ep.ip} -j ${KUBE_MARK_MASQ}`));
    const affinity =
      svc.stickyMaxAgeSeconds === undefined ? '' : ` -m recent --name ${chain} --set`;
    natRules.push(own(`${args}${affinity} ${proto} -j DNAT --to-destination ${ep.endpoint}`));
  }
  return { filterRules, natChains, natRules, activeNatChains };
}

/**
 * The node's rules: the chains and rules of every sync around the Service ports' parts, in the
 * order given (Services by name, each one's ports by name).
 */
export function assembleRules(
  config: ProxierConfig,
  segments: readonly ServiceRules[],
  endpointCount: number,
): ProxyRules {
  const filterChains: string[] = [];
  const filterRules: string[] = [];
  const natChains: NatLine[] = [];
  const natRules: NatLine[] = [];
  const activeNatChains = new Set<string>();
  const mark = config.masqueradeMark;

  for (const c of [
    KUBE_SERVICES,
    KUBE_EXTERNAL_SERVICES,
    KUBE_FORWARD,
    KUBE_NODEPORTS,
    KUBE_PROXY_FIREWALL,
  ])
    filterChains.push(chainLine(c));
  for (const c of [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ])
    natChains.push({ text: chainLine(c) });
  natRules.push({ text: `-A ${KUBE_POSTROUTING} -m mark ! --mark ${mark}/${mark} -j RETURN` });
  natRules.push({ text: `-A ${KUBE_POSTROUTING} -j MARK --xor-mark ${mark}` });
  natRules.push({
    text:
      `-A ${KUBE_POSTROUTING} -m comment --comment ${q('kubernetes service traffic requiring SNAT')} -j MASQUERADE` +
      (config.randomFully ? ' --random-fully' : ''),
  });
  natRules.push({ text: `-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${mark}` });
  if (config.localhostNodePorts) {
    filterChains.push(chainLine(KUBELET_FIREWALL));
    filterRules.push(
      `-A ${KUBELET_FIREWALL} -m comment --comment ${q('block incoming localnet connections')} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    );
  }

  for (const segment of segments) {
    for (const r of segment.filterRules) filterRules.push(r);
    for (const c of segment.natChains) natChains.push(c);
    for (const r of segment.natRules) natRules.push(r);
    for (const c of segment.activeNatChains) activeNatChains.add(c);
  }

  // The tail call to KUBE-NODEPORTS: last in KUBE-SERVICES (nodePortAddresses matches all).
  const destinations =
    '-m addrtype --dst-type LOCAL' + (config.localhostNodePorts ? '' : ' ! -d 127.0.0.0/8');
  const natTail = [
    `-A ${KUBE_SERVICES} -m comment --comment ${q('kubernetes service nodeports; NOTE: this must be the last rule in this chain')} ${destinations} -j ${KUBE_NODEPORTS}`,
  ];

  if (!config.conntrackTCPLiberal)
    filterRules.push(`-A ${KUBE_FORWARD} -m conntrack --ctstate INVALID -j DROP`);
  filterRules.push(
    `-A ${KUBE_FORWARD} -m comment --comment ${q('kubernetes forwarding rules')} -m mark --mark ${mark}/${mark} -j ACCEPT`,
  );
  filterRules.push(
    `-A ${KUBE_FORWARD} -m comment --comment ${q('kubernetes forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );

  return {
    filterChains,
    filterRules,
    natChains,
    natRules,
    natTail,
    activeNatChains,
    endpointCount,
  };
}

/** writeServiceToEndpointRules: affinity checks first, then the probabilistic spread. */
function serviceToEndpointRules(
  svc: ServicePortInfo,
  chain: string,
  endpoints: readonly EndpointInfo[],
  comment: (text: string) => string,
): string[] {
  const out: string[] = [];
  const sepOf = (ep: EndpointInfo) => ep.chainName;
  if (svc.stickyMaxAgeSeconds !== undefined) {
    for (const ep of endpoints) {
      const sep = sepOf(ep);
      out.push(
        `-A ${chain}${comment(q(`${svc.name} -> ${ep.endpoint}`))} -m recent --name ${sep} --rcheck --seconds ${svc.stickyMaxAgeSeconds} --reap -j ${sep}`,
      );
    }
  }
  const n = endpoints.length;
  endpoints.forEach((ep, i) => {
    const spread =
      i < n - 1 ? ` -m statistic --mode random --probability ${probability(n - i)}` : '';
    out.push(`-A ${chain}${comment(q(`${svc.name} -> ${ep.endpoint}`))}${spread} -j ${sepOf(ep)}`);
  });
  return out;
}

export interface RenderOptions {
  /**
   * Services whose own chains to write; undefined writes all (a full sync). A partial sync
   * leaves the others out, and --noflush keeps what the last sync wrote for them.
   */
  readonly services?: ReadonlySet<string>;
  /** Per-Service chains on the node that this ruleset no longer uses: flushed and deleted. */
  readonly staleChains?: readonly string[];
}

/** The iptables-restore input, as upstream assembles iptablesData. */
export function renderRules(rules: ProxyRules, options: RenderOptions = {}): string {
  const keep = (l: NatLine) =>
    l.service === undefined || options.services === undefined || options.services.has(l.service);
  const lines: string[] = [
    '*filter',
    ...rules.filterChains,
    ...rules.filterRules,
    'COMMIT',
    '*nat',
  ];
  for (const l of rules.natChains) if (keep(l)) lines.push(l.text);
  const stale = options.staleChains ?? [];
  for (const c of stale) lines.push(chainLine(c));
  for (const l of rules.natRules) if (keep(l)) lines.push(l.text);
  for (const c of stale) lines.push(`-X ${c}`);
  lines.push(...rules.natTail, 'COMMIT');
  return lines.join('\n') + '\n';
}
