/**
 * Cluster DNS as CoreDNS's kubernetes plugin answers it (the DNS specification for
 * Kubernetes: github.com/kubernetes/dns/blob/master/docs/specification.md), from the Services
 * and EndpointSlices it has seen: every change reaches the answers `propagationDelayUs` after
 * the runner's informers saw it, as CoreDNS serves from its own watch cache.
 *
 * - `<svc>.<ns>.svc.<domain>`: the cluster IP of a Service; for a headless Service the
 *   addresses of its ready endpoints (none ready: no-endpoints, where CoreDNS answers with no
 *   records);
 * - `<hostname>.<svc>.<ns>.svc.<domain>`: the endpoint of a headless Service with that
 *   hostname (a StatefulSet's pods);
 * - a relative name is tried against the client pod's search path (`<ns>.svc.<domain>`,
 *   `svc.<domain>`, `<domain>`) first, with ndots 5 as the kubelet writes resolv.conf; a name
 *   ending in `.` is absolute. Anything else is NXDOMAIN; ExternalName Services are not
 *   modelled (NXDOMAIN).
 *
 * The query itself takes no time: CoreDNS runs as a pod of its own, which ksim does not
 * simulate.
 */
import type { EndpointSlice } from '../../core/api/kinds/endpoint-slice.ts';
import type { Service } from '../../core/api/kinds/service-types.ts';

export const CLUSTER_DOMAIN = 'cluster.local';
const NDOTS = 5;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export type Resolution =
  | {
      readonly kind: 'addresses';
      /** namespace/name of the Service the name belongs to. */
      readonly service: string;
      readonly svc: Service;
      /** The Service's cluster IP, or endpoint addresses of a headless Service. */
      readonly addresses: readonly string[];
      readonly headless: boolean;
    }
  | { readonly kind: 'no-endpoints'; readonly service: string }
  | { readonly kind: 'nxdomain' };

export class ClusterDns {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice>();

  constructor(
    /** Runs `fn` after the propagation delay (the host's timer). */
    private readonly later: (fn: () => void) => void,
  ) {}

  /** A Service as the runner's informer saw it; undefined: deleted. */
  service(key: string, svc: Service | undefined): void {
    this.later(() => (svc === undefined ? this.services.delete(key) : this.services.set(key, svc)));
  }

  slice(key: string, slice: EndpointSlice | undefined): void {
    this.later(() => (slice === undefined ? this.slices.delete(key) : this.slices.set(key, slice)));
  }

  /** Resolves `name` as a pod in `namespace` would, through its search path. */
  resolve(name: string, namespace: string): Resolution {
    for (const fqdn of candidates(name, namespace)) {
      const r = this.lookup(fqdn);
      if (r.kind !== 'nxdomain') return r;
    }
    return { kind: 'nxdomain' };
  }

  private lookup(fqdn: string): Resolution {
    const suffix = `.svc.${CLUSTER_DOMAIN}`;
    if (!fqdn.endsWith(suffix)) return { kind: 'nxdomain' };
    const labels = fqdn.slice(0, -suffix.length).split('.');
    if (labels.length === 2) return this.serviceRecord(labels[1]!, labels[0]!, undefined);
    if (labels.length === 3) return this.serviceRecord(labels[2]!, labels[1]!, labels[0]);
    return { kind: 'nxdomain' };
  }

  private serviceRecord(namespace: string, name: string, hostname: string | undefined): Resolution {
    const key = `${namespace}/${name}`;
    const svc = this.services.get(key);
    if (svc === undefined || svc.spec?.type === 'ExternalName') return { kind: 'nxdomain' };
    const headless = svc.spec?.clusterIP === 'None';
    if (!headless) {
      if (hostname !== undefined) return { kind: 'nxdomain' };
      return {
        kind: 'addresses',
        service: key,
        svc,
        addresses: [svc.spec?.clusterIP ?? ''],
        headless,
      };
    }
    const addresses = this.readyAddresses(namespace, name, hostname);
    if (addresses.length > 0) return { kind: 'addresses', service: key, svc, addresses, headless };
    return hostname === undefined ? { kind: 'no-endpoints', service: key } : { kind: 'nxdomain' };
  }

  /** Ready endpoints of the Service's slices (with `hostname`: only that one), sorted. */
  private readyAddresses(namespace: string, name: string, hostname: string | undefined): string[] {
    const out = new Set<string>();
    for (const slice of this.slices.values()) {
      if (slice.metadata.namespace !== namespace) continue;
      if (slice.metadata.labels?.[SERVICE_NAME_LABEL] !== name) continue;
      for (const e of slice.endpoints ?? []) {
        if (e.conditions?.ready === false) continue;
        if (hostname !== undefined && e.hostname !== hostname) continue;
        for (const a of e.addresses) out.add(a);
      }
    }
    return [...out].sort();
  }
}

/** The names a resolver with the pod's resolv.conf asks for, in order. */
export function candidates(name: string, namespace: string): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const search = [`${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN];
  const relative = search.map((s) => `${name}.${s}`);
  const dots = name.split('.').length - 1;
  return dots >= NDOTS ? [name, ...relative] : [...relative, name];
}
