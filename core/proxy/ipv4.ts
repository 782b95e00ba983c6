/** IPv4 addresses and CIDRs as the proxier needs them (the simulated cluster is IPv4 only). */

export interface Ipv4Cidr {
  readonly base: number;
  readonly prefixLength: number;
}

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let addr = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    addr = addr * 256 + n;
  }
  return addr;
}

export function formatIpv4(addr: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(addr / 2 ** s) % 256).join('.');
}

/** A CIDR with its host bits cleared, as Go's net.ParseCIDR returns it; undefined if invalid. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIpv4(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (addr === undefined || !/^\d{1,2}$/.test(lenText)) return undefined;
  const prefixLength = Number(lenText);
  if (prefixLength > 32) return undefined;
  const size = 2 ** (32 - prefixLength);
  return { base: addr - (addr % size), prefixLength };
}

export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefixLength}`;
}

export function cidrContains(cidr: Ipv4Cidr, addr: number): boolean {
  const size = 2 ** (32 - cidr.prefixLength);
  return addr >= cidr.base && addr < cidr.base + size;
}
