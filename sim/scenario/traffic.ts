/**
 * Simulated service traffic: each generator of spec.traffic sends requests from a pod on a
 * node (or the node itself) to a Service, at a constant or Poisson rate. Each request is a
 * connection that the node's own packet filter, as kube-proxy programmed it, sends to a
 * backend (sim/netfilter/route.ts), over the simulated network, answered by the backend
 * container's behaviour model (sim/traffic/client.ts). Outcomes are counted per generator and
 * per Service (sim/traffic/recorder.ts).
 */
import type { Service } from '../../core/api/kinds/service-types.ts';
import type { Random } from '../../core/ports/random.ts';
import type { Simulation } from '../simulation.ts';
import { TrafficClient, type Destination } from '../traffic/client.ts';
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
}

export class TrafficGenerator {
  private readonly stats: TrafficStats;
  private readonly namespace: string;
  private readonly serviceName: string;
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
    const [ns, name] = spec.to.service.includes('/')
      ? spec.to.service.split('/', 2)
      : ['default', spec.to.service];
    this.namespace = ns ?? 'default';
    this.serviceName = name ?? '';
    this.stats = new TrafficStats(
      spec.name ?? `traffic-${index}`,
      `${this.namespace}/${this.serviceName}`,
    );
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

  private gapUs(): number {
    const meanUs = 1_000_000 / this.spec.rate;
    if (this.spec.arrival !== 'poisson') return Math.max(1, Math.round(meanUs));
    return Math.max(1, Math.round(-Math.log(1 - this.random.float()) * meanUs));
  }

  private request(): void {
    const done = (c: Completed): void => {
      this.stats.add(c);
      this.recorder.add(this.stats.service, c);
    };
    const to = this.destination();
    if (typeof to === 'string')
      return done({ outcome: { kind: to }, startUs: this.sim.now, latencyUs: 0 });
    this.client.send(to, done);
  }

  private destination(): Destination | TrafficError {
    const svc = this.view.service(this.namespace, this.serviceName);
    const ports = svc?.spec?.ports ?? [];
    const port =
      this.spec.to.port === undefined ? ports[0] : ports.find((p) => p.port === this.spec.to.port);
    if (svc === undefined || port === undefined) return 'no-service';
    const protocol = (port.protocol ?? 'TCP').toLowerCase() as Destination['protocol'];
    const via = this.spec.to.nodePortOn;
    if (via === undefined) return { ip: svc.spec?.clusterIP ?? '', port: port.port, protocol };
    if (port.nodePort === undefined) return 'no-service';
    return { ip: this.machines.internalIPs.get(via) ?? '', port: port.nodePort, protocol, via };
  }
}

function lastHost(cidr: string): string {
  const [base, len] = cidr.split('/');
  const parts = (base ?? '').split('.').map(Number);
  const addr = parts.reduce((a, p) => a * 256 + p, 0);
  const last = addr + 2 ** (32 - Number(len)) - 2;
  return [24, 16, 8, 0].map((s) => Math.floor(last / 2 ** s) % 256).join('.');
}
