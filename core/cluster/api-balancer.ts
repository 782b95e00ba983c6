/**
 * A client-side load balancer over several API servers: what a kube-apiserver behind a load
 * balancer (an LB in front of every control-plane host, or kubeadm's
 * --control-plane-endpoint) is to its clients. A client keeps addressing the cluster's one API
 * address; requests and watches to it on the API protocol go to one of the API servers, and
 * move to the next one when it fails:
 *
 * - a request refused (nothing listens: the server is down) is sent to the next server at
 *   once, since nothing was delivered;
 * - a request that timed out moves later requests to the next server, and the timeout is the
 *   caller's answer: the request may have taken effect, and the caller decides whether to
 *   repeat it, as behind a real load balancer;
 * - a watch that breaks, other than by the server's own close (a watch timeout), is reopened
 *   by its client through the next server.
 *
 * Each client starts at a server chosen from its process name, so clients spread over the
 * servers the same way in every run.
 */
import { API_PROTOCOL } from '../api/http-codec.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type {
  Address,
  CallResult,
  ClientStream,
  Listener,
  Protocol,
  ProtocolTypes,
  StreamHandlers,
  Transport,
} from '../ports/transport.ts';
import { assert } from '../util/assert.ts';

/** The reason the simulated and real transports give a stream the server itself closed. */
const CLOSED_BY_SERVER = 'closed by server';

export class ApiServerBalancer implements Transport {
  private current: number;

  constructor(
    private readonly inner: Transport,
    /** The address clients use for the API. */
    private readonly service: Address,
    private readonly backends: readonly Address[],
  ) {
    assert(backends.length > 0, 'an API load balancer needs at least one API server');
    this.current = spreadIndex(inner.self, backends.length);
  }

  get self(): Address {
    return this.inner.self;
  }

  /** The API server new requests go to now. */
  get backend(): Address {
    return this.backends[this.current] as Address;
  }

  listen<T extends ProtocolTypes>(protocol: Protocol<T>, listener: Listener<T>): void {
    this.inner.listen(protocol, listener);
  }

  send<T extends ProtocolTypes>(protocol: Protocol<T>, to: Address, msg: T['datagram']): void {
    this.inner.send(protocol, to, msg);
  }

  async request<T extends ProtocolTypes>(
    protocol: Protocol<T>,
    to: Address,
    req: T['request'],
    timeoutUs: number,
  ): Promise<CallResult<T['reply']>> {
    if (!this.balances(protocol, to)) return this.inner.request(protocol, to, req, timeoutUs);
    for (let tried = 1; ; tried++) {
      const at = this.current;
      const r = await this.inner.request(protocol, this.backends[at] as Address, req, timeoutUs);
      if (r.kind === 'reply') return r;
      this.failed(at);
      if (r.kind === 'timeout' || tried >= this.backends.length) return r;
    }
  }

  openStream<T extends ProtocolTypes>(
    protocol: Protocol<T>,
    to: Address,
    req: T['open'],
    handlers: StreamHandlers<T['stream']>,
  ): ClientStream {
    if (!this.balances(protocol, to)) return this.inner.openStream(protocol, to, req, handlers);
    const at = this.current;
    return this.inner.openStream(protocol, this.backends[at] as Address, req, {
      onMessage: (m) => handlers.onMessage(m),
      onClose: (reason) => {
        if (reason !== CLOSED_BY_SERVER) this.failed(at);
        handlers.onClose(reason);
      },
    });
  }

  private balances(protocol: Protocol<never> | Protocol, to: Address): boolean {
    return to === this.service && protocol.name === API_PROTOCOL.name;
  }

  /** Moves on from a server that failed, unless another failure moved on already. */
  private failed(at: number): void {
    if (this.current === at) this.current = (at + 1) % this.backends.length;
  }
}

/** A process's ports whose API traffic to `service` goes through a balancer over `backends`. */
export function balancedPorts(
  ports: ProcessPorts,
  service: Address,
  backends: readonly Address[],
): ProcessPorts {
  return {
    name: ports.name,
    incarnation: ports.incarnation,
    clock: ports.clock,
    random: ports.random,
    transport: new ApiServerBalancer(ports.transport, service, backends),
    disk: ports.disk,
    trace: ports.trace,
    cpu: ports.cpu,
    checkImmutability: ports.checkImmutability,
    spawn: (task) => ports.spawn(task),
  };
}

/** A stable index in [0, n) from a name (FNV-1a). */
function spreadIndex(name: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h % n;
}
