/**
 * Service validation (pkg/apis/core/validation/validation.go: ValidateService,
 * validateServicePort, ValidateServiceClusterIPsRelatedFields, ValidateServiceUpdate and its
 * upgrade/downgrade checks, ValidateServiceStatusUpdate / ValidateLoadBalancerStatus), with
 * upstream's paths and messages, including its quirks (`spec.LoadBalancerSourceRanges`, a bare
 * `allocateLoadBalancerNodePorts`). Validation runs on defaulted, allocated objects.
 */
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
} from '../content-checks.ts';
import {
  child,
  fieldDuplicate as duplicate,
  fieldForbidden as forbidden,
  fieldInvalid as invalid,
  fieldNotSupported as notSupported,
  fieldRequired as required,
  goLiteral,
  index,
  key,
  type FieldError,
} from '../field-error.ts';
import { parseIP, validateCIDR, validateIP, validateNonSpecialIP } from '../ip.ts';
import {
  nameIsDNS1035Label,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { Service, ServicePort as Port, ServiceSpec } from './service-types.ts';

export const CLUSTER_IP_NONE = 'None';
/** core.MaxClientIPServiceAffinitySeconds: one day. */
export const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;

const SESSION_AFFINITIES = ['ClientIP', 'None'];
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const LOAD_BALANCER_IP_MODES = ['Proxy', 'VIP'];
const TOPOLOGY_MODE = 'service.kubernetes.io/topology-mode';
const TOPOLOGY_HINTS = 'service.kubernetes.io/topology-aware-hints';
const SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';

const specOf = (svc: Service): ServiceSpec => svc.spec ?? {};

export function isHeadless(svc: Service): boolean {
  const ips = specOf(svc).clusterIPs ?? [];
  return ips.length === 1 && ips[0] === CLUSTER_IP_NONE;
}

/** apiservice.ExternallyAccessible: reachable from outside the cluster network. */
export function externallyAccessible(spec: ServiceSpec): boolean {
  return (
    spec.type === 'LoadBalancer' ||
    spec.type === 'NodePort' ||
    (spec.type === 'ClusterIP' && (spec.externalIPs?.length ?? 0) > 0)
  );
}

/** apiservice.NeedsHealthCheck: a LoadBalancer that keeps traffic on the receiving node. */
export function needsHealthCheck(spec: ServiceSpec): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/** Go's %#v of an internal core.ServicePort keyed by protocol and port (the duplicate check). */
function servicePortKey(protocol: string, port: number): object {
  return goLiteral(
    `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

/** Go's %#v of []core.IPFamily. */
export function ipFamiliesLiteral(families: readonly string[]): object {
  return goLiteral(`[]core.IPFamily{${families.map((f) => JSON.stringify(f)).join(', ')}}`);
}

/** ValidatePortNumOrName: a number is a port, a string an IANA service name. */
export function validatePortNumOrName(port: number | string, path: string): FieldError[] {
  return typeof port === 'number'
    ? isValidPortNum(port).map((m) => invalid(path, port, m))
    : isValidPortName(port).map((m) => invalid(path, port, m));
}

function validateServicePort(
  sp: Port,
  requireName: boolean,
  names: Set<string>,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) errs.push(required(child(path, 'name'), ''));
  else if (sp.name) {
    for (const m of isDNS1123Label(sp.name)) errs.push(invalid(child(path, 'name'), sp.name, m));
    if (names.has(sp.name)) errs.push(duplicate(child(path, 'name'), sp.name));
    else names.add(sp.name);
  }
  for (const m of isValidPortNum(sp.port)) errs.push(invalid(child(path, 'port'), sp.port, m));
  if (!sp.protocol) errs.push(required(child(path, 'protocol'), ''));
  else if (!PROTOCOLS.includes(sp.protocol)) {
    errs.push(notSupported(child(path, 'protocol'), sp.protocol, PROTOCOLS));
  }
  errs.push(...validatePortNumOrName(sp.targetPort ?? 0, child(path, 'targetPort')));
  if (sp.appProtocol !== undefined) {
    for (const m of isQualifiedName(sp.appProtocol)) {
      errs.push(invalid(child(path, 'appProtocol'), sp.appProtocol, m));
    }
  }
  return errs;
}

function validateClientIPAffinityConfig(spec: ServiceSpec, path: string): FieldError[] {
  const detail = 'when session affinity type is ClientIP';
  const config = spec.sessionAffinityConfig;
  if (!config) return [required(path, detail)];
  if (!config.clientIP) return [required(child(path, 'clientIP'), detail)];
  const timeout = config.clientIP.timeoutSeconds;
  const timeoutPath = child(child(path, 'clientIP'), 'timeoutSeconds');
  if (timeout === undefined || timeout === null) return [required(timeoutPath, detail)];
  if (timeout <= 0 || timeout > MAX_CLIENT_IP_AFFINITY_SECONDS) {
    return [
      invalid(
        timeoutPath,
        timeout,
        `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`,
      ),
    ];
  }
  return [];
}

/** ValidateServiceClusterIPsRelatedFields: clusterIP, clusterIPs, ipFamilies, ipFamilyPolicy. */
export function validateClusterIPsRelatedFields(svc: Service): FieldError[] {
  const spec = specOf(svc);
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ipsPath = 'spec.clusterIPs';
  const clusterIPs = spec.clusterIPs ?? [];
  const families = spec.ipFamilies ?? [];
  if (spec.clusterIP) {
    if (clusterIPs.length === 0) errs.push(required(ipsPath, ''));
    else if (clusterIPs[0] !== spec.clusterIP) {
      errs.push(invalid(ipsPath, clusterIPs, 'first value must match `clusterIP`'));
    }
  } else if (clusterIPs.length !== 0) {
    errs.push(invalid(ipsPath, clusterIPs, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  families.forEach((family, i) => {
    const p = index('spec.ipFamilies', i);
    if (!IP_FAMILIES.includes(family)) errs.push(notSupported(p, family, IP_FAMILIES));
    if (seen.has(family)) errs.push(duplicate(p, family));
    seen.add(family);
  });
  const policy = spec.ipFamilyPolicy;
  if (policy !== undefined && policy !== null && !IP_FAMILY_POLICIES.includes(policy)) {
    errs.push(notSupported('spec.ipFamilyPolicy', policy, IP_FAMILY_POLICIES));
  }
  let hasInvalidIPs = false;
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === CLUSTER_IP_NONE) {
      if (clusterIPs.length > 1) {
        hasInvalidIPs = true;
        errs.push(invalid(ipsPath, clusterIPs, "'None' must be the first and only value"));
      }
      return;
    }
    const ipErrs = validateIP(index(ipsPath, i), ip);
    hasInvalidIPs = hasInvalidIPs || ipErrs.length > 0;
    errs.push(...ipErrs);
  });
  if (clusterIPs.length > 2) {
    errs.push(invalid(ipsPath, clusterIPs, 'may only hold up to 2 values'));
  }
  if (hasInvalidIPs) return errs;
  if (clusterIPs.length > 1) {
    const families = new Set(clusterIPs.map((ip) => parseIP(ip)?.family));
    const dualStack = families.has('IPv4') && families.has('IPv6');
    if (!dualStack) {
      errs.push(invalid(ipsPath, clusterIPs, 'may specify no more than one IP for each IP family'));
    }
  }
  if (!isHeadless(svc) && clusterIPs.length > 0 && families.length > 0) {
    clusterIPs.forEach((ip, i) => {
      if (i > families.length - 1) return;
      const v6 = parseIP(ip)?.family === 'IPv6';
      if (families[i] === 'IPv4' && v6) {
        errs.push(
          invalid(
            index(ipsPath, i),
            ip,
            `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      }
      if (families[i] === 'IPv6' && !v6) {
        errs.push(
          invalid(
            index(ipsPath, i),
            ip,
            `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      }
    });
  }
  return errs;
}

function validateLoadBalancerClass(svc: Service, old: Service | undefined): FieldError[] {
  const spec = specOf(svc);
  const cls = spec.loadBalancerClass;
  const path = 'spec.loadBalancerClass';
  const errs: FieldError[] = [];
  if (old !== undefined && specOf(old).type === 'LoadBalancer' && spec.type === 'LoadBalancer') {
    if ((specOf(old).loadBalancerClass ?? null) !== (cls ?? null)) {
      errs.push(invalid(path, cls ?? null, 'may not change once set'));
    }
  }
  if (spec.type === 'LoadBalancer') {
    if (cls !== undefined && cls !== null) {
      for (const m of isQualifiedName(cls)) errs.push(invalid(path, cls, m));
    }
  } else if (cls !== undefined && cls !== null) {
    errs.push(forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
  }
  return errs;
}

function validateExternalTrafficPolicy(spec: ServiceSpec): FieldError[] {
  const errs: FieldError[] = [];
  const etp = spec.externalTrafficPolicy;
  if (!externallyAccessible(spec)) {
    if (etp) {
      errs.push(
        invalid(
          'spec.externalTrafficPolicy',
          etp,
          'may only be set for externally-accessible services',
        ),
      );
    }
  } else if (!etp) {
    errs.push(required('spec.externalTrafficPolicy', ''));
  } else if (!TRAFFIC_POLICIES.includes(etp)) {
    errs.push(notSupported('spec.externalTrafficPolicy', etp, TRAFFIC_POLICIES));
  }
  const hc = spec.healthCheckNodePort ?? 0;
  if (!needsHealthCheck(spec)) {
    if (hc !== 0) {
      errs.push(
        invalid(
          'spec.healthCheckNodePort',
          hc,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (hc === 0) {
    errs.push(required('spec.healthCheckNodePort', ''));
  } else {
    for (const m of isValidPortNum(hc)) errs.push(invalid('spec.healthCheckNodePort', hc, m));
  }
  return errs;
}

function validateInternalTrafficPolicy(spec: ServiceSpec): FieldError[] {
  const itp = spec.internalTrafficPolicy;
  if (itp === undefined || itp === null) {
    // Not required for ExternalName, for historical reasons (upstream's comment).
    return spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP'
      ? [required('spec.internalTrafficPolicy', '')]
      : [];
  }
  return TRAFFIC_POLICIES.includes(itp)
    ? []
    : [notSupported('spec.internalTrafficPolicy', itp, TRAFFIC_POLICIES)];
}

function validatePortSets(spec: ServiceSpec): FieldError[] {
  const errs: FieldError[] = [];
  const ports = spec.ports ?? [];
  if (spec.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if ((p.nodePort ?? 0) !== 0) {
        errs.push(
          forbidden(
            child(index('spec.ports', i), 'nodePort'),
            "may not be used when `type` is 'ClusterIP'",
          ),
        );
      }
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const k = `${p.protocol ?? ''}/${p.nodePort}`;
    if (nodePorts.has(k)) {
      errs.push(duplicate(child(index('spec.ports', i), 'nodePort'), p.nodePort));
    }
    nodePorts.add(k);
  });
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const k = `${p.protocol ?? ''}/${p.port}`;
    if (seen.has(k)) {
      errs.push(duplicate(index('spec.ports', i), servicePortKey(p.protocol ?? '', p.port)));
    }
    seen.add(k);
  });
  return errs;
}

function validateSourceRanges(svc: Service): FieldError[] {
  const spec = specOf(svc);
  const errs: FieldError[] = [];
  const ranges = spec.loadBalancerSourceRanges ?? [];
  const onlyLB = "may only be used when `type` is 'LoadBalancer'";
  if (ranges.length > 0) {
    const path = 'spec.LoadBalancerSourceRanges';
    if (spec.type !== 'LoadBalancer') errs.push(forbidden(path, onlyLB));
    // Space-padded values are tolerated: a historical accident of the annotation (upstream).
    ranges.forEach((r, i) => errs.push(...validateCIDR(index(path, i), r.trim())));
    return errs;
  }
  const annotation = svc.metadata.annotations?.[SOURCE_RANGES_ANNOTATION];
  if (annotation === undefined) return errs;
  const path = key('metadata.annotations', SOURCE_RANGES_ANNOTATION);
  if (spec.type !== 'LoadBalancer') errs.push(forbidden(path, onlyLB));
  const value = annotation.trim();
  if (value !== '') {
    for (const cidr of value.split(',')) errs.push(...validateCIDR(path, cidr.trim()));
  }
  return errs;
}

/** ValidateService, for create and as the last step of update. */
export function validateService(svc: Service): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, true, nameIsDNS1035Label);
  const annotations = svc.metadata.annotations ?? {};
  const mode = annotations[TOPOLOGY_MODE];
  const hints = annotations[TOPOLOGY_HINTS];
  if (mode !== undefined && hints !== undefined && mode !== hints) {
    errs.push(
      invalid(
        key('metadata.annotations', TOPOLOGY_MODE),
        mode,
        `must match annotations[${TOPOLOGY_HINTS}] when both are specified`,
      ),
    );
  }
  const spec = specOf(svc);
  const ports = spec.ports ?? [];
  const headless = isHeadless(svc);
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') {
    errs.push(required('spec.ports', ''));
  }
  switch (spec.type) {
    case 'LoadBalancer':
    case 'NodePort':
      if (headless) {
        errs.push(
          invalid(
            'spec.clusterIPs[0]',
            CLUSTER_IP_NONE,
            `may not be set to 'None' for ${spec.type} services`,
          ),
        );
      }
      break;
    case 'ExternalName': {
      if ((spec.clusterIPs ?? []).length > 0) {
        errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      }
      if ((spec.ipFamilies ?? []).length > 0) {
        errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      }
      if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
        errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      }
      // A CNAME may end with a dot to mark it fully qualified.
      const cname = (spec.externalName ?? '').replace(/\.$/, '');
      if (cname.length > 0) {
        for (const m of isDNS1123Subdomain(cname))
          errs.push(invalid('spec.externalName', cname, m));
      } else {
        errs.push(required('spec.externalName', ''));
      }
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((p, i) => {
    errs.push(...validateServicePort(p, ports.length > 1, names, index('spec.ports', i)));
  });
  if (spec.selector !== undefined && spec.selector !== null) {
    errs.push(...validateLabels(spec.selector, 'spec.selector'));
  }
  const affinity = spec.sessionAffinity;
  if (!affinity) errs.push(required('spec.sessionAffinity', ''));
  else if (!SESSION_AFFINITIES.includes(affinity)) {
    errs.push(notSupported('spec.sessionAffinity', affinity, SESSION_AFFINITIES));
  }
  if (affinity === 'ClientIP') {
    errs.push(...validateClientIPAffinityConfig(spec, 'spec.sessionAffinityConfig'));
  } else if (affinity === 'None' && spec.sessionAffinityConfig) {
    errs.push(
      forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'),
    );
  }
  errs.push(...validateClusterIPsRelatedFields(svc));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    const p = index('spec.externalIPs', i);
    const ipErrs = validateIP(p, ip);
    errs.push(...(ipErrs.length > 0 ? ipErrs : validateNonSpecialIP(ip, p)));
  });
  if (!spec.type) errs.push(required('spec.type', ''));
  else if (!SERVICE_TYPES.includes(spec.type)) {
    errs.push(notSupported('spec.type', spec.type, SERVICE_TYPES));
  }
  errs.push(...validatePortSets(spec));
  errs.push(...validateSourceRanges(svc));
  const allocate = spec.allocateLoadBalancerNodePorts;
  if (allocate !== undefined && allocate !== null && spec.type !== 'LoadBalancer') {
    errs.push(
      forbidden(
        'spec.allocateLoadBalancerNodePorts',
        "may only be used when `type` is 'LoadBalancer'",
      ),
    );
  }
  if (spec.type === 'LoadBalancer' && (allocate === undefined || allocate === null)) {
    errs.push(required('allocateLoadBalancerNodePorts', ''));
  }
  errs.push(...validateLoadBalancerClass(svc, undefined));
  errs.push(...validateExternalTrafficPolicy(spec));
  errs.push(...validateInternalTrafficPolicy(spec));
  const distribution = spec.trafficDistribution;
  if (distribution !== undefined && distribution !== null && distribution !== 'PreferClose') {
    errs.push(notSupported('spec.trafficDistribution', distribution, ['PreferClose']));
  }
  return errs;
}

function validateUpgradeDowngradeClusterIPs(old: Service, svc: Service): FieldError[] {
  const o = specOf(old);
  const n = specOf(svc);
  if (n.type === 'ExternalName' || o.type === 'ExternalName') return [];
  if (isHeadless(old) && isHeadless(svc)) return [];
  const oldIPs = o.clusterIPs ?? [];
  const newIPs = n.clusterIPs ?? [];
  const errs: FieldError[] = [];
  const changed = (i: number) =>
    invalid(index('spec.clusterIPs', i), newIPs, 'may not change once set');
  if (oldIPs.length === newIPs.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== newIPs[i]) errs.push(changed(i));
    });
  } else if (oldIPs.length > newIPs.length) {
    if (newIPs.length === 0) {
      errs.push(invalid('spec.clusterIPs[0]', newIPs, 'primary clusterIP can not be unset'));
    }
    if (oldIPs.length > 0 && newIPs.length > 0 && newIPs[0] !== oldIPs[0]) errs.push(changed(0));
    if (newIPs.length === 1 && n.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        invalid(
          'spec.ipFamilyPolicy',
          n.ipFamilyPolicy ?? null,
          "must be set to 'SingleStack' when releasing the secondary clusterIP",
        ),
      );
    }
  } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
    errs.push(changed(0));
  }
  return errs;
}

function validateUpgradeDowngradeIPFamilies(old: Service, svc: Service): FieldError[] {
  const o = specOf(old);
  const n = specOf(svc);
  if (n.type === 'ExternalName' || o.type === 'ExternalName') return [];
  if (isHeadless(old) !== isHeadless(svc) || isHeadless(svc)) return [];
  const oldFamilies = o.ipFamilies ?? [];
  const newFamilies = n.ipFamilies ?? [];
  const newIPs = n.clusterIPs ?? [];
  const errs: FieldError[] = [];
  const path = 'spec.ipFamilies[0]';
  if (oldFamilies.length === newFamilies.length) {
    oldFamilies.forEach((f, i) => {
      if (f !== newFamilies[i]) {
        errs.push(invalid(path, ipFamiliesLiteral(newFamilies), 'may not change once set'));
      }
    });
  } else if (oldFamilies.length > newFamilies.length) {
    if (newIPs.length === 0) {
      errs.push(invalid(path, ipFamiliesLiteral(newFamilies), 'primary ipFamily can not be unset'));
    }
    if (newFamilies.length > 0 && newFamilies[0] !== oldFamilies[0]) {
      errs.push(invalid(path, newIPs, 'may not change once set'));
    }
    if (newFamilies.length === 1 && n.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        invalid(
          'spec.ipFamilyPolicy',
          n.ipFamilyPolicy ?? null,
          "must be set to 'SingleStack' when releasing the secondary ipFamily",
        ),
      );
    }
  } else if (
    oldFamilies.length > 0 &&
    newFamilies.length > 0 &&
    newFamilies[0] !== oldFamilies[0]
  ) {
    errs.push(invalid(path, newIPs, 'may not change once set'));
  }
  return errs;
}

/** ValidateServiceUpdate. */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  errs.push(...validateUpgradeDowngradeClusterIPs(old, svc));
  errs.push(...validateUpgradeDowngradeIPFamilies(old, svc));
  errs.push(...validateLoadBalancerClass(svc, old));
  if (
    needsHealthCheck(specOf(old)) &&
    needsHealthCheck(specOf(svc)) &&
    specOf(svc).healthCheckNodePort !== specOf(old).healthCheckNodePort
  ) {
    errs.push(forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return [...errs, ...validateService(svc)];
}

/** ValidateServiceStatusUpdate: metadata and the load balancer status. */
export function validateServiceStatusUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  const path = 'status.loadBalancer.ingress';
  // AllowServiceLBStatusOnNonLB is off by default.
  if (specOf(svc).type !== 'LoadBalancer' && ingress.length !== 0) {
    errs.push(forbidden(path, "may only be used when `spec.type` is 'LoadBalancer'"));
    return errs;
  }
  ingress.forEach((ing, i) => {
    const p = index(path, i);
    if (ing.ip) errs.push(...validateIP(child(p, 'ip'), ing.ip));
    if (!ing.ipMode) {
      if (ing.ip) errs.push(required(child(p, 'ipMode'), 'must be specified when `ip` is set'));
    } else if (!ing.ip) {
      errs.push(forbidden(child(p, 'ipMode'), 'may not be specified when `ip` is not set'));
    } else if (!LOAD_BALANCER_IP_MODES.includes(ing.ipMode)) {
      errs.push(notSupported(child(p, 'ipMode'), ing.ipMode, LOAD_BALANCER_IP_MODES));
    }
    if (ing.hostname) {
      for (const m of isDNS1123Subdomain(ing.hostname)) {
        errs.push(invalid(child(p, 'hostname'), ing.hostname, m));
      }
      if (parseIP(ing.hostname) !== undefined) {
        errs.push(
          invalid(child(p, 'hostname'), ing.hostname, 'must be a DNS name, not an IP address'),
        );
      }
    }
  });
  return errs;
}
