/**
 * Pod IP allocation from the node's pod CIDR, the way CNI's host-local IPAM plugin does it:
 * sequentially from the last allocated address, wrapping around, skipping the network address,
 * the gateway (the first host, the bridge) and the broadcast address. The simulated runtime
 * owns it, as a real runtime's CNI plugin owns its allocations.
 */
import { formatIPv4, parseIPv4, type Cidr } from '../core/kubelet/pod-ip.ts';

export class PodIpAllocator {
  private readonly used = new Set<number>();
  private readonly first: number;
  private readonly last: number;
  private cursor: number;

  constructor(readonly cidr: Cidr) {
    const size = 2 ** (32 - cidr.prefixLength);
    this.first = cidr.base + 2;
    this.last = cidr.base + size - 2;
    this.cursor = this.last;
  }

  get capacity(): number {
    return this.last - this.first + 1;
  }

  /** The bridge's address: the pods' default route. */
  get gateway(): string {
    return formatIPv4(this.cidr.base + 1);
  }

  /** The next free address after the last one handed out, or undefined when all are in use. */
  allocate(): string | undefined {
    for (let i = 0; i < this.capacity; i++) {
      this.cursor = this.cursor >= this.last ? this.first : this.cursor + 1;
      if (!this.used.has(this.cursor)) {
        this.used.add(this.cursor);
        return formatIPv4(this.cursor);
      }
    }
    return undefined;
  }

  release(ip: string): void {
    const addr = parseIPv4(ip);
    if (addr !== undefined) this.used.delete(addr);
  }

  /** host-local's message when the range is exhausted. */
  exhaustedMessage(): string {
    return `failed to allocate for range 0: no IP addresses available in range set: ${formatIPv4(this.first)}-${formatIPv4(this.last)}`;
  }
}
