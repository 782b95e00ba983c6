/** IPv4 addresses as unsigned 32-bit integers, and CIDR blocks of any prefix length. */
export interface Ipv4Cidr {
  readonly base: number;
  readonly prefixLength: number;
}

export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return undefined;
  let addr = 0;
  for (const part of [m[1], m[2], m[3], m[4]]) {
    const octet = Number(part);
    if (octet > 255) return undefined;
    addr = addr * 256 + octet;
  }
  return addr;
}

export function formatIpv4(addr: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(addr / 2 ** shift) % 256).join('.');
}

/** "a.b.c.d/n" or a bare address (a /32). Host bits must be zero, as iptables requires of -s/-d. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const slash = text.indexOf('/');
  const addr = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  if (addr === undefined) return undefined;
  if (slash < 0) return { base: addr, prefixLength: 32 };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefixLength = Number(prefixText);
  if (prefixLength > 32) return undefined;
  const size = 2 ** (32 - prefixLength);
  // iptables masks the host bits away rather than refusing them.
  return { base: addr - (addr % size), prefixLength };
}

export function cidrContains(cidr: Ipv4Cidr, addr: number): boolean {
  return addr >= cidr.base && addr < cidr.base + 2 ** (32 - cidr.prefixLength);
}

export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefixLength}`;
}
