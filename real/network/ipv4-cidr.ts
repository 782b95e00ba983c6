/**
 * IPv4 CIDR arithmetic for pod IP allocation: the node's podCIDR gives the bridge the first
 * host address (the pods' gateway) and pods the rest, network and broadcast excluded, as the
 * CNI host-local IPAM plugin does.
 */
export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefixLength: number;
}

export type CidrParse =
  { readonly ok: true; readonly cidr: Ipv4Cidr } | { readonly ok: false; readonly message: string };

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function parseIpv4Cidr(text: string): CidrParse {
  const slash = text.indexOf('/');
  const address = parseIpv4(slash < 0 ? '' : text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  const prefixLength = Number(prefixText);
  if (address === undefined || !/^[0-9]{1,2}$/.test(prefixText) || prefixLength > 30) {
    return {
      ok: false,
      message: `not an IPv4 CIDR with a prefix of at most /30: ${JSON.stringify(text)}`,
    };
  }
  const size = 2 ** (32 - prefixLength);
  if (address % size !== 0) {
    return {
      ok: false,
      message: `${text} has host bits set (network is ${formatIpv4(address - (address % size))}/${prefixLength})`,
    };
  }
  return { ok: true, cidr: { network: address, prefixLength } };
}

export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefixLength);
}

/** The bridge's address, which pods route through. */
export function gatewayOf(cidr: Ipv4Cidr): number {
  return cidr.network + 1;
}

/** Addresses pods may get: after the gateway, before the broadcast address. */
export function podAddressRange(cidr: Ipv4Cidr): { readonly first: number; readonly last: number } {
  return { first: cidr.network + 2, last: cidr.network + cidrSize(cidr) - 2 };
}
