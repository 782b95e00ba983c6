/**
 * Simulated service traffic: each generator of spec.traffic sends requests from a pod on a
 * node (or the node itself) to a Service, at a constant or Poisson rate. Each request is a
 * connection that the node's own packet filter, as kube-proxy programmed it, sends to a
 * backend (sim/netfilter/route.ts), over the simulated network, answered by the backend
 * container's behaviour model (sim/traffic/client.ts). Outcomes are counted per generator and
 * per Service (sim/traffic/recorder.ts).
 */
import type { Service } from '../../core/api/kinds/service-types.ts';
import { pick, type Random } from '../../core/ports/random.ts';
import type { Simulation } from '../simulation.ts';
import { TrafficClient, type Destination } from '../traffic/client.ts';
import type { ClusterDns } from '../traffic/dns.ts';
import type { Machines } from '../traffic/machines.ts';
import type { Completed, TrafficError } from '../traffic/outcome.ts';
import type { TrafficRecorder } from '../traffic/recorder.ts';
import { TrafficStats, type TrafficReport } from '../traffic/stats.ts';
import type { TrafficSpec } from './scenario.ts';

export type { TrafficReport, TrafficError };

/** How long a client waits for an answer unless the generator says otherwise. */
export const DEFAULT_CLIENT_TIMEOUT_US = 5_000_000;

/** What a generator reads of the cluster at each request: the runner's informer caches. */
export interface TrafficView {
  service(namespace: string, name: string): Service | undefined;
  readonly dns: ClusterDns;
}

export class TrafficGenerator {
  private readonly stats: TrafficStats;
  private readonly client: TrafficClient;

  constructor(
    private readonly sim: Simulation,
    private readonly spec: TrafficSpec,
    index: number,
    private readonly random: Random,
    private readonly view: TrafficView,
    private readonly machines: Machines,
    private readonly recorder: TrafficRecorder,
  ) {
    this.stats = new TrafficStats(spec.name ?? `traffic-${index}`, this.target());
    const podCIDR = machines.podCIDR(spec.from.node);
    const hostNetwork = spec.from.hostNetwork ?? false;
    this.client = new TrafficClient(machines, random.fork('client'), {
      node: spec.from.node,
      // A client pod's address: the last host address of the node's pod range.
      ip: hostNetwork ? (machines.internalIPs.get(spec.from.node) ?? '') : lastHost(podCIDR),
      hostNetwork,
      timeoutUs: spec.timeout ?? DEFAULT_CLIENT_TIMEOUT_US,
    });
  }

  /** Schedules the requests on the simulation's loop, from start to stop (or the end). */
  start(endUs: number): void {
    const startUs = this.spec.start ?? 0;
    const stopUs = Math.min(this.spec.stop ?? endUs, endUs);
    const next = (atUs: number): void => {
      if (atUs > stopUs) return;
      this.sim.at(atUs, () => {
        this.request();
        next(atUs + this.gapUs());
      });
    };
    next(startUs + this.gapUs());
  }

  report(): TrafficReport {
    return this.stats.report();
  }

  /** namespace/name of the target Service, or the DNS name as written. */
  private target(): string {
    const { service, name } = this.spec.to;
    if (service === undefined) return name ?? '';
    return service.includes('/') ? service : `default/${service}`;
  }

  private gapUs(): number {
    const meanUs = 1_000_000 / this.spec.rate;
    if (this.spec.arrival !== 'poisson') return Math.max(1, Math.round(meanUs));
    return Math.max(1, Math.round(-Math.log(1 - this.random.float()) * meanUs));
  }

  private request(): void {
    const to = this.destination();
    const service = to.service ?? this.stats.service;
    const done = (c: Completed): void => {
      this.stats.add(c);
      this.recorder.add(service, c);
    };
    if (to.kind === 'error') {
      return done({ outcome: { kind: to.error }, startUs: this.sim.now, latencyUs: 0 });
    }
    this.client.send(to.destination, done);
  }

  private destination(): Target {
    if (this.spec.to.name !== undefined) return this.byName(this.spec.to.name);
    const [namespace, name] = this.stats.service.split('/', 2) as [string, string];
    const svc = this.view.service(namespace, name);
    const service = this.stats.service;
    const port = this.servicePort(svc);
    if (svc === undefined || port === undefined) return { kind: 'error', error: 'no-service' };
    const protocol = protocolOf(port);
    const via = this.spec.to.nodePortOn;
    if (via === undefined) {
      const ip = svc.spec?.clusterIP ?? '';
      return { kind: 'send', service, destination: { ip, port: port.port, protocol } };
    }
    if (port.nodePort === undefined) return { kind: 'error', error: 'no-service' };
    const ip = this.machines.internalIPs.get(via) ?? '';
    return { kind: 'send', service, destination: { ip, port: port.nodePort, protocol, via } };
  }

  private byName(name: string): Target {
    const r = this.view.dns.resolve(name, this.spec.from.namespace ?? 'default');
    if (r.kind === 'nxdomain') return { kind: 'error', error: 'nxdomain' };
    if (r.kind === 'no-endpoints')
      return { kind: 'error', service: r.service, error: 'no-endpoints' };
    const port = this.servicePort(r.svc);
    if (port === undefined) return { kind: 'error', service: r.service, error: 'no-service' };
    // CoreDNS shuffles the records (its loadbalance plugin); the client takes the first.
    const ip = r.addresses.length === 1 ? r.addresses[0]! : pick(this.random, r.addresses);
    const onPod = r.headless ? (this.spec.to.port ?? targetPortOf(port)) : port.port;
    return {
      kind: 'send',
      service: r.service,
      destination: { ip, port: onPod, protocol: protocolOf(port) },
    };
  }

  /** The generator's port of the Service: by number (a headless target: by target port too). */
  private servicePort(svc: Service | undefined): ServicePort | undefined {
    const ports = svc?.spec?.ports ?? [];
    const want = this.spec.to.port;
    if (want === undefined) return ports[0];
    const headless = svc?.spec?.clusterIP === 'None';
    return ports.find((p) => p.port === want || (headless && targetPortOf(p) === want));
  }
}

type Target =
  | { readonly kind: 'send'; readonly service: string; readonly destination: Destination }
  | { readonly kind: 'error'; readonly service?: string; readonly error: TrafficError };

type ServicePort = NonNullable<NonNullable<Service['spec']>['ports']>[number];

function protocolOf(port: ServicePort): Destination['protocol'] {
  return (port.protocol ?? 'TCP').toLowerCase() as Destination['protocol'];
}

/** A numeric target port, or the port itself (a named target port needs the pod's spec). */
function targetPortOf(port: ServicePort): number {
  return typeof port.targetPort === 'number' ? port.targetPort : port.port;
}

function lastHost(cidr: string): string {
  const [base, len] = cidr.split('/');
  const parts = (base ?? '').split('.').map(Number);
  const addr = parts.reduce((a, p) => a * 256 + p, 0);
  const last = addr + 2 ** (32 - Number(len)) - 2;
  return [24, 16, 8, 0].map((s) => Math.floor(last / 2 ** s) % 256).join('.');
}
