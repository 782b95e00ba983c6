/**
 * Simulated service traffic: each generator of spec.traffic sends requests from a pod on a
 * node (or the node itself) to a Service, and the node's own packet filter, as kube-proxy
 * programmed it, decides where each goes (sim/netfilter/route.ts). A request succeeds when it
 * lands on a Running pod that is not being deleted; otherwise it fails the way a client would
 * see it: refused (the Service has no endpoints: REJECT), timeout (dropped, or sent to an
 * address no live pod has), not-running (a pod that is not Running), node-down (the client's
 * node process is down), no-service (unknown Service or port, or its rules not programmed yet).
 *
 * Each request is one connection, closed at once, so conntrack does not grow with the run.
 */
import type { Service } from '../../core/api/kinds/service-types.ts';
import type { Pod } from '../../core/api/pod-types.ts';
import type { NodeProcess } from '../../core/cluster/assembly.ts';
import type { Random } from '../../core/ports/random.ts';
import type { SimNetfilter } from '../netfilter.ts';
import { routeConnection } from '../netfilter/route.ts';
import type { Simulation } from '../simulation.ts';
import type { TrafficSpec } from './scenario.ts';

export type TrafficError = 'refused' | 'timeout' | 'not-running' | 'node-down' | 'no-service';

export interface TrafficReport {
  readonly name: string;
  /** namespace/name of the Service. */
  readonly service: string;
  readonly requests: number;
  readonly ok: number;
  readonly errors: Readonly<Partial<Record<TrafficError, number>>>;
  /** Successful requests per backend pod (namespace/name). */
  readonly backends: Readonly<Record<string, number>>;
}

/** What a generator reads of the cluster at each request: the runner's informer caches. */
export interface TrafficView {
  service(namespace: string, name: string): Service | undefined;
  pods(): readonly Pod[];
}

export class TrafficGenerator {
  private requests = 0;
  private ok = 0;
  private readonly errors: Partial<Record<TrafficError, number>> = {};
  private readonly backends: Record<string, number> = {};
  private readonly namespace: string;
  private readonly serviceName: string;
  private readonly clientIP: string;

  constructor(
    private readonly sim: Simulation,
    private readonly spec: TrafficSpec,
    private readonly index: number,
    private readonly random: Random,
    private readonly view: TrafficView,
    nodeInternalIP: string,
    podCIDR: string,
  ) {
    const [ns, name] = spec.to.service.includes('/')
      ? spec.to.service.split('/', 2)
      : ['default', spec.to.service];
    this.namespace = ns ?? 'default';
    this.serviceName = name ?? '';
    // A client pod's address: the last host address of the node's pod range.
    this.clientIP = spec.from.hostNetwork ? nodeInternalIP : lastHost(podCIDR);
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
    return {
      name: this.spec.name ?? `traffic-${this.index}`,
      service: `${this.namespace}/${this.serviceName}`,
      requests: this.requests,
      ok: this.ok,
      errors: { ...this.errors },
      backends: { ...this.backends },
    };
  }

  private gapUs(): number {
    const meanUs = 1_000_000 / this.spec.rate;
    if (this.spec.arrival !== 'poisson') return Math.max(1, Math.round(meanUs));
    return Math.max(1, Math.round(-Math.log(1 - this.random.float()) * meanUs));
  }

  private request(): void {
    this.requests++;
    const outcome = this.send();
    if (outcome.kind === 'ok') {
      this.ok++;
      this.backends[outcome.pod] = (this.backends[outcome.pod] ?? 0) + 1;
    } else this.errors[outcome.kind] = (this.errors[outcome.kind] ?? 0) + 1;
  }

  private send(): { kind: 'ok'; pod: string } | { kind: TrafficError } {
    const client = this.sim.process(this.spec.from.node);
    if (!client.alive) return { kind: 'node-down' };
    const svc = this.view.service(this.namespace, this.serviceName);
    const ports = svc?.spec?.ports ?? [];
    const port =
      this.spec.to.port === undefined ? ports[0] : ports.find((p) => p.port === this.spec.to.port);
    if (svc === undefined || port === undefined) return { kind: 'no-service' };
    // To a cluster IP the client's own node translates the connection; to a node port the
    // packet crosses the network and the target node's PREROUTING translates it.
    let router = client;
    let from: 'pod' | 'host' = this.spec.from.hostNetwork ? 'host' : 'pod';
    let dst = svc.spec?.clusterIP ?? '';
    let dport = port.port;
    if (this.spec.to.nodePortOn !== undefined) {
      if (port.nodePort === undefined) return { kind: 'no-service' };
      router = this.sim.process(this.spec.to.nodePortOn);
      if (!router.alive) return { kind: 'timeout' };
      dst = (router.instance as NodeProcess).kubelet.config.internalIP;
      dport = port.nodePort;
      from = 'pod';
    }
    const nf = (router.instance as NodeProcess).netfilter as SimNetfilter;
    const protocol = (port.protocol ?? 'TCP').toLowerCase() as 'tcp' | 'udp' | 'sctp';
    const r = routeConnection(nf, { src: this.clientIP, dst, dport, protocol, from });
    switch (r.kind) {
      case 'dnat': {
        nf.close({ protocol, src: this.clientIP, sport: r.sport, dst, dport });
        const pod = this.view.pods().find((p) => p.status?.podIP === r.ip);
        if (pod === undefined) return { kind: 'timeout' };
        if (pod.status?.phase !== 'Running' || pod.metadata.deletionTimestamp !== undefined)
          return { kind: 'not-running' };
        return { kind: 'ok', pod: `${pod.metadata.namespace}/${pod.metadata.name}` };
      }
      case 'direct':
        nf.close({ protocol, src: this.clientIP, sport: r.sport, dst, dport });
        return { kind: 'no-service' };
      case 'reject':
        return { kind: 'refused' };
      case 'drop':
      case 'table-full':
        return { kind: 'timeout' };
    }
  }
}

function lastHost(cidr: string): string {
  const [base, len] = cidr.split('/');
  const parts = (base ?? '').split('.').map(Number);
  const addr = parts.reduce((a, p) => a * 256 + p, 0);
  const last = addr + 2 ** (32 - Number(len)) - 2;
  return [24, 16, 8, 0].map((s) => Math.floor(last / 2 ** s) % 256).join('.');
}
