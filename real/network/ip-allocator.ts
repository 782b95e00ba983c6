/**
 * Pod IPs from one podCIDR: the lowest free address, so a freed IP is reused last-in-first-out
 * only when lower ones are taken — the order host-local's range allocator would hand out after
 * a restart that forgot its cursor. Expected exhaustion is a returned failure.
 */
import { formatIpv4, parseIpv4, podAddressRange, type Ipv4Cidr } from './ipv4-cidr.ts';

export class IpAllocator {
  private readonly used = new Set<number>();

  constructor(readonly cidr: Ipv4Cidr) {}

  allocate(): string | undefined {
    const { first, last } = podAddressRange(this.cidr);
    for (let ip = first; ip <= last; ip++) {
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return formatIpv4(ip);
      }
    }
    return undefined;
  }

  /** Marks an address taken (a sandbox found at start-up). */
  reserve(ip: string): void {
    const value = parseIpv4(ip);
    if (value !== undefined) this.used.add(value);
  }

  release(ip: string): void {
    const value = parseIpv4(ip);
    if (value !== undefined) this.used.delete(value);
  }

  get inUse(): number {
    return this.used.size;
  }
}
