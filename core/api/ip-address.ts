/**
 * IP addresses as Go's net package reads them (netutils.ParseIPSloppy: IPv4 dotted quads may
 * have leading zeros) and the checks upstream validation makes of them
 * (k8s.io/apimachinery/pkg/util/validation IsValidIPv4Address / IsValidIPv6Address;
 * pkg/apis/core/validation ValidateNonSpecialIP).
 */

/** 16 bytes, IPv4 addresses in their IPv4-mapped IPv6 form, as Go's net.IP holds them. */
export type IpBytes = readonly number[];

const V4_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIPv4Bytes(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    bytes.push(Number(p));
  }
  return bytes;
}

function parseIPv6Bytes(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4Bytes(p);
        if (v4 === undefined) return undefined;
        out.push(...v4);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        const n = Number.parseInt(p, 16);
        out.push(n >> 8, n & 0xff);
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 16 ? head : undefined;
  const fill = 16 - head.length - tail.length;
  return fill >= 2 ? [...head, ...new Array<number>(fill).fill(0), ...tail] : undefined;
}

/** net.ParseIP (sloppy about IPv4 leading zeros), or undefined. */
export function parseIP(text: string): IpBytes | undefined {
  if (text.includes(':')) return parseIPv6Bytes(text);
  const v4 = parseIPv4Bytes(text);
  return v4 === undefined ? undefined : [...V4_PREFIX, ...v4];
}

/** net.IP.To4() != nil: an IPv4 address, or an IPv4-mapped IPv6 one. */
export function isIPv4Bytes(ip: IpBytes): boolean {
  return V4_PREFIX.every((b, i) => ip[i] === b);
}

export function isValidIPv4Address(text: string): boolean {
  const ip = parseIP(text);
  return ip !== undefined && isIPv4Bytes(ip);
}

export function isValidIPv6Address(text: string): boolean {
  const ip = parseIP(text);
  return ip !== undefined && !isIPv4Bytes(ip);
}

/** ValidateNonSpecialIP's messages for an address that parses. */
export function nonSpecialIPErrors(text: string): string[] {
  const ip = parseIP(text);
  if (ip === undefined) return ['must be a valid IP address'];
  const v4 = isIPv4Bytes(ip);
  const a = ip[12] as number;
  const b = ip[13] as number;
  const c = ip[14] as number;
  const errs: string[] = [];
  const zero = v4 ? ip.slice(12).every((x) => x === 0) : ip.every((x) => x === 0);
  if (zero) errs.push(`may not be unspecified (${text})`);
  const loopback = v4 ? a === 127 : ip.slice(0, 15).every((x) => x === 0) && ip[15] === 1;
  if (loopback) errs.push('may not be in the loopback range (127.0.0.0/8, ::1/128)');
  const linkLocal = v4
    ? a === 169 && b === 254
    : ip[0] === 0xfe && ((ip[1] as number) & 0xc0) === 0x80;
  if (linkLocal) errs.push('may not be in the link-local range (169.254.0.0/16, fe80::/10)');
  const linkLocalMulticast = v4
    ? a === 224 && b === 0 && c === 0
    : ip[0] === 0xff && ((ip[1] as number) & 0x0f) === 0x02;
  if (linkLocalMulticast) {
    errs.push('may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)');
  }
  return errs;
}
