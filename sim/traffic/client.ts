/**
 * One client of service traffic: a pod on a node (or the node itself) that opens a connection
 * per request and waits for the answer up to its timeout. A request crosses the simulated
 * network machine by machine (Network.carry: latency, loss, partitions, clogging, a machine
 * that is down): to the node whose rules translate it (the client's own for a cluster IP, the
 * target node for a node port), then to the backend's node, where the container that listens
 * on the port answers after its response time (runtime-behaviour.ts); the answer travels the
 * same machines back. Each request is one connection, closed once routed, so conntrack does
 * not grow with the run.
 */
import { sampleLatency } from '../network.ts';
import { routeConnection } from '../netfilter/route.ts';
import { chance, type Random } from '../../core/ports/random.ts';
import type { Machines } from './machines.ts';
import type { Completed, Outcome } from './outcome.ts';

/** Where a request goes: an address and port, and the node whose rules translate it. */
export interface Destination {
  readonly ip: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  /** A node port's node; absent, the client's own node routes the connection. */
  readonly via?: string;
}

export interface ClientOptions {
  readonly node: string;
  /** The client's address: its pod's, or the node's for a host-network client. */
  readonly ip: string;
  readonly hostNetwork: boolean;
  readonly timeoutUs: number;
}

export class TrafficClient {
  constructor(
    private readonly machines: Machines,
    private readonly random: Random,
    private readonly options: ClientOptions,
  ) {}

  /** Sends one request now; `done` runs once, with the outcome the client sees. */
  send(to: Destination, done: (c: Completed) => void): void {
    const sim = this.machines.sim;
    const startUs = sim.now;
    const clientNode = this.options.node;
    const proc = sim.process(clientNode);
    const incarnation = proc.incarnation;
    let finished = false;
    const finish = (outcome: Outcome): void => {
      if (finished) return;
      finished = true;
      const same = proc.alive && proc.incarnation === incarnation;
      done({
        outcome: same ? outcome : { kind: 'node-down' },
        startUs,
        latencyUs: sim.now - startUs,
      });
    };
    if (!proc.alive) return finish({ kind: 'node-down' });
    sim.at(startUs + this.options.timeoutUs, () => finish({ kind: 'timeout' }));
    const path = to.via === undefined ? [clientNode] : [clientNode, to.via];
    this.along(path, 0, () => this.route(to, path, finish));
  }

  /** At the node that translates the connection: where do its rules send it? */
  private route(to: Destination, path: readonly string[], finish: (o: Outcome) => void): void {
    const router = path[path.length - 1]!;
    const machine = this.machines.up(router);
    if (machine === undefined) return;
    const from = router === this.options.node && this.options.hostNetwork ? 'host' : 'pod';
    const src = this.options.ip;
    const r = routeConnection(machine.netfilter, {
      src,
      dst: to.ip,
      dport: to.port,
      protocol: to.protocol,
      from,
    });
    const answer = (o: Outcome): void => this.back(path, () => finish(o));
    switch (r.kind) {
      case 'dnat':
      case 'direct': {
        const close = { protocol: to.protocol, src, sport: r.sport, dst: to.ip, dport: to.port };
        machine.netfilter.close(close);
        const ip = r.kind === 'dnat' ? r.ip : to.ip;
        const port = r.kind === 'dnat' ? r.port : to.port;
        return this.toBackend(ip, port, path, finish);
      }
      case 'reject':
        return answer({ kind: 'no-endpoints' });
      case 'drop':
      case 'table-full':
        return;
    }
  }

  private toBackend(
    ip: string,
    port: number,
    path: readonly string[],
    finish: (o: Outcome) => void,
  ): void {
    // An address no node's pod range holds (a cluster IP no rule translated) goes nowhere.
    const node = this.machines.nodeOf(ip);
    if (node === undefined) return;
    const full = [...path, node];
    this.along(full, path.length - 1, () => {
      const machine = this.machines.up(node);
      if (machine === undefined) return;
      const answer = (o: Outcome): void => this.back(full, () => finish(o));
      const serving = machine.runtime.accept(ip, port);
      if (serving === 'unreachable') return;
      if (serving === 'refused') return answer({ kind: 'refused' });
      const responseUs = sampleLatency(serving.behaviour.response, this.random);
      const failed = chance(this.random, serving.behaviour.errorRate);
      // On the backend's machine: lost with it if it crashes meanwhile (the client times out).
      this.machines.sim.loop.schedule(
        responseUs,
        () => {
          if (!machine.runtime.isRunning(serving.containerId)) return answer({ kind: 'reset' });
          answer(
            failed
              ? { kind: 'server-error' }
              : { kind: 'ok', pod: serving.pod, podUid: serving.podUid },
          );
        },
        machine.process,
      );
    });
  }

  /** Carries a packet along `path` from index `i` to its end, then runs `arrive`. */
  private along(path: readonly string[], i: number, arrive: () => void): void {
    const from = path[i]!;
    const to = path[i + 1];
    if (to === undefined) return arrive();
    if (to === from) return this.along(path, i + 1, arrive);
    this.machines.sim.network.carry(from, to, this.random, () => this.along(path, i + 1, arrive));
  }

  /** The answer's way back: the path reversed. */
  private back(path: readonly string[], arrive: () => void): void {
    this.along([...path].reverse(), 0, arrive);
  }
}
