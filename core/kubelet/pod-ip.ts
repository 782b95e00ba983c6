/**
 * IPv4 addresses and the node's pod CIDR. The runtime allocates pod IPs from the CIDR (CNI
 * host-local IPAM); the kubelet validates it and derives a default node address from it.
 */
export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefixLength: number;
}

/** Dotted-quad IPv4 as an unsigned 32-bit integer. */
export function parseIPv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return undefined;
  const octets = [m[1], m[2], m[3], m[4]].map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIPv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (addr === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefixLength = Number(prefixText);
  // A pod network needs room for a gateway and at least one pod.
  if (prefixLength > 30) return undefined;
  const size = 2 ** (32 - prefixLength);
  return { base: addr - (addr % size), prefixLength };
}

export function formatIPv4(addr: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(addr / 2 ** shift) % 256).join('.');
}

export function ipInCidr(ip: string, cidr: Cidr): boolean {
  const addr = parseIPv4(ip);
  return (
    addr !== undefined && addr >= cidr.base && addr < cidr.base + 2 ** (32 - cidr.prefixLength)
  );
}
