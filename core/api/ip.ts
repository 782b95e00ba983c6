/**
 * IP addresses and CIDRs as Kubernetes parses them (k8s.io/utils/net ParseIPSloppy /
 * ParseCIDRSloppy: Go's net parser that still accepts IPv4 octets with leading zeros), with the
 * content checks validation uses (staging/src/k8s.io/apimachinery/pkg/util/validation/ip.go and
 * pkg/apis/core/validation ValidateNonSpecialIP). Addresses are bigints so one code path
 * serves both families.
 */
import { fieldInvalid, type FieldError } from './field-error.ts';

export type IPFamily = 'IPv4' | 'IPv6';

export interface IP {
  readonly family: IPFamily;
  /** 32 bits for IPv4, 128 for IPv6. */
  readonly value: bigint;
}

export interface CIDR {
  readonly family: IPFamily;
  /** The network address: the parsed address with the host bits cleared. */
  readonly network: bigint;
  readonly prefixBits: number;
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

export function bitsOf(family: IPFamily): 32 | 128 {
  return family === 'IPv4' ? 32 : 128;
}

function parseIPv4Value(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^[0-9]{1,10}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** Go's parseIPv6: hex groups, one "::" standing for at least one zero group, IPv4 at the end. */
function parseIPv6Value(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4Value(part);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && (halves[0] as string).includes('.')) return undefined;
  const present = head.length + tail.length;
  if (halves.length === 1 ? present !== 8 : present > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - present).fill(0), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** net.ParseIP (sloppy): an IPv4-mapped IPv6 address is IPv4, as Go's To4 makes it. */
export function parseIP(text: string): IP | undefined {
  if (text.includes(':')) {
    const v6 = parseIPv6Value(text);
    if (v6 === undefined) return undefined;
    if (v6 >> 32n === 0xffffn) return { family: 'IPv4', value: v6 & 0xffffffffn };
    return { family: 'IPv6', value: v6 };
  }
  const v4 = parseIPv4Value(text);
  return v4 === undefined ? undefined : { family: 'IPv4', value: v4 };
}

/** Go's IP.String: dotted quad, or RFC 5952 with the first longest run of zero groups as "::". */
export function formatIP(ip: IP): string {
  if (ip.family === 'IPv4') {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) =>
    Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn),
  );
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

export function isIPv6String(text: string): boolean {
  return parseIP(text)?.family === 'IPv6';
}

/** net.ParseCIDR (sloppy): "10.96.0.0/12"; the host bits of the address are dropped. */
export function parseCIDR(text: string): CIDR | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ipText = text.slice(0, slash);
  const maskText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(maskText)) return undefined;
  const ip = parseIP(ipText);
  if (ip === undefined) return undefined;
  // A v4-mapped address written in IPv6 notation takes an IPv6 prefix length.
  const family: IPFamily = ipText.includes(':') ? 'IPv6' : 'IPv4';
  const value = family === 'IPv6' && ip.family === 'IPv4' ? ip.value | V4_MAPPED_PREFIX : ip.value;
  const bits = bitsOf(family);
  const prefixBits = Number(maskText);
  if (prefixBits > bits) return undefined;
  const hostBits = BigInt(bits - prefixBits);
  return { family, network: (value >> hostBits) << hostBits, prefixBits };
}

/** IPNet.String(): "10.96.0.0/12". */
export function formatCIDR(cidr: CIDR): string {
  return `${formatIP({ family: cidr.family, value: cidr.network })}/${cidr.prefixBits}`;
}

/** The number of addresses the CIDR covers. */
export function cidrSize(cidr: CIDR): bigint {
  return 1n << BigInt(bitsOf(cidr.family) - cidr.prefixBits);
}

export function cidrContains(cidr: CIDR, ip: IP): boolean {
  if (ip.family !== cidr.family) return false;
  return ip.value >= cidr.network && ip.value < cidr.network + cidrSize(cidr);
}

const INVALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
const INVALID_CIDR = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/** validation.IsValidIP. */
export function validateIP(path: string, value: string): FieldError[] {
  return parseIP(value) === undefined ? [fieldInvalid(path, value, INVALID_IP)] : [];
}

/** validation.IsValidCIDR. */
export function validateCIDR(path: string, value: string): FieldError[] {
  return parseCIDR(value) === undefined ? [fieldInvalid(path, value, INVALID_CIDR)] : [];
}

function inRange(ip: IP, family: IPFamily, network: bigint, prefixBits: number): boolean {
  if (ip.family !== family) return false;
  const hostBits = BigInt(bitsOf(family) - prefixBits);
  return ip.value >> hostBits === network >> hostBits;
}

/**
 * ValidateNonSpecialIP: Endpoints and external IPs may not be unspecified, loopback or
 * link-local (unicast or multicast) addresses.
 */
export function validateNonSpecialIP(value: string, path: string): FieldError[] {
  const ip = parseIP(value);
  if (ip === undefined) return [fieldInvalid(path, value, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  if (ip.value === 0n) errs.push(fieldInvalid(path, value, `may not be unspecified (${value})`));
  if (inRange(ip, 'IPv4', 0x7f000000n, 8) || (ip.family === 'IPv6' && ip.value === 1n)) {
    errs.push(fieldInvalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  }
  if (inRange(ip, 'IPv4', 0xa9fe0000n, 16) || inRange(ip, 'IPv6', 0xfe80n << 112n, 10)) {
    errs.push(
      fieldInvalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'),
    );
  }
  // Go's IsLinkLocalMulticast: 224.0.0.0/24, and ff02::/16 for IPv6 (any flags nibble).
  const v6LinkLocalMulticast =
    ip.family === 'IPv6' && ip.value >> 120n === 0xffn && ((ip.value >> 112n) & 0x0fn) === 0x02n;
  if (inRange(ip, 'IPv4', 0xe0000000n, 24) || v6LinkLocalMulticast) {
    errs.push(
      fieldInvalid(
        path,
        value,
        'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
      ),
    );
  }
  return errs;
}
