/**
 * The ClusterIPs and node ports of Services (pkg/registry/core/service/storage: storage.go's
 * beginCreate / beginUpdate / afterDelete with normalizeClusterIPs and patchAllocatedValues,
 * and alloc.go's Allocators). Upstream allocates in the store first and reverts on failure
 * ("if we had a transactional store, this would just be part of the larger transaction"); ksim
 * has one, so these hooks only compute, and the registry commits the ranges with the Service.
 *
 * The cluster is single-stack: one --service-cluster-ip-range, whose family is the default.
 * Dual-stack upgrades and downgrades therefore end in upstream's "not configured" errors.
 */
import * as errors from '../errors.ts';
import { child, fieldInvalid as invalid, index, type FieldError } from '../field-error.ts';
import { parseCIDR, parseIP, type IPFamily } from '../ip.ts';
import type { Status } from '../status-types.ts';
import type {
  AllocationContext,
  AllocationHooks,
  HeldValue,
  RangeDeclaration,
} from './definition.ts';
import type { Service, ServicePort, ServiceSpec } from './service-types.ts';
import {
  CLUSTER_IP_NONE,
  isHeadless,
  needsHealthCheck,
  validateClusterIPsRelatedFields,
} from './service-validation.ts';

export const SERVICE_IP_RANGE: RangeDeclaration = {
  name: 'serviceips',
  type: 'ip',
  flag: 'service-cluster-ip-range',
  defaultRange: '10.96.0.0/12',
};

export const NODE_PORT_RANGE: RangeDeclaration = {
  name: 'servicenodeports',
  type: 'port',
  flag: 'service-node-port-range',
  defaultRange: '30000-32767',
};

type MutableSpec = { -readonly [K in keyof ServiceSpec]: ServiceSpec[K] };

const specOf = (svc: Service): ServiceSpec => svc.spec ?? {};
const withSpec = (svc: Service, spec: ServiceSpec): Service => ({ ...svc, spec });
const invalidService = (svc: Service, errs: readonly FieldError[]): Status =>
  errors.invalid('Service', svc.metadata.name ?? '', errs);

const needsClusterIP = (spec: ServiceSpec): boolean => spec.type !== 'ExternalName';
const needsNodePort = (spec: ServiceSpec): boolean =>
  spec.type === 'NodePort' || spec.type === 'LoadBalancer';

/** shouldAllocateNodePorts: LoadBalancers may opt out (allocateLoadBalancerNodePorts: false). */
function allocatesNodePorts(spec: ServiceSpec): boolean {
  if (spec.type === 'NodePort') return true;
  return spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false;
}

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === b?.[i]);

function familyOf(ip: string): IPFamily | 'unknown' {
  return parseIP(ip)?.family ?? 'unknown';
}

function clusterFamily(ctx: AllocationContext): IPFamily {
  const cidr = parseCIDR(ctx.ip(SERVICE_IP_RANGE.name).range);
  return cidr?.family ?? 'IPv4';
}

/** normalizeClusterIPs: keeps clusterIP and clusterIPs in step for old and new clients. */
export function normalizeClusterIPs(next: Service, old: Service | undefined): Service {
  const n = specOf(next);
  if (old === undefined) {
    return n.clusterIP && (n.clusterIPs ?? []).length === 0
      ? withSpec(next, { ...n, clusterIPs: [n.clusterIP] })
      : next;
  }
  const o = specOf(old);
  const spec: MutableSpec = { ...n };
  // An old client that knows only clusterIP sent no clusterIPs.
  if ((o.clusterIPs ?? []).length > 0 && (spec.clusterIPs ?? []).length === 0) {
    if (o.clusterIP === spec.clusterIP) spec.clusterIPs = o.clusterIPs;
  }
  if (o.clusterIP !== spec.clusterIP) {
    if (o.clusterIP && !spec.clusterIP) {
      if (sameList(o.clusterIPs, spec.clusterIPs)) delete spec.clusterIPs;
    } else if (sameList(o.clusterIPs, spec.clusterIPs)) {
      spec.clusterIPs = spec.clusterIP ? [spec.clusterIP] : [];
    }
  }
  return withSpec(next, spec);
}

/**
 * patchAllocatedValues: a client that resubmits its original manifest (no clusterIP, no node
 * ports) keeps what was allocated for it.
 */
export function patchAllocatedValues(next: Service, old: Service): Service {
  const o = specOf(old);
  const spec: MutableSpec = { ...specOf(next) };
  if (needsClusterIP(o) && needsClusterIP(spec)) {
    if (!spec.clusterIP && o.clusterIP) spec.clusterIP = o.clusterIP;
    if ((spec.clusterIPs ?? []).length === 0 && (o.clusterIPs ?? []).length > 0) {
      spec.clusterIPs = o.clusterIPs;
    }
  }
  if (needsNodePort(o) && needsNodePort(spec)) {
    const used = (ports: readonly ServicePort[] | undefined) =>
      new Set((ports ?? []).map((p) => p.nodePort ?? 0).filter((np) => np !== 0));
    const oldUsed = used(o.ports);
    const newUsed = used(spec.ports);
    const byName = new Map<string, number>();
    for (const p of o.ports ?? []) byName.set(p.name ?? '', p.nodePort ?? 0);
    spec.ports = (spec.ports ?? []).map((p) => {
      if (p.nodePort) return p;
      const oldValue = byName.get(p.name ?? '') ?? 0;
      const taken = oldUsed.has(oldValue) && newUsed.has(oldValue);
      return taken || oldValue === 0 ? p : { ...p, nodePort: oldValue };
    });
  }
  if (needsHealthCheck(o) && needsHealthCheck(spec) && !spec.healthCheckNodePort) {
    spec.healthCheckNodePort = o.healthCheckNodePort;
  }
  return withSpec(next, spec);
}

/** isMatchingPreferDualStackClusterIPFields: an unchanged PreferDualStack Service is left as is. */
function unchangedPreferDualStack(spec: ServiceSpec, o: ServiceSpec | undefined): boolean {
  if (o === undefined || spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null) {
    return false;
  }
  if (o.type !== spec.type || !needsClusterIP(spec)) return false;
  if (spec.ipFamilyPolicy !== 'PreferDualStack') return false;
  if (o.ipFamilyPolicy && o.ipFamilyPolicy !== 'PreferDualStack') return false;
  return sameList(o.clusterIPs, spec.clusterIPs) && sameList(o.ipFamilies, spec.ipFamilies);
}

/** initIPFamilyFields: defaults ipFamilyPolicy and ipFamilies against this cluster's ranges. */
function initIPFamilyFields(
  ctx: AllocationContext,
  svc: Service,
  old: Service | undefined,
): Service | Status {
  const o = old === undefined ? undefined : specOf(old);
  const spec: MutableSpec = { ...specOf(svc) };
  if (spec.type === 'ExternalName' || unchangedPreferDualStack(spec, o)) return svc;
  if (!spec.ipFamilyPolicy) {
    if (o?.ipFamilyPolicy) spec.ipFamilyPolicy = o.ipFamilyPolicy;
    else if (spec.clusterIP === CLUSTER_IP_NONE && Object.keys(spec.selector ?? {}).length === 0) {
      spec.ipFamilyPolicy = 'RequireDualStack';
    } else spec.ipFamilyPolicy = 'SingleStack';
  }
  const loose = validateClusterIPsRelatedFields(withSpec(svc, spec));
  if (loose.length > 0) return invalidService(svc, loose);
  const configured = clusterFamily(ctx);
  const errs: FieldError[] = [];
  const policy = spec.ipFamilyPolicy;
  if (o !== undefined) {
    if (policy === 'SingleStack') {
      if (sameList(o.clusterIPs, spec.clusterIPs) && (spec.clusterIPs ?? []).length > 1) {
        spec.clusterIPs = spec.clusterIPs?.slice(0, 1);
      }
      if (sameList(o.ipFamilies, spec.ipFamilies) && (spec.ipFamilies ?? []).length > 1) {
        spec.ipFamilies = spec.ipFamilies?.slice(0, 1);
      }
    } else {
      const reduced = (n: readonly string[] | undefined, p: readonly string[] | undefined) =>
        (n ?? []).length > 0 && (n ?? []).length < (p ?? []).length;
      if (reduced(spec.clusterIPs, o.clusterIPs)) {
        errs.push(
          invalid(
            'spec.ipFamilyPolicy',
            policy,
            "must be 'SingleStack' to release the secondary cluster IP",
          ),
        );
      }
      if (reduced(spec.ipFamilies, o.ipFamilies)) {
        errs.push(
          invalid(
            'spec.ipFamilyPolicy',
            policy,
            "must be 'SingleStack' to release the secondary IP family",
          ),
        );
      }
    }
  }
  if (policy === 'SingleStack') {
    if ((spec.clusterIPs ?? []).length === 2) {
      errs.push(
        invalid(
          'spec.ipFamilyPolicy',
          policy,
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
        ),
      );
    }
    if ((spec.ipFamilies ?? []).length === 2) {
      errs.push(
        invalid(
          'spec.ipFamilyPolicy',
          policy,
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
        ),
      );
    }
  }
  const families = [...(spec.ipFamilies ?? [])];
  for (const [i, ip] of (spec.clusterIPs ?? []).entries()) {
    if (ip === CLUSTER_IP_NONE) break;
    const family = familyOf(ip);
    if (i < families.length) continue;
    if (family !== configured) {
      errs.push(
        invalid(
          index('spec.clusterIPs', i),
          spec.clusterIPs,
          `${family} is not configured on this cluster`,
        ),
      );
    } else families.push(family);
  }
  if (errs.length > 0) return invalidService(svc, errs);
  if (spec.clusterIP === CLUSTER_IP_NONE && Object.keys(spec.selector ?? {}).length === 0) {
    // Headless and selectorless: the endpoints may be of either family, whatever the cluster.
    if (families.length === 0) families.push(configured);
    if (families.length < 2 && policy !== 'SingleStack') {
      families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
    }
    return withSpec(svc, { ...spec, ipFamilies: families });
  }
  if (policy === 'RequireDualStack') {
    errs.push(
      invalid(
        'spec.ipFamilyPolicy',
        policy,
        'this cluster is not configured for dual-stack services',
      ),
    );
  }
  families.forEach((family, i) => {
    if (family !== configured) {
      errs.push(invalid(index('spec.ipFamilies', i), family, 'not configured on this cluster'));
    }
  });
  if (errs.length > 0) return invalidService(svc, errs);
  if (families.length === 0) families.push(configured);
  return withSpec(svc, { ...spec, ipFamilies: families });
}

/** allocClusterIPs: a requested IP is reserved, a missing one drawn from the range. */
function allocClusterIPs(ctx: AllocationContext, svc: Service): Service | Status {
  const spec = specOf(svc);
  if (spec.type === 'ExternalName') return svc;
  const clusterIPs = [...(spec.clusterIPs ?? [])];
  if (clusterIPs[0] === CLUSTER_IP_NONE) return svc;
  const range = ctx.ip(SERVICE_IP_RANGE.name);
  for (const i of (spec.ipFamilies ?? []).keys()) {
    const requested = clusterIPs[i] ?? '';
    if (requested === '') {
      const next = range.allocateNext();
      if (next === undefined) {
        return errors.internalError('failed to allocate a serviceIP: range is full');
      }
      clusterIPs[i] = next;
    } else {
      const refused = range.allocate(requested);
      if (refused !== undefined) {
        return invalidService(svc, [
          invalid(
            'spec.clusterIPs',
            spec.clusterIPs ?? [],
            `failed to allocate IP ${requested}: ${refused}`,
          ),
        ]);
      }
    }
  }
  return withSpec(svc, { ...spec, clusterIPs, clusterIP: clusterIPs[0] });
}

/** initNodePorts: ports that share a port number (TCP and UDP 53) share one node port. */
function allocNodePorts(ctx: AllocationContext, svc: Service): Service | Status {
  const spec = specOf(svc);
  const range = ctx.port(NODE_PORT_RANGE.name);
  const byServicePort = new Map<number, number>();
  const ports: ServicePort[] = [];
  for (const [i, p] of (spec.ports ?? []).entries()) {
    if (!p.nodePort && !allocatesNodePorts(spec)) {
      ports.push(p);
      continue;
    }
    const allocated = byServicePort.get(p.port) ?? 0;
    if (allocated === 0) {
      const requested =
        (spec.ports ?? []).find((q) => q.port === p.port && q.nodePort)?.nodePort ?? 0;
      if (requested !== 0) {
        const refused = range.allocate(requested);
        if (refused !== undefined) {
          return invalidService(svc, [
            invalid(child(index('spec.ports', i), 'nodePort'), requested, refused),
          ]);
        }
        ports.push({ ...p, nodePort: requested });
        byServicePort.set(p.port, requested);
      } else {
        const next = range.allocateNext();
        if (next === undefined) {
          return errors.internalError('failed to allocate a nodePort: range is full');
        }
        ports.push({ ...p, nodePort: next });
        byServicePort.set(p.port, next);
      }
    } else if (p.nodePort !== allocated) {
      if (!p.nodePort) ports.push({ ...p, nodePort: allocated });
      else {
        const refused = range.allocate(p.nodePort);
        if (refused !== undefined) {
          return invalidService(svc, [
            invalid(child(index('spec.ports', i), 'nodePort'), p.nodePort, refused),
          ]);
        }
        ports.push(p);
      }
    } else ports.push(p);
  }
  return withSpec(svc, { ...spec, ports });
}

/** allocHealthCheckNodePort: the requested one, or any; failures are internal errors upstream. */
function allocHealthCheckNodePort(ctx: AllocationContext, svc: Service): Service | Status {
  const spec = specOf(svc);
  const range = ctx.port(NODE_PORT_RANGE.name);
  const requested = spec.healthCheckNodePort ?? 0;
  if (requested !== 0) {
    const refused = range.allocate(requested);
    return refused === undefined
      ? svc
      : errors.internalError(
          `failed to allocate requested HealthCheck NodePort ${requested}: ${refused}`,
        );
  }
  const next = range.allocateNext();
  if (next === undefined) {
    return errors.internalError('failed to allocate a HealthCheck NodePort 0: range is full');
  }
  return withSpec(svc, { ...spec, healthCheckNodePort: next });
}

function allocateCreate(ctx: AllocationContext, obj: Service): Service | Status {
  let svc: Service | Status = initIPFamilyFields(
    ctx,
    normalizeClusterIPs(obj, undefined),
    undefined,
  );
  if (errors.isStatus(svc)) return svc;
  svc = allocClusterIPs(ctx, svc);
  if (errors.isStatus(svc)) return svc;
  if (needsNodePort(specOf(svc))) {
    svc = allocNodePorts(ctx, svc);
    if (errors.isStatus(svc)) return svc;
  }
  return needsHealthCheck(specOf(svc)) ? allocHealthCheckNodePort(ctx, svc) : svc;
}

/** The cluster IPs a Service holds: none for ExternalName and headless Services. */
function heldClusterIPs(spec: ServiceSpec): readonly string[] {
  if (spec.type === 'ExternalName') return [];
  const ips = spec.clusterIPs ?? [];
  return ips[0] === CLUSTER_IP_NONE ? [] : ips.filter((ip) => ip !== '');
}

/** collectServiceNodePorts, without the repeats of ports that share one. */
function heldNodePorts(spec: ServiceSpec): number[] {
  const ports = (spec.ports ?? []).map((p) => p.nodePort ?? 0);
  if (needsHealthCheck(spec)) ports.push(spec.healthCheckNodePort ?? 0);
  return [...new Set(ports.filter((p) => p !== 0))];
}

/** updateClusterIPs, single-stack: type changes to and from ExternalName allocate and release. */
function updateClusterIPs(ctx: AllocationContext, svc: Service, old: Service): Service | Status {
  const o = specOf(old);
  const n = specOf(svc);
  if (unchangedPreferDualStack(n, o)) return svc;
  if (o.type === 'ExternalName' && n.type !== 'ExternalName') return allocClusterIPs(ctx, svc);
  if (isHeadless(old)) return svc;
  if (o.type !== 'ExternalName' && n.type === 'ExternalName') {
    const range = ctx.ip(SERVICE_IP_RANGE.name);
    for (const ip of heldClusterIPs(o)) range.release(ip);
  }
  return svc;
}

/**
 * txnUpdateNodePorts: new node ports are reserved, ones the Service no longer uses released
 * afterwards (upstream's ReleaseDeferred), so a port given up is not handed out again in the
 * same update.
 */
function updateNodePorts(ctx: AllocationContext, svc: Service, old: Service): Service | Status {
  const o = specOf(old);
  const spec = specOf(svc);
  const range = ctx.port(NODE_PORT_RANGE.name);
  const toRelease: number[] = [];
  if (needsNodePort(o) && !needsNodePort(spec))
    toRelease.push(...heldNodePorts({ ...o, healthCheckNodePort: 0 }));
  let next = svc;
  if (needsNodePort(spec)) {
    const oldPorts = heldNodePorts({ ...o, healthCheckNodePort: 0 });
    const allocatedNow = new Set<number>();
    const seen = new Set<string>();
    const ports: ServicePort[] = [];
    for (const [i, p] of (spec.ports ?? []).entries()) {
      if (!p.nodePort && !allocatesNodePorts(spec)) {
        ports.push(p);
        continue;
      }
      let nodePort = p.nodePort ?? 0;
      if (nodePort !== 0) {
        if (!oldPorts.includes(nodePort) && !allocatedNow.has(nodePort)) {
          const refused = range.allocate(nodePort);
          if (refused !== undefined) {
            return invalidService(svc, [
              invalid(child(index('spec.ports', i), 'nodePort'), nodePort, refused),
            ]);
          }
          allocatedNow.add(nodePort);
        }
      } else {
        const drawn = range.allocateNext();
        if (drawn === undefined) {
          return errors.internalError('failed to allocate a nodePort: range is full');
        }
        nodePort = drawn;
      }
      const pairKey = `${p.protocol ?? ''} ${nodePort}`;
      if (seen.has(pairKey)) {
        return errors.internalError(`duplicate nodePort: {${p.protocol ?? ''} ${nodePort}}`);
      }
      seen.add(pairKey);
      ports.push({ ...p, nodePort });
    }
    next = withSpec(svc, { ...spec, ports });
    const kept = new Set(ports.map((p) => p.nodePort ?? 0));
    toRelease.push(...oldPorts.filter((p) => !kept.has(p)));
  }
  const updated = updateHealthCheckNodePort(ctx, next, old, toRelease);
  if (errors.isStatus(updated)) return updated;
  for (const p of toRelease) range.release(p);
  return updated;
}

function updateHealthCheckNodePort(
  ctx: AllocationContext,
  svc: Service,
  old: Service,
  toRelease: number[],
): Service | Status {
  const needed = needsHealthCheck(specOf(old));
  const needs = needsHealthCheck(specOf(svc));
  if (!needed && needs) return allocHealthCheckNodePort(ctx, svc);
  if (needed && !needs) toRelease.push(specOf(old).healthCheckNodePort ?? 0);
  return svc;
}

function allocateUpdate(ctx: AllocationContext, next: Service, old: Service): Service | Status {
  const patched = normalizeClusterIPs(patchAllocatedValues(next, old), old);
  let svc: Service | Status = initIPFamilyFields(ctx, patched, old);
  if (errors.isStatus(svc)) return svc;
  svc = updateClusterIPs(ctx, svc, old);
  if (errors.isStatus(svc)) return svc;
  return updateNodePorts(ctx, svc, old);
}

/** releaseAllocatedResources: everything a deleted Service held. */
function release(ctx: AllocationContext, svc: Service): void {
  const spec = specOf(svc);
  const ips = ctx.ip(SERVICE_IP_RANGE.name);
  for (const ip of heldClusterIPs(spec)) ips.release(ip);
  const ports = ctx.port(NODE_PORT_RANGE.name);
  for (const p of heldNodePorts(spec)) ports.release(p);
}

function held(svc: Service): readonly HeldValue[] {
  const spec = specOf(svc);
  return [
    ...heldClusterIPs(spec).map((value) => ({ range: SERVICE_IP_RANGE.name, value })),
    ...heldNodePorts(spec).map((value) => ({ range: NODE_PORT_RANGE.name, value })),
  ];
}

export const SERVICE_ALLOCATION: AllocationHooks<Service> = {
  ranges: [SERVICE_IP_RANGE, NODE_PORT_RANGE],
  create: allocateCreate,
  update: allocateUpdate,
  release,
  held,
};
